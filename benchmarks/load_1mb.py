"""Load time of a module with about 1 MB of code: decode + validate + pre-decode (whisk.Module).

The module is generated here: N functions, each a loop of i32 arithmetic on locals and memory
(the mix compilers emit). Prints the code size and the median of several loads.
Run: python benchmarks/load_1mb.py
"""

import statistics
import time

import whisk
from wasmgen import MAGIC_VERSION, leb, section


def body() -> bytes:
    # (local i32 i32) loop: l1 = l1 + load(l0) * 3 ; l0 += 4 ; br_if l0 < 4000
    ins = bytearray()
    ins += b"\x03\x40"                                  # loop
    for k in range(60):
        ins += b"\x20\x01\x20\x00\x28\x02" + leb(k * 4) + b"\x41\x03\x6c\x6a\x21\x01"
        ins += b"\x20\x00\x41\x04\x6a\x21\x00"
    ins += b"\x20\x00\x41\xa0\x1f\x49\x0d\x00"          # br_if 0 (l0 < 4000)
    ins += b"\x0b\x20\x01\x0b"                          # end loop, result l1, end
    return b"\x01\x02\x7f" + bytes(ins)


def build(target: int = 1 << 20) -> tuple[bytes, int]:
    b = body()
    n = target // (len(b) + 2)
    types = section(1, leb(1) + b"\x60\x01\x7f\x01\x7f")
    funcs = section(3, leb(n) + b"\x00" * n)
    mem = section(5, b"\x01\x00\x01")
    code = leb(n) + b"".join(leb(len(b)) + b for _ in range(n))
    return MAGIC_VERSION + types + funcs + mem + section(10, code), len(code)


def main() -> None:
    data, code_size = build()
    times = []
    for _ in range(7):
        t = time.perf_counter()
        whisk.Module(data)
        times.append(time.perf_counter() - t)
    print(f"code section {code_size / 1e6:.2f} MB: load (decode + validate + pre-decode) "
          f"median {statistics.median(times) * 1000:.0f} ms, best {min(times) * 1000:.0f} ms")


if __name__ == "__main__":
    main()
