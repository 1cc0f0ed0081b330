"""Lowering bugs found by real programs, each checked against wasmtime's result."""

import wasmtime

import whisk


def test_store_after_swapped_constant_add_keeps_its_address():
    # `c + load(x)` is swapped to `load(x) + c`, whose add_ri the store absorbs (address =
    # a + c); the constant value must not be written over `a` (found in yosys.wasm's
    # std::DoIOSInit: an out-of-bounds store where wasmtime ran on)
    text = """(module (memory (export "m") 1)
      (func (export "f") (param i32)
        i32.const 100
        local.get 0
        i32.load
        i32.add
        i32.const 77
        i32.store offset=8))"""
    inst = whisk.Instance(whisk.Module(wasmtime.wat2wasm(text)))
    inst.exports.m[0:4] = (4).to_bytes(4, "little")
    inst.exports.f(0)
    assert inst.exports.m[112:116] == (77).to_bytes(4, "little")
    assert inst.exports.m[0:4] == (4).to_bytes(4, "little")
