"""WASI reactors (WASI application ABI: a module exporting ``_initialize`` and no ``_start``):
``whisk.run``, ``python -m whisk [--invoke NAME]`` and ``Linker.instantiate`` call
``_initialize`` once, before any other export; commands (``_start``) are left alone by the
Linker, and ``whisk.run`` calls ``_initialize`` then ``_start`` as ``wasmtime run`` does."""

from __future__ import annotations

import io

import pytest
import wasmtime

import whisk
from whisk import cli

# The constructor records that it ran: $g = 42, $calls += 1, and "init\n" on stdout.
_INIT = """
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (memory (export "memory") 1)
  (data (i32.const 0) "\\10\\00\\00\\00\\05\\00\\00\\00")
  (data (i32.const 16) "init\\n")
  (global $g (mut i32) (i32.const 0))
  (global $calls (mut i32) (i32.const 0))
  (func (export "_initialize")
    (global.set $g (i32.const 42))
    (global.set $calls (i32.add (global.get $calls) (i32.const 1)))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8))))
  (func (export "get") (result i32) (global.get $g))
  (func (export "calls") (result i32) (global.get $calls))
  (func (export "add") (param i32) (result i32) (i32.add (global.get $g) (local.get 0)))
"""
REACTOR = "(module" + _INIT + ")"
# A module that is both (the ABI says the kinds are exclusive; wasmtime runs both): _start
# exits with $g, so the status shows whether _initialize ran first.
BOTH = "(module" + _INIT + '(func (export "_start") (call $exit (global.get $g))))'
# A command whose _start returns $g through proc_exit, and no _initialize.
COMMAND = """(module
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (memory (export "memory") 1)
  (global $g (mut i32) (i32.const 7))
  (func (export "_start") (call $exit (global.get $g)))
  (func (export "get") (result i32) (global.get $g)))"""
# A reactor importing nothing from WASI.
PURE = """(module
  (global $g (mut i32) (i32.const 0))
  (func (export "_initialize") (global.set $g (i32.add (global.get $g) (i32.const 1))))
  (func (export "get") (result i32) (global.get $g)))"""


def module(wat: str) -> whisk.Module:
    return whisk.Module(wasmtime.wat2wasm(wat))


def reactor_with(body: str) -> whisk.Module:
    """A reactor whose _initialize is ``body`` (WASI's proc_exit is $exit)."""
    return module(f"""(module
      (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
      (memory (export "memory") 1)
      {body})""")


# --- whisk.run ---------------------------------------------------------------------------------

def test_run_calls_a_reactors_initialize_and_returns_0():
    out = io.BytesIO()
    assert whisk.run(module(REACTOR), stdout=out) == 0
    assert out.getvalue() == b"init\n"


def test_run_calls_initialize_before_start():
    out = io.BytesIO()
    assert whisk.run(module(BOTH), stdout=out) == 42      # 0 if _start ran first
    assert out.getvalue() == b"init\n"


def test_run_a_command_without_initialize():
    assert whisk.run(module(COMMAND)) == 7


def test_run_a_module_exporting_neither_raises_link_error():
    with pytest.raises(whisk.LinkError, match="_start.*_initialize"):
        whisk.run(module('(module (memory (export "memory") 1))'))


def test_run_proc_exit_in_initialize_is_the_status():
    m = reactor_with('(func (export "_initialize") (call $exit (i32.const 3)))')
    assert whisk.run(m) == 3


def test_run_trap_in_initialize_propagates():
    m = reactor_with('(func (export "_initialize") unreachable)')
    with pytest.raises(whisk.Trap, match="unreachable"):
        whisk.run(m)


def test_run_initialize_of_another_type_is_a_link_error():
    m = reactor_with('(func (export "_initialize") (param i32))')
    with pytest.raises(whisk.LinkError, match=r"_initialize.*\[\] -> \[\]"):
        whisk.run(m)


def test_run_timeout_covers_initialize():
    m = reactor_with('(func (export "_initialize") (loop $l (br $l)))')
    with pytest.raises(whisk.Interrupted, match="timeout"):
        whisk.run(m, timeout=0.2)


def test_run_fuel_covers_initialize():
    m = reactor_with('(func (export "_initialize") (loop $l (br $l)))')
    with pytest.raises(whisk.Exhaustion):
        whisk.run(m, fuel=10_000)


# --- Linker.instantiate ------------------------------------------------------------------------

def test_linker_with_wasi_initializes_a_reactor_once():
    linker = whisk.Linker()
    out = io.BytesIO()
    with linker.define_wasi(whisk.WasiConfig(stdout=out)):
        inst = linker.instantiate(module(REACTOR))
        assert out.getvalue() == b"init\n"          # ran during instantiate
        assert inst.exports.get() == 42
        assert inst.exports.calls() == 1
        assert inst.exports.add(1) == 43
        assert inst.exports.calls() == 1            # not again on later calls


def test_linker_with_wasi_initializes_a_reactor_that_imports_no_wasi():
    linker = whisk.Linker()
    with linker.define_wasi(whisk.WasiConfig(stdout=io.BytesIO())):
        assert linker.instantiate(module(PURE)).exports.get() == 1


def test_linker_without_wasi_does_not_call_initialize():
    """Without define_wasi, instantiation is the spec's (4.5.4): no export is called."""
    inst = whisk.Linker().instantiate(module(PURE))
    assert inst.exports.get() == 0
    inst.exports["_initialize"]()
    assert inst.exports.get() == 1


def test_linker_does_not_initialize_a_command():
    """A module with _start is a command: the Linker calls neither _start nor _initialize."""
    linker = whisk.Linker()
    out = io.BytesIO()
    with linker.define_wasi(whisk.WasiConfig(stdout=out)):
        inst = linker.instantiate(module(BOTH))
        assert out.getvalue() == b""
        assert inst.exports.get() == 0


def test_linker_reactor_trap_in_initialize_propagates():
    linker = whisk.Linker()
    with linker.define_wasi(whisk.WasiConfig()):
        with pytest.raises(whisk.Trap, match="unreachable"):
            linker.instantiate(reactor_with('(func (export "_initialize") unreachable)'))


def test_plain_instance_does_not_call_initialize():
    assert whisk.Instance(module(PURE)).exports.get() == 0


# --- the command line ----------------------------------------------------------------------------

@pytest.fixture
def wasm_file(tmp_path):
    def make(wat: str, name: str = "m.wasm") -> str:
        path = tmp_path / name
        path.write_bytes(wasmtime.wat2wasm(wat))
        return str(path)
    return make


def test_cli_invoke_calls_initialize_first(wasm_file, capfd):
    assert cli.main(["--invoke", "get", wasm_file(REACTOR)]) == 0
    assert capfd.readouterr().out == "init\n42\n"


def test_cli_invoke_calls_initialize_once(wasm_file, capfd):
    assert cli.main(["run", "--invoke", "calls", wasm_file(REACTOR)]) == 0
    assert capfd.readouterr().out == "init\n1\n"


def test_cli_invoke_with_arguments_after_initialize(wasm_file, capfd):
    assert cli.main(["--invoke", "add", wasm_file(REACTOR), "8"]) == 0
    assert capfd.readouterr().out == "init\n50\n"


def test_cli_invoke_initialize_itself_runs_it_once(wasm_file, capfd):
    assert cli.main(["--invoke", "_initialize", wasm_file(REACTOR)]) == 0
    assert capfd.readouterr().out == "init\n"


def test_cli_runs_a_reactor_without_invoke(wasm_file, capfd):
    """Like ``wasmtime run``: _initialize runs, there is no _start, the status is 0."""
    assert cli.main([wasm_file(REACTOR)]) == 0
    assert capfd.readouterr().out == "init\n"


def test_cli_timeout_covers_initialize(wasm_file, capfd):
    path = wasm_file("""(module (memory (export "memory") 1)
      (func (export "_initialize") (loop $l (br $l))) (func (export "f")))""")
    assert cli.main(["--timeout", "200ms", "--invoke", "f", path]) == cli.TRAP_STATUS
    assert "timeout" in capfd.readouterr().err


def test_exports_named_like_mapping_methods_do_not_break_wasi_or_define_instance():
    """Exports win over the Mapping methods in attribute access (``exports.get`` is the export
    "get"), so the runtime must not use ``exports.get()``/``.items()``/``.values()``."""
    m = module("""(module
      (import "wasi_snapshot_preview1" "proc_exit" (func (param i32)))
      (memory (export "memory") 1)
      (func (export "get") (result i32) i32.const 5) (func (export "items"))
      (func (export "values")) (func (export "_initialize")))""")
    linker = whisk.Linker()
    with linker.define_wasi(whisk.WasiConfig()) as wasi:
        inst = linker.instantiate(m)
        assert wasi.memory is inst.exports["memory"]
    other = whisk.Linker()
    other.define_instance("lib", inst)
    user = module('(module (import "lib" "get" (func $g (result i32))) '
                  '(func (export "run") (result i32) call $g))')
    assert other.instantiate(user).exports.run() == 5
