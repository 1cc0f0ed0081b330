"""Extended constant expressions (WebAssembly 3.0, spec 3.4.13 "Constant Expressions", 3.5
"Modules"; evaluated at instantiation): i32/i64 add/sub/mul and global.get of defined globals."""

import pytest

wasmtime = pytest.importorskip("wasmtime")
import whisk  # noqa: E402


def load(wat: str, **kw) -> whisk.Module:
    return whisk.Module(wasmtime.wat2wasm(wat), **kw)


def test_arithmetic_in_global_initialisers_wraps():
    inst = whisk.Instance(load("""(module
      (global (export "a") i32 (i32.add (i32.sub (i32.mul (i32.const 20) (i32.const 2))
                                                 (i32.const 2)) (i32.const 4)))
      (global (export "wrap32") i32 (i32.mul (i32.const 0x10000) (i32.const 0x10001)))
      (global (export "neg") i32 (i32.sub (i32.const 0) (i32.const 1)))
      (global (export "wrap64") i64 (i64.add (i64.const 0x7fffffffffffffff) (i64.const 1)))
      (global (export "mul64") i64 (i64.mul (i64.const -3) (i64.const 5))))"""))
    e = inst.exports
    assert e.a.value == 42
    assert e.wrap32.value == 0x10000            # 0x10000 * 0x10001 mod 2^32
    assert e.neg.value == -1
    assert e.wrap64.value == -2**63
    assert e.mul64.value == -15


def test_global_get_of_imported_and_earlier_defined_globals():
    g = whisk.Global("i32", 100)
    inst = whisk.Instance(load("""(module
      (global $imp (import "env" "g") i32)
      (global $a i32 (i32.const 5))
      (global $b i32 (i32.add (global.get $imp) (global.get $a)))
      (global (export "c") i32 (i32.mul (global.get $b) (i32.const 2))))"""),
        {"env": {"g": g}})
    assert inst.exports.c.value == 210


def test_segment_offsets_and_items_read_any_global():
    inst = whisk.Instance(load("""(module
      (memory (export "mem") 1)
      (table (export "t") 4 funcref)
      (func $f (result i32) (i32.const 7))
      (global $base i32 (i32.const 8))
      (global $fr funcref (ref.func $f))
      (data (i32.add (global.get $base) (i32.const 2)) "hi")
      (elem (table 0) (i32.sub (global.get $base) (i32.const 6)) funcref (global.get $fr)))"""))
    assert bytes(inst.exports.mem.read(10, 2)) == b"hi"
    assert inst.exports.t[2]() == 7
    assert inst.exports.t[1] is None


@pytest.mark.parametrize("wat, message", [
    ("(global i32 (global.get 1)) (global i32 (i32.const 0))", "unknown global 1"),
    ("(global (mut i32) (i32.const 0)) (global i32 (global.get 0))", "constant expression required"),
    ("(global i32 (i32.add (i64.const 1) (i32.const 2)))", "type mismatch"),
    ("(global i32 (i32.add (i32.const 1)))", "type mismatch"),
    ("(global i64 (i32.add (i32.const 1) (i32.const 2)))", "type mismatch"),
    ("(global i32 (i32.div_s (i32.const 1) (i32.const 2)))", "constant expression required"),
    # constness is checked before types, as the reference interpreter does
    ("(global i32 (i32.add (f32.const 0) (i32.const 0)) (nop))", "constant expression required"),
])
def test_invalid_constant_expressions(wat, message):
    with pytest.raises(whisk.ValidationError) as info:
        load(f"(module {wat})")
    assert str(info.value).startswith(message)


def test_wasm2_rejects_extended_constant_expressions_naming_the_feature():
    wasm2 = whisk.Features.wasm2()
    with pytest.raises(whisk.ValidationError) as info:
        load("(module (global i32 (i32.add (i32.const 1) (i32.const 2))))", features=wasm2)
    assert str(info.value).startswith("constant expression required")
    assert "extended constant expressions are not enabled" in str(info.value)
    # global.get of a defined global: "unknown global" under 2.0's rules (imports only)
    with pytest.raises(whisk.ValidationError) as info:
        load("(module (memory 1) (global i32 (i32.const 0)) (data (global.get 0) \"a\"))",
             features=wasm2)
    assert str(info.value).startswith("unknown global 0")
    assert "extended constant expressions are not enabled" in str(info.value)
    # without the feature the plain 2.0 forms still load
    load('(module (global (import "m" "g") i32) (global i32 (global.get 0)))', features=wasm2)
    # and by default both load
    load("(module (memory 1) (global i32 (i32.const 0)) (data (global.get 0) \"a\"))")
