"""A numpy array over guest memory: no copies in either direction.

``numpy.frombuffer(memory, dtype=...)`` views the instance's linear memory. A write by the
guest (``fill``) shows up in the array at once, and a write through the array is what the
guest reads (``sum``). Linear memory never moves, so the view stays valid after ``grow``
(it keeps the length it had when it was taken).

Run: ``python examples/numpy_view.py`` (needs numpy)
"""

import numpy as np

import whisk

# Assembled from:
# (module
#   (memory (export "memory") 1)
#   (func (export "fill") (param $p i32) (param $n i32) (param $v i32)   ;; p[0..n) = v
#     (block $done (loop $l
#       (br_if $done (i32.eqz (local.get $n)))
#       (i32.store8 (local.get $p) (local.get $v))
#       (local.set $p (i32.add (local.get $p) (i32.const 1)))
#       (local.set $n (i32.sub (local.get $n) (i32.const 1)))
#       (br $l))))
#   (func (export "sum") (param $p i32) (param $n i32) (result i32) (local $s i32)
#     (block $done (loop $l                                              ;; sum of p[0..n)
#       (br_if $done (i32.eqz (local.get $n)))
#       (local.set $s (i32.add (local.get $s) (i32.load8_u (local.get $p))))
#       (local.set $p (i32.add (local.get $p) (i32.const 1)))
#       (local.set $n (i32.sub (local.get $n) (i32.const 1)))
#       (br $l)))
#     (local.get $s)))
WASM = bytes.fromhex(
    "0061736d01000000010d0260037f7f7f0060027f7f017f03030200010503010001071703066d656d6f7279"
    "02000466696c6c00000373756d00010a52022400024003402001450d01200020023a0000200041016a2100"
    "200141016b21010c000b0b0b2b01017f024003402001450d01200220002d00006a2102200041016a210020"
    "0141016b21010c000b0b20020b")


def main() -> None:
    """Show guest writes through a numpy view, and host writes read by the guest."""
    instance = whisk.Instance(whisk.Module(WASM))
    memory = instance.exports.memory
    view = np.frombuffer(memory, dtype=np.uint8)          # zero-copy, writable
    print("memory:", memory.pages, "page(s),", view.size, "bytes")

    instance.exports.fill(100, 8, 7)                      # the guest writes 7s ...
    print("after fill:", view[98:110].tolist())           # ... and numpy sees them

    view[0:4] = [10, 20, 30, 40]                          # the host writes ...
    print("guest sum:", instance.exports.sum(0, 4))       # ... and the guest reads them

    memory.grow(1)                                        # the memory never moves
    instance.exports.fill(0, 1, 255)
    print("old view after grow:", view[0], "size", view.size, "| memory now", len(memory), "bytes")


if __name__ == "__main__":
    main()
