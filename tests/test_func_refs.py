"""WebAssembly 3.0 typed function references, rec groups and subtyping, tail calls.

Spec: 3.0 syntax/types (reference types, rec groups, sub types), valid/conventions (closed
types, iso-recursive equivalence), valid/matching (subtyping), valid/instructions (local
initialisation, br_on_null, call_ref, return_call*), exec/instructions (call_indirect checks
subtyping; tail calls replace the caller's frame).
"""

import pytest

wasmtime = pytest.importorskip("wasmtime")
import whisk  # noqa: E402
from whisk.types import (  # noqa: E402
    DefType, FuncType, RefType, SubType, as_reftype, canonical_ids, func_type_id, is_sub_id,
    match_valtype_closed, ref_type,
)


def load(wat: str) -> whisk.Module:
    return whisk.Module(wasmtime.wat2wasm(wat))


# --- representation -----------------------------------------------------------------------

def test_ref_type_normal_form_and_text():
    assert ref_type(True, "func") == "funcref"
    assert ref_type(True, "extern") == "externref"
    assert ref_type(False, "func") == RefType(False, "func")
    assert str(RefType(False, "func")) == "(ref func)"
    assert str(RefType(True, 3)) == "(ref null 3)"
    assert str(RefType(True, "nofunc")) == "(ref null nofunc)"
    assert as_reftype("funcref") == RefType(True, "func")
    assert as_reftype("i32") is None
    with pytest.raises(ValueError):
        ref_type(True, "bogus")
    ft = FuncType([RefType(False, "func"), "i32"], ["externref"])
    assert str(ft) == "[(ref func) i32] -> [externref]"


def test_abstract_subtyping():
    assert match_valtype_closed(RefType(False, "func"), "funcref")
    assert not match_valtype_closed("funcref", RefType(False, "func"))
    assert match_valtype_closed(RefType(True, "nofunc"), "funcref")
    assert not match_valtype_closed(RefType(True, "noextern"), "funcref")
    assert match_valtype_closed(RefType(False, "none"), RefType(True, "eq"))
    assert not match_valtype_closed("externref", "funcref")
    assert not match_valtype_closed("i32", "i64")


def test_canonical_ids_are_iso_recursive():
    f = FuncType([], [])
    # two rec groups of the same shape: equal ids, position by position
    a = canonical_ids([SubType(True, (), FuncType([RefType(True, 1)], [])),
                       SubType(True, (), FuncType([RefType(True, 0)], []))], [2])
    b = canonical_ids([SubType(True, (), FuncType([RefType(True, 1)], [])),
                       SubType(True, (), FuncType([RefType(True, 0)], []))], [2])
    assert a == b and a[0] != a[1]
    # the same function type alone, or in a group: different types
    alone = func_type_id(f)
    grouped = canonical_ids([SubType(True, (), f), SubType(True, (), f)], [2])
    assert alone not in grouped and grouped[0] != grouped[1]
    assert canonical_ids([SubType(True, (), f)], [1]) == [alone]
    # a declared subtype: a subtype of its super, not the other way round
    ids = canonical_ids([SubType(False, (), f), SubType(True, (0,), f)], [1, 1])
    assert is_sub_id(ids[1], ids[0]) and not is_sub_id(ids[0], ids[1])
    # finality is part of the type
    assert canonical_ids([SubType(False, (), f)], [1])[0] != alone


# --- validation ---------------------------------------------------------------------------

def test_typed_refs_in_signatures_and_api():
    m = load("""(module (type $t (func (param i32) (result i32)))
      (func $inc (type $t) (i32.add (local.get 0) (i32.const 1)))
      (elem declare func $inc)
      (func (export "get") (result (ref $t)) (ref.func $inc))
      (func (export "apply") (param (ref $t) i32) (result i32)
        (call_ref $t (local.get 1) (local.get 0))))""")
    inst = whisk.Instance(m)
    get = inst.exports.get
    res = get.type.results[0]
    assert isinstance(res, RefType) and not res.nullable and isinstance(res.heap, DefType)
    f = get()
    assert f(41) == 42
    assert inst.exports.apply(f, 1) == 2
    # (ref $t) is checked at the boundary: null, a foreign value, a Func of another type
    with pytest.raises(TypeError, match="non-nullable"):
        inst.exports.apply(None, 1)
    with pytest.raises(TypeError):
        inst.exports.apply(inst.exports.get, 1)
    host = whisk.Func(FuncType(["i32"], ["i32"]), lambda x: x * 2)
    assert inst.exports.apply(host, 21) == 42          # [i32] -> [i32] alone is $t


@pytest.mark.parametrize("body, message", [
    ("(local (ref func)) (drop (local.get 0))", "uninitialized local"),
    ("(local (ref func)) (block (local.set 0 (ref.func $f))) (drop (local.get 0))",
     "uninitialized local"),
    ("(drop (ref.as_non_null (i32.const 0)))", "type mismatch"),
    ("(call_ref $t (ref.null func))", "type mismatch"),
])
def test_invalid_bodies(body, message):
    with pytest.raises(whisk.ValidationError, match=message):
        load(f"""(module (type $t (func)) (func $f) (elem declare func $f)
                 (func {body}))""")


def test_local_init_set_before_get_is_valid():
    m = load("""(module (func $f) (elem declare func $f)
      (func (export "run") (result i32) (local (ref func))
        (local.set 0 (ref.func $f))
        (block (drop (local.get 0)))
        (ref.is_null (local.get 0))))""")
    assert whisk.Instance(m).exports.run() == 0


def test_heap_types_decode_and_need_the_feature():
    from whisk.binary import decode_module
    from whisk.binary.reader import Reader
    from whisk.binary.sections import decode_expr
    from whisk.errors import DecodeError
    assert decode_expr(Reader(b"\xd0\x73\x0b")) == (whisk.structure.Instr("ref.null", RefType(True, "nofunc")),)
    with pytest.raises(DecodeError, match="malformed heap type"):
        decode_expr(Reader(b"\xd0\x7f\x0b"))              # 3.0: ref.null takes a heap type
    wasm = wasmtime.wat2wasm("(module (type $t (func)) (func (param (ref null $t))))")
    decode_module(wasm)
    with pytest.raises(whisk.DecodeError, match="typed function references are not enabled"):
        whisk.Module(wasm, features=whisk.Features.wasm2())
    with pytest.raises(whisk.DecodeError, match="tail calls are not enabled"):
        load_wasm2("(module (func $f (return_call $f)))")


def load_wasm2(wat: str) -> whisk.Module:
    return whisk.Module(wasmtime.wat2wasm(wat), features=whisk.Features.wasm2())


def test_rec_group_forward_reference_outside_group_is_invalid():
    with pytest.raises(whisk.ValidationError, match="unknown type"):
        load("(module (type (func (param (ref 1)))) (type (func)))")
    load("(module (rec (type (func (param (ref 1)))) (type (func))))")


def test_table_with_initializer():
    m = load("""(module (type $t (func (result i32)))
      (func $seven (type $t) (i32.const 7))
      (table $tab 3 (ref $t) (ref.func $seven))
      (func (export "call") (param i32) (result i32)
        (call_ref $t (table.get $tab (local.get 0)))))""")
    inst = whisk.Instance(m)
    assert [inst.exports.call(i) for i in range(3)] == [7, 7, 7]
    with pytest.raises(whisk.ValidationError, match="type mismatch"):
        load("(module (table 1 (ref func)))")       # a non-nullable table needs an init


# --- canonicalisation and subtyping across modules ----------------------------------------

REC = """(rec (type $a (func (param i32) (result i32))) (type $b (func (result i32))))"""


def test_call_indirect_equivalent_rec_groups_across_modules():
    exporter = whisk.Instance(load(f"""(module {REC}
      (func (export "f") (type $a) (local.get 0)))"""))
    m = load(f"""(module {REC}
      (import "m" "f" (func $f (type $a)))
      (table 1 funcref) (elem (i32.const 0) $f)
      (func (export "run") (param i32) (result i32)
        (call_indirect (type $a) (local.get 0) (i32.const 0))))""")
    assert whisk.Instance(m, {"m": {"f": exporter.exports.f}}).exports.run(5) == 5
    # the same signature outside a rec group is another type: not importable ...
    plain = load("""(module (type $a (func (param i32) (result i32)))
      (import "m" "f" (func (type $a))))""")
    with pytest.raises(whisk.LinkError, match="incompatible import type"):
        whisk.Instance(plain, {"m": {"f": exporter.exports.f}})
    # ... and call_indirect through it traps
    m2 = load("""(module (type $a (func (param i32) (result i32)))
      (table $t (export "t") 1 funcref)
      (func (export "run") (param i32) (result i32)
        (call_indirect (type $a) (local.get 0) (i32.const 0))))""")
    inst2 = whisk.Instance(m2)
    inst2.exports.t[0] = exporter.exports.f
    with pytest.raises(whisk.Trap, match="indirect call type mismatch"):
        inst2.exports.run(1)


SUBS = """(type $super (sub (func (result i32))))
          (type $sub (sub final $super (func (result i32))))"""


def test_call_indirect_accepts_a_declared_subtype():
    m = load(f"""(module {SUBS}
      (func $g (type $sub) (i32.const 9))
      (table 1 funcref) (elem (i32.const 0) $g)
      (func (export "run") (result i32) (call_indirect (type $super) (i32.const 0)))
      (func (export "exact") (result i32) (call_indirect (type $sub) (i32.const 0))))""")
    inst = whisk.Instance(m)
    assert inst.exports.run() == 9 and inst.exports.exact() == 9


def test_func_import_matches_by_subtyping():
    exporter = whisk.Instance(load(f"""(module {SUBS}
      (func (export "sub") (type $sub) (i32.const 1))
      (func (export "super") (type $super) (i32.const 2)))"""))
    want_super = load(f"(module {SUBS} (import \"m\" \"f\" (func (type $super))))")
    want_sub = load(f"(module {SUBS} (import \"m\" \"f\" (func (type $sub))))")
    whisk.Instance(want_super, {"m": {"f": exporter.exports["sub"]}})
    whisk.Instance(want_super, {"m": {"f": exporter.exports["super"]}})
    whisk.Instance(want_sub, {"m": {"f": exporter.exports["sub"]}})
    with pytest.raises(whisk.LinkError, match="incompatible import type"):
        whisk.Instance(want_sub, {"m": {"f": exporter.exports["super"]}})


def test_global_import_matching_with_ref_types():
    f = whisk.Func(FuncType([], []), lambda: None)
    g = whisk.Global(RefType(False, "func"), f)
    imm = load('(module (global (import "m" "g") funcref))')
    whisk.Instance(imm, {"m": {"g": g}})                     # immutable: subtype is enough
    mut = load('(module (global (import "m" "g") (mut funcref)))')
    gm = whisk.Global(RefType(False, "func"), f, mutable=True)
    with pytest.raises(whisk.LinkError, match="incompatible import type"):
        whisk.Instance(mut, {"m": {"g": gm}})               # mutable: types must be equal
    with pytest.raises(TypeError, match="non-nullable"):
        whisk.Global(RefType(False, "func"), None, mutable=True).value = None


# --- instructions -------------------------------------------------------------------------

def test_br_on_null_and_ref_as_non_null():
    m = load("""(module (type $t (func (result i32)))
      (func $f (type $t) (i32.const 3)) (elem declare func $f)
      (func (export "pick") (param i32) (result i32)
        (block $null
          (return (call_ref $t (br_on_null $null
            (select (result (ref null $t)) (ref.func $f) (ref.null $t) (local.get 0))))))
        (i32.const -1))
      (func (export "force") (param i32) (result i32)
        (call_ref $t (ref.as_non_null
          (select (result (ref null $t)) (ref.func $f) (ref.null $t) (local.get 0))))))""")
    inst = whisk.Instance(m)
    assert inst.exports.pick(1) == 3 and inst.exports.pick(0) == -1
    assert inst.exports.force(1) == 3
    with pytest.raises(whisk.Trap, match="null reference"):
        inst.exports.force(0)


def test_call_ref_null_traps():
    m = load("""(module (type $t (func))
      (func (export "run") (call_ref $t (ref.null $t))))""")
    with pytest.raises(whisk.Trap, match="null function reference"):
        whisk.Instance(m).exports.run()


# --- tail calls ---------------------------------------------------------------------------

COUNT = """(module
  (type $t (func (param i64 i64) (result i64)))
  (table 1 funcref) (elem (i32.const 0) $count)
  (elem declare func $count)
  (func $count (export "count") (type $t)
    (if (result i64) (i64.eqz (local.get 0)) (then (local.get 1))
      (else (return_call $count (i64.sub (local.get 0) (i64.const 1))
                                (i64.add (local.get 1) (i64.const 1))))))
  (func $count_ind (export "count_ind") (type $t)
    (if (result i64) (i64.eqz (local.get 0)) (then (local.get 1))
      (else (return_call_indirect (type $t) (i64.sub (local.get 0) (i64.const 1))
                                  (i64.add (local.get 1) (i64.const 1)) (i32.const 0)))))
  (func $count_ref (export "count_ref") (type $t)
    (if (result i64) (i64.eqz (local.get 0)) (then (local.get 1))
      (else (return_call_ref $t (i64.sub (local.get 0) (i64.const 1))
                                (i64.add (local.get 1) (i64.const 1)) (ref.func $count_ref)))))
  (func $plain (export "plain") (type $t)
    (if (result i64) (i64.eqz (local.get 0)) (then (local.get 1))
      (else (call $plain (i64.sub (local.get 0) (i64.const 1))
                         (i64.add (local.get 1) (i64.const 1)))))))"""


def test_tail_recursion_runs_in_constant_stack_space():
    # a call depth limit of 50 frames: ten million tail calls never get near it (each
    # callee's frame replaces the caller's), while plain recursion exhausts it at once
    store = whisk.Store(max_call_depth=50)
    inst = whisk.Instance(load(COUNT), store=store)
    assert inst.exports.count(10_000_000, 0) == 10_000_000
    assert inst.exports.count_ind(100_000, 0) == 100_000
    assert inst.exports.count_ref(100_000, 0) == 100_000
    assert inst.exports.plain(40, 0) == 40
    with pytest.raises(whisk.Exhaustion):
        inst.exports.plain(1000, 0)


def test_tail_call_to_host_function():
    m = load("""(module
      (import "h" "twice" (func $twice (param i32) (result i32)))
      (func (export "run") (param i32) (result i32)
        (return_call $twice (i32.add (local.get 0) (i32.const 1))))
      (func (export "nested") (param i32) (result i32)
        (i32.add (call 1 (local.get 0)) (i32.const 100))))""")
    inst = whisk.Instance(m, {"h": {"twice": lambda x: 2 * x}})
    assert inst.exports.run(4) == 10
    assert inst.exports.nested(4) == 110


def test_return_call_result_types_must_match():
    with pytest.raises(whisk.ValidationError, match="type mismatch"):
        load("""(module (func $f (result i64) (i64.const 0))
                (func (result i32) (return_call $f)))""")


def test_describe_prints_typed_references():
    from whisk.describe import describe, format_text
    m = load("""(module (type $t (func (param i32) (result i32)))
      (func $f (export "f") (type $t) (local.get 0))
      (func (export "g") (param (ref null $t)) (result (ref func)) (ref.func $f)))""")
    text = format_text(describe(m))
    assert "g: func [(ref null $type" in text and "-> [(ref func)]" in text
