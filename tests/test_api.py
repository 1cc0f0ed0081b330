"""The embedding API as a user calls it: modules, instances, host imports, memory, traps."""

import math
import struct
import threading

import pytest

wasmtime = pytest.importorskip("wasmtime")
import whisk  # noqa: E402


def load(wat: str) -> whisk.Module:
    return whisk.Module(wasmtime.wat2wasm(wat))


FIB = """(module
  (func $fib (export "fib") (param i32) (result i32)
    (if (result i32) (i32.lt_u (local.get 0) (i32.const 2))
      (then (local.get 0))
      (else (i32.add (call $fib (i32.sub (local.get 0) (i32.const 1)))
                     (call $fib (i32.sub (local.get 0) (i32.const 2))))))))"""


def test_call_export_by_attribute_and_key():
    inst = whisk.Instance(load(FIB))
    assert inst.exports.fib(20) == 6765
    assert inst.exports["fib"](10) == 55
    assert inst.exports.fib.type.params == ("i32",)
    assert inst.exports.fib.type.results == ("i32",)


def test_module_imports_and_exports_types():
    m = load('(module (import "env" "f" (func (param i64) (result f32))) (memory (export "mem") 1 3)'
             ' (global (export "g") (mut i32) (i32.const 7)))')
    (imp,) = m.imports
    assert (imp.module, imp.name) == ("env", "f")
    assert imp.type == whisk.FuncType(("i64",), ("f32",))
    exports = {e.name: e.type for e in m.exports}
    assert exports["mem"].limits == whisk.Limits(1, 3)
    assert exports["g"] == whisk.GlobalType("i32", True)


def test_values_signed_unsigned_and_raw_bits():
    m = load("""(module
      (func (export "id32") (param i32) (result i32) (local.get 0))
      (func (export "id64") (param i64) (result i64) (local.get 0))
      (func (export "f32") (param f32) (result f32) (local.get 0))
      (func (export "pair") (param i32 f64) (result f64 i32) (local.get 1) (local.get 0)))""")
    e = whisk.Instance(m).exports
    assert e.id32(0xFFFFFFFF) == -1
    assert e.id32(-5) == -5
    assert e.id64(2**64 - 1) == -1
    assert e.id32.call_bits(-1) == (0xFFFFFFFF,)
    nan_bits = 0x7FA00001  # a signalling NaN with a payload survives a round trip
    assert e.f32.call_bits(nan_bits) == (nan_bits,)
    assert e.pair(3, 1.5) == (1.5, 3)
    with pytest.raises(ValueError):
        e.id32(2**32)
    with pytest.raises(TypeError):
        e.id32("x")


def test_host_function_import_typed_from_declaration():
    calls = []
    m = load("""(module (import "env" "add" (func $add (param i32 i32) (result i32)))
      (func (export "run") (result i32) (call $add (i32.const 2) (i32.const -3))))""")
    inst = whisk.Instance(m, {"env": {"add": lambda a, b: calls.append((a, b)) or a + b}})
    assert inst.exports.run() == -1
    assert calls == [(2, -3)]


def test_host_exception_passes_through_unchanged():
    class Boom(Exception):
        pass

    def fail():
        raise Boom("from host")

    m = load('(module (import "env" "f" (func $f)) (func (export "run") (call $f)))')
    inst = whisk.Instance(m, {"env": {"f": fail}})
    with pytest.raises(Boom, match="from host"):
        inst.exports.run()
    # the instance is still usable after the exception
    with pytest.raises(Boom):
        inst.exports.run()


def test_link_error_lists_every_missing_import():
    m = load('(module (import "a" "x" (func)) (import "b" "y" (global i32)))')
    with pytest.raises(whisk.LinkError) as info:
        whisk.Instance(m)
    assert "a.x" in str(info.value) and "b.y" in str(info.value)


def test_link_error_on_type_mismatch():
    m = load('(module (import "a" "g" (global i64)))')
    with pytest.raises(whisk.LinkError, match="incompatible import type"):
        whisk.Instance(m, {"a": {"g": whisk.Global("i32", 1)}})


def test_instance_exports_as_imports():
    a = whisk.Instance(load('(module (func (export "seven") (result i32) (i32.const 7)))'))
    m = load('(module (import "a" "seven" (func $s (result i32)))'
             ' (func (export "run") (result i32) (i32.add (call $s) (i32.const 1))))')
    assert whisk.Instance(m, {"a": a.exports}).exports.run() == 8


def test_traps_carry_spec_messages_and_backtrace():
    m = load("""(module
      (func $inner (export "div") (param i32 i32) (result i32) (i32.div_s (local.get 0) (local.get 1)))
      (func (export "outer") (result i32) (call $inner (i32.const 1) (i32.const 0)))
      (func (export "boom") unreachable)
      (memory 1)
      (func (export "load") (param i32) (result i32) (i32.load (local.get 0))))""")
    e = whisk.Instance(m).exports
    with pytest.raises(whisk.Trap, match="integer divide by zero") as info:
        e.outer()
    assert [f.func_index for f in info.value.frames] == [0, 1]
    with pytest.raises(whisk.Trap, match="integer overflow"):
        e.div(-2**31, -1)
    with pytest.raises(whisk.Trap, match="unreachable"):
        e.boom()
    with pytest.raises(whisk.Trap, match="out of bounds memory access"):
        e.load(65534)
    assert e.load(65532) == 0


def test_call_stack_exhaustion_is_exhaustion_not_recursionerror():
    m = load('(module (func $f (export "f") (call $f)))')
    inst = whisk.Instance(m)
    for _ in range(3):
        with pytest.raises(whisk.Exhaustion, match="call stack exhausted"):
            inst.exports.f()


def test_memory_buffer_protocol_zero_copy_and_grow():
    m = load("""(module (memory (export "mem") 1 4)
      (func (export "get") (param i32) (result i32) (i32.load8_u (local.get 0)))
      (func (export "put") (param i32 i32) (i32.store (local.get 0) (local.get 1)))
      (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0))))""")
    e = whisk.Instance(m).exports
    mem = e.mem
    assert len(mem) == 65536
    view = memoryview(mem)
    view[10] = 42                           # host write seen by the guest
    assert e.get(10) == 42
    e.put(100, 0x01020304)                  # guest write seen through the same view
    assert bytes(view[100:104]) == b"\x04\x03\x02\x01"
    assert mem.read(100, 4) == b"\x04\x03\x02\x01"
    mem.write(200, b"abc")
    assert mem[200:203] == b"abc"
    assert e.grow(1) == 1 and len(mem) == 2 * 65536
    view[11] = 7                            # the old view is still valid after grow
    assert e.get(11) == 7
    assert e.grow(10) == -1                 # beyond the maximum
    assert mem.grow(1) == 2
    with pytest.raises(ValueError):
        mem.grow(5)
    typed = memoryview(mem).cast("I")
    typed[0] = 0xDEADBEEF
    assert struct.unpack_from("<I", mem.read(0, 4))[0] == 0xDEADBEEF


def test_imported_memory_table_global():
    mem = whisk.Memory(1, 2)
    table = whisk.Table("funcref", 2)
    g = whisk.Global("f64", 2.5, mutable=True)
    m = load("""(module (import "h" "mem" (memory 1)) (import "h" "t" (table 2 funcref))
      (import "h" "g" (global $g (mut f64)))
      (func $seven (result i32) (i32.const 7)) (elem (i32.const 1) $seven)
      (func (export "run") (result f64)
        (i32.store8 (i32.const 5) (i32.const 9))
        (global.set $g (f64.mul (global.get $g) (f64.const 2)))
        (global.get $g)))""")
    inst = whisk.Instance(m, {"h": {"mem": mem, "t": table, "g": g}})
    assert inst.exports.run() == 5.0
    assert g.value == 5.0
    assert mem[5] == 9
    assert table[0] is None and table[1]() == 7
    assert table.grow(3) == 2 and len(table) == 5


def test_float_semantics_min_nearest_and_trunc_trap():
    m = load("""(module
      (func (export "min") (param f64 f64) (result f64) (f64.min (local.get 0) (local.get 1)))
      (func (export "nearest") (param f32) (result f32) (f32.nearest (local.get 0)))
      (func (export "trunc") (param f64) (result i32) (i32.trunc_f64_s (local.get 0)))
      (func (export "sat") (param f64) (result i32) (i32.trunc_sat_f64_s (local.get 0))))""")
    e = whisk.Instance(m).exports
    assert math.copysign(1, e.min(0.0, -0.0)) == -1
    assert math.isnan(e.min(math.nan, 1.0))
    assert e.nearest(2.5) == 2.0 and e.nearest(3.5) == 4.0
    with pytest.raises(whisk.Trap, match="invalid conversion to integer"):
        e.trunc(math.nan)
    with pytest.raises(whisk.Trap, match="integer overflow"):
        e.trunc(3e9)
    assert e.sat(3e9) == 2**31 - 1 and e.sat(math.nan) == 0


def test_decode_and_validation_errors_are_typed():
    with pytest.raises(whisk.DecodeError, match="magic header not detected"):
        whisk.Module(b"\x00asX\x01\x00\x00\x00")
    with pytest.raises(whisk.DecodeError, match="unexpected end"):
        whisk.Module(b"\x00as")
    with pytest.raises(whisk.ValidationError, match="type mismatch"):
        load("(module (func (result i32) (i64.const 1)))")
    with pytest.raises(whisk.ValidationError, match="unknown local"):
        load("(module (func (local.get 3)))")


def test_two_threads_call_instances_concurrently():
    results = {}

    def work(k):
        inst = whisk.Instance(load(FIB))
        results[k] = inst.exports.fib(22)

    threads = [threading.Thread(target=work, args=(k,)) for k in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == {0: 17711, 1: 17711}


def test_v128_crosses_as_unsigned_int_or_16_bytes():
    m = load("""(module
      (func (import "env" "h") (param v128) (result v128))
      (global (export "g") (mut v128) (v128.const i32x4 1 2 3 4))
      (func (export "add") (param v128 v128) (result v128) (i32x4.add (local.get 0) (local.get 1)))
      (func (export "via_host") (param v128) (result v128) (call 0 (local.get 0))))""")
    seen = []

    def h(v):
        seen.append(v)
        return v ^ (1 << 127)

    e = whisk.Instance(m, imports={"env": {"h": h}}).exports
    one = int.from_bytes(struct.pack("<4I", 1, 2, 3, 4), "little")
    assert e.g.value == one
    two = e.add(one, one)
    assert two == int.from_bytes(struct.pack("<4I", 2, 4, 6, 8), "little")
    # 16 little-endian bytes are accepted as input; lanes wrap modulo 2**32
    assert e.add(struct.pack("<4I", 0xFFFFFFFF, 0, 0, 0), struct.pack("<4I", 1, 0, 0, 0)) == 0
    assert e.via_host(5) == 5 | (1 << 127) and seen == [5]
    e.g.value = 2**128 - 1
    assert e.g.value == 2**128 - 1
    with pytest.raises(ValueError):
        e.add(2**128, 0)
    with pytest.raises(ValueError):
        e.add(-1, 0)


def test_memory_slice_takes_numpy_arrays_of_any_dtype():
    np = pytest.importorskip("numpy")
    mem = whisk.Memory(1)
    a = np.arange(4, dtype=np.float64)
    mem[8:8 + a.nbytes] = a
    assert np.frombuffer(mem[8:8 + a.nbytes], dtype=np.float64).tolist() == [0.0, 1.0, 2.0, 3.0]
    b = np.arange(12, dtype=np.int32).reshape(3, 4)[:, ::2]      # not contiguous
    mem[100:100 + b.nbytes] = b
    assert np.frombuffer(mem[100:100 + b.nbytes], dtype=np.int32).tolist() == [0, 2, 4, 6, 8, 10]
    with pytest.raises(ValueError):
        mem[0:3] = np.zeros(1, dtype=np.int32)                    # 4 bytes into 3


def test_an_underscore_export_is_reached_by_subscript_and_the_error_says_so():
    import wasmtime
    inst = whisk.Instance(whisk.Module(wasmtime.wat2wasm(
        '(module (func (export "_initialize")) (func (export "run") (result i32) i32.const 7))')))
    assert inst.exports.run() == 7
    assert callable(inst.exports["_initialize"])
    with pytest.raises(AttributeError, match=r"use exports\['_initialize'\]"):
        inst.exports._initialize
    with pytest.raises(AttributeError, match="no export named 'nothing'"):
        inst.exports.nothing


def test_exports_named_like_mapping_methods_win_for_attributes_and_the_mapping_still_works():
    m = load("""(module (memory (export "memory") 1)
      (func (export "get") (result i32) i32.const 1) (func (export "items") (result i32) i32.const 2)
      (func (export "keys") (result i32) i32.const 3) (func (export "values") (result i32) i32.const 4)
      (global (export "_g") i32 (i32.const 5)))""")
    e = whisk.Instance(m).exports
    assert (e.get(), e.items(), e.keys(), e.values()) == (1, 2, 3, 4)
    assert list(e) == ["memory", "get", "items", "keys", "values", "_g"] and len(e) == 6
    assert "get" in e and "_g" in e and "nothing" not in e
    assert e["keys"] is e.keys and isinstance(e["memory"], whisk.Memory)
    assert e["_g"].value == 5
    assert e == dict(zip(e, (e[k] for k in e))) and e != {"get": e.get}
    # with no clash, the Mapping methods are there
    plain = whisk.Instance(load('(module (func (export "f")))')).exports
    assert plain.get("f") is plain.f and plain.get("nothing") is None
    assert list(plain.keys()) == ["f"] and list(plain.items()) == [("f", plain.f)]
    assert plain != e


def test_exports_are_read_only():
    e = whisk.Instance(load('(module (func (export "f")))')).exports
    f = e.f
    for name in ("f", "g", "_items"):
        with pytest.raises(AttributeError, match="read-only"):
            setattr(e, name, 1)
        with pytest.raises(AttributeError, match="read-only"):
            delattr(e, name)
    with pytest.raises(TypeError):
        e["f"] = 1                                  # type: ignore[index]
    assert e.f is f and e["f"] is f and list(e) == ["f"]
