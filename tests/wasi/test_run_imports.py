"""whisk.run checks a module's WASI imports against the witx signatures before running it."""

import io

import pytest
import wasmtime

import whisk


def _run(wat: str) -> int:
    return whisk.run(whisk.Module(wasmtime.wat2wasm(wat)), stdout=io.BytesIO())


def test_run_accepts_the_witx_types_and_links_only_what_is_imported():
    out = io.BytesIO()
    m = whisk.Module(wasmtime.wat2wasm("""(module
      (import "wasi_snapshot_preview1" "fd_write" (func $w (param i32 i32 i32 i32) (result i32)))
      (import "wasi_snapshot_preview1" "proc_exit" (func $x (param i32)))
      (memory (export "memory") 1) (data (i32.const 16) "hi\\n")
      (func (export "_start")
        (i32.store (i32.const 0) (i32.const 16)) (i32.store (i32.const 4) (i32.const 3))
        (drop (call $w (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))
        (call $x (i32.const 3))))"""))
    assert whisk.run(m, stdout=out) == 3 and out.getvalue() == b"hi\n"
    assert whisk.run(m, stdout=out) == 3 and out.getvalue() == b"hi\nhi\n"


def test_run_rejects_a_wasi_import_of_another_type():
    with pytest.raises(whisk.LinkError, match=r"incompatible import type for "
                       r"wasi_snapshot_preview1::fd_write"):
        _run('(module (import "wasi_snapshot_preview1" "fd_write" (func (param i32) (result i32)))'
             ' (func (export "_start")))')
    with pytest.raises(whisk.LinkError, match="incompatible import type for "
                       "wasi_snapshot_preview1::proc_exit"):
        _run('(module (import "wasi_snapshot_preview1" "proc_exit" (global i32))'
             ' (func (export "_start")))')


def test_run_rejects_an_unknown_wasi_function():
    with pytest.raises(whisk.LinkError, match="not a WASI preview 1 function"):
        _run('(module (import "wasi_snapshot_preview1" "fd_nothing" (func))'
             ' (func (export "_start")))')


def test_linker_define_wasi_funcs_are_shared_by_instantiations():
    m = whisk.Module(wasmtime.wat2wasm(
        '(module (import "wasi_snapshot_preview1" "sched_yield" (func $y (result i32)))'
        ' (func (export "f") (result i32) (call $y)) (export "y" (func $y)))'))
    linker = whisk.Linker()
    with linker.define_wasi():
        a, b = linker.instantiate(m), linker.instantiate(m)
        assert a.exports.f() == 0 and a.exports.y is b.exports.y
        assert a.exports.y.type == whisk.FuncType((), ("i32",))
