"""Issue 11, items 3 and 9: references held only by wasm state keep their functions, instances
and host objects alive, and only for as long as the store can reach them (see the ownership
model in src/whisk/_core/code.pxd and RATIONALE.md).

Each funcref case frees what Python held, churns the allocator with functions of another type
(so a freed record would be reused), then calls through the reference. On a build without the
ownership model these calls ran another function, trapped with "indirect call type mismatch" or
crashed, so each runs in a fresh interpreter."""

from __future__ import annotations

import gc
import weakref

import pytest

from trustlib import run_isolated, wat
import whisk

CHURN = """
def churn():
    gc.collect()
    junk = [whisk.Func(whisk.FuncType(["i64", "f64"], ["f32"]), lambda a, b: 0.0) for _ in range(5000)]
    junk += [whisk.Instance(wat('(module (func (export "f") (param i64)))')) for _ in range(50)]
    return junk
"""

CALLER = """(module
  (type $v (func (result i32)))
  (import "env" "t" (table 2 funcref))
  (func (export "call") (param i32) (result i32) (call_indirect (type $v) (local.get 0))))"""


def test_table_set_from_an_argument_keeps_a_host_function_alive():
    run_isolated(CHURN, """
    m = wat('''(module (type $v (func (result i32))) (table (export "t") 4 funcref)
      (func (export "set") (param i32 funcref) (table.set (local.get 0) (local.get 1)))
      (func (export "call") (param i32) (result i32) (call_indirect (type $v) (local.get 0))))''')
    e = whisk.Instance(m).exports
    e.set(1, whisk.Func(whisk.FuncType([], ["i32"]), lambda: 42))
    junk = churn()
    assert e.call(1) == 42
    assert e.t[1]() == 42
    """)


def test_a_global_keeps_a_function_of_a_dropped_instance_alive():
    run_isolated(CHURN, """
    lib = whisk.Instance(wat('(module (func (export "seven") (result i32) (i32.const 7)))'))
    m = wat('''(module (type $v (func (result i32))) (table 1 funcref)
      (global $g (export "g") (mut funcref) (ref.null func))
      (func (export "setg") (param funcref) (global.set $g (local.get 0)))
      (func (export "callg") (result i32)
        (table.set (i32.const 0) (global.get $g)) (call_indirect (type $v) (i32.const 0))))''')
    e = whisk.Instance(m).exports
    e.setg(lib.exports.seven)
    del lib
    junk = churn()
    assert e.callg() == 7
    assert e.g.value() == 7
    """)


def test_a_host_table_filled_by_a_dropped_instance():
    run_isolated(CHURN, """
    t = whisk.Table("funcref", 2)
    filler = wat('''(module (import "env" "t" (table 2 funcref))
      (func $f (result i32) (i32.const 11)) (elem (i32.const 1) $f))''')
    whisk.Instance(filler, {"env": {"t": t}})     # dropped at once
    junk = churn()
    assert t[1]() == 11
    caller = whisk.Instance(wat(CALLER), {"env": {"t": t}})
    assert caller.exports.call(1) == 11
    """.replace("CALLER", repr(CALLER)))


def test_a_host_global_set_by_a_dropped_instance():
    run_isolated(CHURN, """
    g = whisk.Global("funcref", None, mutable=True)
    setter = wat('''(module (import "env" "g" (global (mut funcref)))
      (func $f (result i32) (i32.const 13)) (elem declare func $f)
      (func (export "go") (global.set 0 (ref.func $f))))''')
    whisk.Instance(setter, {"env": {"g": g}}).exports.go()
    junk = churn()
    assert g.value() == 13
    """)


def test_a_funcref_returned_by_a_host_import():
    run_isolated(CHURN, """
    m = wat('''(module (type $v (func (result i32)))
      (import "env" "make" (func $make (result funcref))) (table 1 funcref)
      (func (export "keep") (table.set (i32.const 0) (call $make)))
      (func (export "call") (result i32) (call_indirect (type $v) (i32.const 0))))''')
    ft = whisk.FuncType([], ["i32"])
    make = whisk.Func(whisk.FuncType([], ["funcref"]), lambda: whisk.Func(ft, lambda: 99))
    e = whisk.Instance(m, {"env": {"make": make}}).exports
    e.keep()
    junk = churn()
    assert e.call() == 99
    """)


def test_host_functions_written_from_python():
    run_isolated(CHURN, """
    t = whisk.Table("funcref", 1)
    ft = whisk.FuncType([], ["i32"])
    t[0] = whisk.Func(ft, lambda: 5)
    t.grow(1, whisk.Func(ft, lambda: 6))
    g = whisk.Global("funcref", whisk.Func(ft, lambda: 8), mutable=True)
    junk = churn()
    assert (t[0](), t[1](), g.value()) == (5, 6, 8)
    caller = whisk.Instance(wat(CALLER), {"env": {"t": t}})
    assert caller.exports.call(0) == 5 and caller.exports.call(1) == 6
    """.replace("CALLER", repr(CALLER)))


def test_an_elem_segment_holds_an_imported_global_function():
    run_isolated(CHURN, """
    ft = whisk.FuncType([], ["i32"])
    g = whisk.Global("funcref", whisk.Func(ft, lambda: 21))
    m = wat('''(module (type $v (func (result i32)))
      (import "env" "g" (global funcref)) (table 1 funcref)
      (elem $e funcref (global.get 0))
      (func (export "init") (table.init $e (i32.const 0) (i32.const 0) (i32.const 1)))
      (func (export "call") (result i32) (call_indirect (type $v) (i32.const 0))))''')
    e = whisk.Instance(m, {"env": {"g": g}}).exports
    del g
    junk = churn()
    e.init()
    assert e.call() == 21
    """)


# ------------------------------------------------------------------------- externref (item 9)
EXTERN = """(module
  (table $t (export "t") 4 externref)
  (global $g (export "g") (mut externref) (ref.null extern))
  (func (export "pass") (param externref) (result externref) (local.get 0))
  (func (export "keep") (param i32 externref) (table.set $t (local.get 0) (local.get 1)))
  (func (export "keepg") (param externref) (global.set $g (local.get 0))))"""


class Obj:
    pass


def test_externrefs_are_released_once_unreachable():
    e = whisk.Instance(wat(EXTERN)).exports
    refs = []
    for _ in range(20_000):
        o = Obj()
        refs.append(weakref.ref(o))
        assert e["pass"](o) is o
    del o
    gc.collect()
    e["pass"](None)                   # a call boundary: the store may sweep here
    alive = sum(r() is not None for r in refs)
    assert alive < 5000, f"{alive} of 20000 externrefs still alive"


def test_externrefs_held_by_tables_and_globals_stay_alive():
    e = whisk.Instance(wat(EXTERN)).exports
    kept, gkept = Obj(), Obj()
    e.keep(2, kept)
    e.keepg(gkept)
    wk, wg = weakref.ref(kept), weakref.ref(gkept)
    del kept, gkept
    for _ in range(20_000):           # enough churn for several sweeps
        e["pass"](Obj())
    gc.collect()
    assert wk() is not None and e.t[2] is wk()
    assert wg() is not None and e.g.value is wg()
    e.keep(2, None)
    for _ in range(20_000):
        e["pass"](Obj())
    gc.collect()
    assert wk() is None               # overwritten: released at a later sweep
    assert e.g.value is wg()


def test_everything_is_released_with_the_store():
    inst = whisk.Instance(wat(EXTERN))
    o = Obj()
    inst.exports.keep(0, o)
    inst.exports.keepg(o)
    w = weakref.ref(o)
    del o
    gc.collect()
    assert w() is not None
    del inst
    gc.collect()
    assert w() is None


def test_host_table_of_externrefs():
    t = whisk.Table("externref", 3)
    o = Obj()
    t[1] = o
    w = weakref.ref(o)
    del o
    gc.collect()
    assert t[1] is w()
    t[1] = None
    for _ in range(3):
        t.grow(1, Obj())
    gc.collect()
    del t
    gc.collect()
    assert w() is None
