"""whisk.Linker, typed host functions and whisk.Caller, used the way an embedder would."""

import io
from pathlib import Path

import pytest

wasmtime = pytest.importorskip("wasmtime")
import whisk  # noqa: E402

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def load(wat: str) -> whisk.Module:
    return whisk.Module(wasmtime.wat2wasm(wat))


GREETER = load("""(module
  (import "env" "log" (func $log (param i32 i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "h\\c3\\a9llo")
  (func (export "greet") (call $log (i32.const 16) (i32.const 6))))""")


def test_host_function_reads_a_string_through_caller():
    seen = []

    def log(caller: whisk.Caller, ptr: whisk.i32, length: whisk.i32) -> None:
        seen.append(caller.memory.read(ptr, length).decode())
        assert caller.exports["memory"] is caller.memory
        assert isinstance(caller.instance, whisk.Instance)

    linker = whisk.Linker()
    linker.define("env", "log", log)
    linker.instantiate(GREETER).exports.greet()
    linker.instantiate(GREETER).exports.greet()     # each instance gets its own Caller
    assert seen == ["héllo", "héllo"]


def test_caller_with_instance_imports_and_unannotated_params():
    seen = []

    def log(caller: whisk.Caller, ptr, length):
        view = memoryview(caller.memory)
        seen.append(bytes(view[ptr:ptr + length]))

    inst = whisk.Instance(GREETER, {"env": {"log": log}})
    inst.exports.greet()
    assert seen == ["héllo".encode()]


def test_caller_is_bound_before_the_start_function_and_finds_any_memory():
    seen = []
    m = load("""(module (import "env" "peek" (func $peek))
      (memory (export "mem") 1) (data (i32.const 0) "\\2a")
      (start $peek))""")

    def peek(caller: whisk.Caller) -> None:
        seen.append(caller.memory[0])

    whisk.Instance(m, {"env": {"peek": peek}})
    assert seen == [42]


def test_caller_memory_missing_raises_lookup_error():
    m = load('(module (import "env" "f" (func $f)) (func (export "run") (call $f)))')

    def f(caller: whisk.Caller) -> None:
        caller.memory

    with pytest.raises(LookupError, match="exports no memory"):
        whisk.Instance(m, {"env": {"f": f}}).exports.run()


def test_two_modules_linked_through_define_instance():
    linker = whisk.Linker()
    lib = linker.instantiate(load("""(module
      (memory (export "memory") 1)
      (global (export "base") i32 (i32.const 100))
      (func (export "double") (param i32) (result i32) (i32.mul (local.get 0) (i32.const 2))))"""))
    linker.define_instance("lib", lib)
    app = linker.instantiate(load("""(module
      (import "lib" "double" (func $double (param i32) (result i32)))
      (import "lib" "base" (global $base i32))
      (import "lib" "memory" (memory 1))
      (func (export "run") (param i32) (result i32)
        (i32.store (i32.const 8) (call $double (local.get 0)))
        (i32.add (global.get $base) (i32.load (i32.const 8)))))"""))
    assert app.exports.run(21) == 142
    assert lib.exports.memory.read(8, 4) == (42).to_bytes(4, "little")  # the memory is shared
    assert app.store is lib.store is linker.store


def test_link_error_lists_every_missing_import():
    linker = whisk.Linker()
    linker.define("env", "present", lambda: None)
    m = load("""(module (import "env" "present" (func)) (import "env" "a" (func))
      (import "other" "b" (memory 1)) (import "env" "c" (global i32)))""")
    with pytest.raises(whisk.LinkError, match="unknown import") as info:
        linker.instantiate(m)
    message = str(info.value)
    assert "env.a" in message and "other.b" in message and "env.c" in message
    assert "present" not in message


def test_define_unknown_imports_as_traps():
    m = load("""(module (import "env" "known" (func $k (result i32)))
      (import "env" "missing" (func $m (param i32)))
      (func (export "ok") (result i32) (call $k))
      (func (export "bad") (call $m (i32.const 1))))""")
    linker = whisk.Linker()
    linker.define("env", "known", lambda: 7)
    linker.define_unknown_imports_as_traps(m)
    inst = linker.instantiate(m)
    assert inst.exports.ok() == 7
    with pytest.raises(whisk.Trap, match="env.missing"):
        inst.exports.bad()


def test_unknown_non_function_imports_cannot_be_traps():
    m = load('(module (import "env" "f" (func)) (import "env" "mem" (memory 1)))')
    linker = whisk.Linker()
    with pytest.raises(whisk.LinkError, match="env.mem"):
        linker.define_unknown_imports_as_traps(m)


def test_annotated_function_defined_without_an_import():
    def divmod_(a: whisk.i32, b: whisk.i32) -> tuple[whisk.i32, whisk.i32]:
        return a // b, a % b

    linker = whisk.Linker()
    linker.define("math", "divmod", divmod_)
    assert whisk.func_type_of(divmod_) == whisk.FuncType(("i32", "i32"), ("i32", "i32"))
    m = load("""(module (import "math" "divmod" (func $d (param i32 i32) (result i32 i32)))
      (func (export "run") (result i32 i32) (call $d (i32.const 17) (i32.const 5))))""")
    assert linker.instantiate(m).exports.run() == (3, 2)


def test_func_type_of_reads_every_value_type():
    def f(a: whisk.i64, b: whisk.f32, c: whisk.f64, d: whisk.v128,
          e: whisk.funcref, g: whisk.externref) -> None:
        pass

    def caller_first(caller: whisk.Caller, x: whisk.f64) -> whisk.f64:
        return x

    assert whisk.func_type_of(f) == whisk.FuncType(
        ("i64", "f32", "f64", "v128", "funcref", "externref"), ())
    assert whisk.func_type_of(caller_first) == whisk.FuncType(("f64",), ("f64",))
    with pytest.raises(TypeError, match="not annotated"):
        whisk.func_type_of(lambda x: x)


def test_partly_annotated_function_is_refused():
    def half(a: whisk.i32, b) -> whisk.i32:
        return a

    with pytest.raises(TypeError, match="partly annotated"):
        whisk.Linker().define("env", "half", half)


def test_type_mismatch_names_the_import():
    def wrong(a: whisk.i64) -> whisk.i64:
        return a

    m = load('(module (import "env" "f" (func (param i32) (result i32))))')
    linker = whisk.Linker()
    linker.define("env", "f", wrong)
    with pytest.raises(whisk.LinkError, match=r"incompatible import type for env\.f"):
        linker.instantiate(m)
    # the same check for an annotated callable given to Instance directly
    with pytest.raises(whisk.LinkError, match=r"incompatible import type for env\.f"):
        whisk.Instance(m, {"env": {"f": wrong}})
    linker.allow_shadowing = True
    linker.define("env", "f", whisk.Global("i32", 1))
    with pytest.raises(whisk.LinkError, match=r"incompatible import type for env\.f"):
        linker.instantiate(m)


def test_defining_a_name_twice_needs_allow_shadowing():
    linker = whisk.Linker()
    linker.define("env", "x", lambda: 1)
    with pytest.raises(whisk.LinkError, match="defined twice"):
        linker.define("env", "x", lambda: 2)
    linker.allow_shadowing = True
    linker.define("env", "x", lambda: 2)
    m = load('(module (import "env" "x" (func $x (result i32))) (func (export "run") (result i32) (call $x)))')
    assert linker.instantiate(m).exports.run() == 2


def test_define_rejects_non_externs():
    with pytest.raises(TypeError, match="env.x"):
        whisk.Linker().define("env", "x", 42)


def test_define_wasi_runs_hello_with_captured_stdout():
    out = io.BytesIO()
    linker = whisk.Linker()
    with linker.define_wasi(whisk.WasiConfig(argv=["hello"], stdout=out)) as wasi:
        inst = linker.instantiate(whisk.Module.from_file(EXAMPLES / "hello.wasm"))
        assert wasi.memory is inst.exports.memory
        inst.exports["_start"]()
    assert out.getvalue() == b"Hello, world!\n"


def test_define_wasi_checks_the_import_types():
    m = load('(module (import "wasi_snapshot_preview1" "proc_exit" (func (param i64))))')
    linker = whisk.Linker()
    linker.define_wasi(whisk.WasiConfig(stdout=io.BytesIO())).close()
    with pytest.raises(whisk.LinkError, match="wasi_snapshot_preview1.proc_exit"):
        linker.instantiate(m)


def test_linker_store_limits_apply():
    linker = whisk.Linker(whisk.Store(fuel=1000))
    m = load('(module (func (export "spin") (loop (br 0))))')
    with pytest.raises(whisk.Exhaustion, match="fuel"):
        linker.instantiate(m).exports.spin()
