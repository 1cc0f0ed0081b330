"""Issue 11, items 5 and 11: every public constructor and call checks its arguments with one
rule: ints for integer parameters, int or float for float parameters, TypeError otherwise,
ValueError when out of range, and the message names the argument."""

from __future__ import annotations

import pytest

from trustlib import run_isolated, wat
import whisk

ADD = """(module (func (export "add") (param i32 i32) (result i32)
  (i32.add (local.get 0) (local.get 1)))
  (func (export "f") (param f32 f64) (result f64) (f64.add (f64.promote_f32 (local.get 0)) (local.get 1)))
  (memory (export "mem") 1))"""


def test_func_without_a_callable():
    run_isolated("""
    for args in ((whisk.FuncType([], []),), (whisk.FuncType([], []), None)):
        try:
            whisk.Func(*args)
        except TypeError as exc:
            assert "callable" in str(exc)
        else:
            raise AssertionError("accepted")
    try:
        whisk.Func(whisk.FuncType([], []), 5)
    except TypeError:
        pass
    else:
        raise AssertionError("accepted 5")
    try:
        whisk.Func("not a type", print)
    except TypeError:
        pass
    else:
        raise AssertionError("accepted a string type")
    """)


@pytest.mark.parametrize("timeout", [1e10, float("inf"), 10**30])
def test_a_huge_timeout_runs(timeout):
    e = whisk.Instance(wat(ADD)).exports
    assert e.add(1, 2, timeout=timeout) == 3


@pytest.mark.parametrize("timeout,exc", [("x", TypeError), (-1, ValueError),
                                        (float("nan"), ValueError), (True, TypeError)])
def test_a_bad_timeout(timeout, exc):
    e = whisk.Instance(wat(ADD)).exports
    with pytest.raises(exc, match="timeout"):
        e.add(1, 2, timeout=timeout)


def test_float_parameters_take_int_or_float_only():
    e = whisk.Instance(wat(ADD)).exports
    assert e.f(1, 2.5) == 3.5
    for bad in ("1.5", "nan", b"1", None, 1j):
        with pytest.raises(TypeError, match="f32"):
            e.f(bad, 1.0)
        with pytest.raises(TypeError, match="f64"):
            e.f(1.0, bad)
    with pytest.raises(TypeError, match="i32"):
        e.add("1", 2)
    with pytest.raises(TypeError, match="i32"):
        e.add(1.0, 2)
    with pytest.raises(ValueError, match="i32"):
        e.add(1 << 40, 2)
    with pytest.raises(TypeError, match="f32"):
        whisk.Global("f32", "1.5")


def test_counts_must_be_ints():
    with pytest.raises(TypeError, match="min_pages"):
        whisk.Memory(1.5)
    with pytest.raises(TypeError, match="max_pages"):
        whisk.Memory(1, 2.0)
    mem = whisk.Memory(1)
    with pytest.raises(TypeError, match="delta"):
        mem.grow(1.5)
    with pytest.raises(ValueError, match="delta"):
        mem.grow(-1)
    with pytest.raises(TypeError, match="fuel"):
        whisk.Store(fuel=1.5)
    with pytest.raises(TypeError, match="max_memory_bytes"):
        whisk.Store(max_memory_bytes=1e6)
    with pytest.raises(TypeError, match="min"):
        whisk.Table("funcref", 1.5)
    t = whisk.Table("funcref", 1)
    with pytest.raises(TypeError, match="delta"):
        t.grow(2.0)
    with pytest.raises(TypeError):
        t[0.0]
    with pytest.raises(TypeError):
        mem.read(0.5, 1)
    s = whisk.Store()
    with pytest.raises(TypeError, match="fuel"):
        s.fuel = 2.5


def test_host_func_with_many_parameters_converts_from_python():
    n = 40
    ft = whisk.FuncType(["i32"] * n, ["i32"] * n)
    f = whisk.Func(ft, lambda *a: tuple(x + 1 for x in a))
    assert f(*range(n)) == tuple(range(1, n + 1))
    bad = whisk.Func(ft, lambda *a: (5.5,) + ("x",) * (n - 1))
    with pytest.raises(TypeError):
        bad(*range(n))
    with pytest.raises(TypeError, match="i32"):
        f(*(["x"] * n))


def test_module_source_must_be_bytes():
    with pytest.raises(TypeError, match="bytes"):
        whisk.Module(5)
    assert whisk.Module("(module)").exports == ()       # text (issue 14): a str is WAT
    with pytest.raises(TypeError):
        whisk.Module(None)
    assert whisk.Module(bytearray(b"\0asm\1\0\0\0")).exports == ()
    assert whisk.Module(memoryview(b"\0asm\1\0\0\0")).exports == ()


def test_instance_arguments():
    m = wat(ADD)
    with pytest.raises(TypeError, match="module"):
        whisk.Instance(None)
    with pytest.raises(TypeError, match="imports"):
        whisk.Instance(m, [1, 2])
    imp = wat('(module (import "env" "f" (func)))')
    with pytest.raises(TypeError, match="env"):
        whisk.Instance(imp, {"env": 5})
    with pytest.raises(TypeError, match="store"):
        whisk.Instance(m, store=5)
    with pytest.raises(whisk.LinkError, match="env.f"):
        whisk.Instance(imp, {"env": {"f": 5}})


def test_exports_are_read_only():
    e = whisk.Instance(wat(ADD)).exports
    with pytest.raises(AttributeError):
        setattr(e, "get", 1)
    with pytest.raises(AttributeError):
        e.add = 5
    with pytest.raises(AttributeError):
        del e.add
    with pytest.raises(TypeError):
        e["add"] = 5
    assert e.add(1, 2) == 3


def test_no_fuel_traps_the_first_call():
    inst = whisk.Instance(wat(ADD), store=whisk.Store(fuel=0))
    with pytest.raises(whisk.Exhaustion, match="all fuel consumed"):
        inst.exports.add(1, 2)
    inst.store.fuel = 10
    assert inst.exports.add(1, 2) == 3


def test_linker_store_must_be_a_store():
    with pytest.raises(TypeError, match="store"):
        whisk.Linker(store=5)


def test_nested_calls_that_run_out_of_budget_on_entry():
    # a host function that calls back into wasm many times, with fuel nearly spent: the entry
    # poll of each nested call runs with the GIL held (a crash if it released it)
    m = wat('''(module (import "env" "h" (func $h (param i32) (result i32)))
      (func (export "leaf") (param i32) (result i32) (local.get 0))
      (func (export "top") (param i32) (result i32) (call $h (local.get 0))))''')
    box = {}
    def h(n):
        return sum(box["leaf"](i) for i in range(n))
    store = whisk.Store(fuel=500)
    inst = whisk.Instance(m, {"env": {"h": h}}, store=store)
    box["leaf"] = inst.exports.leaf
    with pytest.raises(whisk.Exhaustion):
        inst.exports.top(100_000)
    store.fuel = None
    assert inst.exports.top(10_000) == sum(range(10_000))


def test_what_the_core_trusts_is_read_only():
    # attributes the core reads without checking (a table's element type, a function's
    # callable and instance) cannot be reassigned from Python
    f = whisk.Func(whisk.FuncType([], []), lambda: None)
    t = whisk.Table("externref", 1)
    g = whisk.Global("i32", 1)
    for obj, name, value in ((f, "callable", None), (f, "instance", 5),
                             (f, "type", whisk.FuncType(["i32"], [])), (t, "elem", "funcref"),
                             (g, "valtype", "f64"), (g, "mutable", True)):
        with pytest.raises(AttributeError):
            setattr(obj, name, value)
    core = whisk.Instance(wat(ADD)).exports.add.instance
    with pytest.raises(IndexError):
        core.table_init(5, 0, 0, 0, 0)
    with pytest.raises(IndexError):
        core.memory_init(3, 0, 0, 0)
    with pytest.raises(IndexError):
        core.elem_drop(7)
    with pytest.raises(IndexError):
        core.data_drop(7)
    with pytest.raises(RuntimeError):
        core.set_elems([])
