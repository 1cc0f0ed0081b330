"""The differential fuzzer's GC set (``--features gc``, tools/fuzz/CAMPAIGNS.md): its settings
of smith, wasmtime and the oracle, the module reader on GC types, how wasmtime's GC values and
traps are read, and (once whisk implements GC) a small campaign. Until then whisk refuses GC
modules, and the harness must report that as a finding ('load'), which is tested too."""

from __future__ import annotations

import subprocess

import pytest

import _fuzzpath  # noqa: F401
import common

pytestmark = pytest.mark.skipif(common.wasm_tools() is None or not common.have_wasmtime(),
                                reason="needs wasm-tools and wasmtime (the test extra)")

GC_SEED = 20261201

#: Exports of every GC value kind, GC traps, GC-typed globals and a table.
GC_MODULE = """
(module
  (type $s (struct (field i32)))
  (type $a (array (mut i8)))
  (rec (type $r1 (sub (struct (field (ref null $r2))))) (type $r2 (sub $r1 (struct (field (ref null $r2))))))
  (func (export "i31") (param i32) (result i31ref) (ref.i31 (local.get 0)))
  (func (export "st") (result (ref $s)) (struct.new $s (i32.const 5)))
  (func (export "ar") (result anyref) (array.new_default $a (i32.const 3)))
  (func (export "nul") (result (ref null $s)) (ref.null $s))
  (func (export "ext") (result externref) (extern.convert_any (ref.i31 (i32.const 7))))
  (func (export "int") (param externref) (result anyref) (any.convert_extern (local.get 0)))
  (func (export "eqn") (param eqref (ref null $r2)) (result i32)
    (i32.add (ref.is_null (local.get 0)) (ref.is_null (local.get 1))))
  (func (export "nonnull") (param (ref $s)) (result i32) (struct.get $s 0 (local.get 0)))
  (func (export "oob") (result i32)
    (array.get_u $a (array.new_default $a (i32.const 3)) (i32.const 5)))
  (func (export "cast") (result i32) (drop (ref.cast (ref $s) (ref.i31 (i32.const 1)))) (i32.const 0))
  (func (export "nullget") (result i32) (struct.get $s 0 (ref.null $s)))
  (func (export "fill")
    (table.set 0 (i32.const 1) (ref.i31 (i32.const 42)))
    (table.set 0 (i32.const 2) (struct.new $s (i32.const 0))))
  (global (export "g") (mut anyref) (struct.new $s (i32.const 1)))
  (global (export "gi") i31ref (ref.i31 (i32.const -1)))
  (global (export "ge") externref (extern.convert_any (ref.i31 (i32.const 9))))
  (global (export "ga") (ref null $a) (array.new_fixed $a 2 (i32.const 1) (i32.const 2)))
  (table (export "t") 3 3 eqref)
)
"""


def _wasm(text: str) -> bytes:
    return subprocess.run([common.wasm_tools(), "parse", "-"], input=text.encode(),
                          capture_output=True, check=True).stdout


def test_gc_feature_set_matches_the_tools():
    fs = common.feature_set("gc", differential=True)
    assert "gc" in fs.features                     # kept even before whisk implements it
    assert fs.validate.split(",")[-1] == "gc"
    flags = fs.smith_flags()
    assert flags[flags.index("--gc-enabled") + 1] == "true"
    assert flags[flags.index("--exceptions-enabled") + 1] == "true"
    settings = dict(fs.wasmtime_settings())        # (the last assignment of each wins)
    assert settings["wasm_gc"] is True and settings["wasm_function_references"] is True
    assert dict(common.feature_set("wasm3", differential=True).wasmtime_settings())["wasm_gc"] \
        is False
    assert common.validate_one(_wasm(GC_MODULE), fs.validate) is None


def test_reader_reads_gc_types():
    imports, exports = common.read_interface(_wasm(GC_MODULE))
    assert imports == []
    assert exports["i31"] == ("func", (("i32",), ("(ref null i31)",)))
    assert exports["st"] == ("func", ((), ("(ref 0:struct)",)))
    assert exports["eqn"] == ("func", (("(ref null eq)", "(ref null 3:struct)"), ("i32",)))
    assert exports["ga"] == ("global", "(ref null 1:array)")
    assert exports["t"] == ("table", "(ref null eq)")


def test_gc_types_classify():
    import differential as d
    assert d.ref_base("(ref null 3:struct)") == "anyref"
    assert d.ref_base("(ref 0:func)") == "funcref"
    assert d.ref_base("(ref null noextern)") == "externref"
    assert d.ref_base("(ref noexn)") == "exnref"
    assert d.ref_base("(ref null none)") == "anyref"
    assert d.ref_base("i32") is None and d.ref_base("(ref null 2:?)") is None
    assert d.callable_export(("i32", "(ref null eq)", "externref"))
    assert not d.callable_export(("(ref 0:struct)",))


def test_wasmtime_gc_values_and_traps():
    import differential as d
    wasm = _wasm(GC_MODULE)
    fs = common.feature_set("gc", differential=True)
    imports, types = common.read_interface(wasm)
    funcs = [(n, t[1][0]) for n, t in types.items() if t[0] == "func"]
    plan = d.make_plan(wasm, [f for f in funcs if d.callable_export(f[1])])
    assert "nonnull" not in {name for name, _ in plan}
    out = d.run_wasmtime(wasm, plan, types, imports, None, fs)
    assert out.inst == "ok"
    first = len(plan) // d.ROUNDS                             # the first round's calls
    got = dict(zip((name for name, _ in plan[:first]), out.calls[:first]))
    i31_arg = plan[0][1][0][1]
    assert got["i31"] == ("ok", (("i31", i31_arg & 0x7FFFFFFF),))
    assert got["st"] == ("ok", (("struct", 1, (5,)),))
    assert got["ar"] == ("ok", (("array", 3, (0, 0, 0)),))
    assert got["nul"] == ("ok", (None,))
    assert got["ext"] == ("ok", (("extern", "any"),))
    eqn_args = next(args for name, args in plan if name == "eqn")
    assert got["eqn"] == ("ok", (sum(v is None for _, v in eqn_args),))
    assert got["oob"] == ("trap", "oob-array")
    assert got["cast"] == ("trap", "cast")
    assert got["nullget"] == ("trap", "null-ref")
    for (name, args), call in zip(plan, out.calls):
        if name == "int":                  # an internalized host reference, or null
            assert call == ("ok", (("any",) if args[0][1] is not None else None,))
    assert out.state["g"] == ("global", "(ref null any)", ("struct", 1, (1,)))
    assert out.state["gi"] == ("global", "(ref null i31)", ("i31", 0x7FFFFFFF))
    assert out.state["ge"] == ("global", "externref", ("extern", "any"))
    assert out.state["ga"] == ("global", "(ref null 1:array)", ("array", 2, (1, 2)))
    assert out.state["t"] == ("table", 3, (None, ("i31", 42), ("struct", 1, (0,))))


def test_wasmtime_gc_allocation_limit_is_a_resource_trap():
    import differential as d
    wasm = _wasm("""(module (type $a (array i8))
      (func (export "big") (result i32) (array.len (array.new_default $a (i32.const -1)))))""")
    fs = common.feature_set("gc", differential=True)
    imports, types = common.read_interface(wasm)
    out = d.run_wasmtime(wasm, [("big", ())], types, imports, None, fs)
    assert out.calls == [("trap", "resource")]


def test_gc_dry_run_classifies_every_outcome(tmp_path):
    import differential
    stats = differential.run_campaign(GC_SEED, 150, save_dir=str(tmp_path), do_shrink=False,
                                      features="gc", wasmtime_only=True)
    assert stats["findings"] == [], stats["findings"]
    outcomes = stats["wasmtime_outcomes"]
    assert outcomes["ok"] > 100 and outcomes.get("state-ref:struct", 0) > 5


def test_whisk_on_a_gc_module():
    # agrees with wasmtime once whisk implements GC; until then its refusal is a finding
    import differential
    fs = common.feature_set("gc", differential=True)
    diff = differential.check(_wasm(GC_MODULE), fs=fs)
    if common.implemented("gc"):
        assert diff is None
    else:
        assert isinstance(diff, tuple) and diff[0] == "load", diff


@pytest.mark.skipif(not common.implemented("gc") if common.wasm_tools() else True,
                    reason="whisk does not implement GC yet")
def test_differential_smoke_gc(tmp_path):
    import differential
    stats = differential.run_campaign(GC_SEED, 150, save_dir=str(tmp_path), do_shrink=False,
                                      features="gc")
    assert stats["findings"] == [], stats["findings"]
    assert stats["compared"] >= 100 and stats["calls_ok"] > 150


def test_struct_and_array_contents_compare():
    # fields and elements by value (packed ones sign-extended, floats by bits or 'nan'),
    # references in them as null or not; both engines alike
    import differential as d
    wasm = _wasm("""(module
      (type $s (struct (field i8) (field (mut i16)) (field i32) (field i64) (field f32)
                       (field f64) (field v128) (field anyref) (field funcref) (field externref)))
      (type $a (array (mut i8)))
      (func $f) (elem declare func $f)
      (func (export "s") (result anyref)
        (struct.new $s (i32.const -1) (i32.const 0x18000) (i32.const -2) (i64.const -3)
          (f32.const nan:0x200000) (f64.const -1.5) (v128.const i32x4 1 2 3 4)
          (ref.i31 (i32.const -5)) (ref.func $f) (ref.null extern)))
      (func (export "a") (result (ref $a)) (array.new $a (i32.const 200) (i32.const 20))))""")
    fs = common.feature_set("gc", differential=True)
    imports, types = common.read_interface(wasm)
    plan = d.make_plan(wasm, [(n, t[1][0]) for n, t in types.items() if t[0] == "func"])
    out = d.run_wasmtime(wasm, plan, types, imports, None, fs)
    m64 = (1 << 64) - 1
    assert out.calls[0] == ("ok", (("struct", 10, (
        -1 & m64, -0x8000 & m64, -2 & m64, -3 & m64, "nan", "000000000000f8bf",
        1 | 2 << 32 | 3 << 64 | 4 << 96, ("ref",), ("ref",), None)),))
    assert out.calls[1] == ("ok", (("array", 20, (-56 & m64,) * d.GC_FIELDS_COMPARED),))
    if common.implemented("gc"):
        assert d.check(wasm, fs=fs) is None


def test_i31_and_host_arguments_reach_both_engines():
    # anyref/eqref/i31ref parameters get i31s (or null), (ref extern) a host token; both
    # engines see the same values
    import differential as d
    wasm = _wasm("""(module
      (func (export "a") (param anyref) (result i32) (i31.get_s (ref.cast i31ref (local.get 0))))
      (func (export "b") (param (ref i31)) (result i32) (i31.get_u (local.get 0)))
      (func (export "c") (param eqref) (result anyref) (local.get 0))
      (func (export "d") (param (ref extern)) (result externref) (local.get 0)))""")
    fs = common.feature_set("gc", differential=True)
    imports, types = common.read_interface(wasm)
    plan = d.make_plan(wasm, [(n, t[1][0]) for n, t in types.items() if t[0] == "func"])
    assert any(v is not None for _, args in plan for t, v in args if t == "(ref null any)")
    out = d.run_wasmtime(wasm, plan, types, imports, None, fs)
    for (name, args), call in zip(plan, out.calls):
        v = args[0][1]
        if name == "a":
            signed = v[1] - (1 << 31) if v and v[1] >> 30 else v[1] if v else None
            assert call == (("ok", (signed & 0xFFFFFFFF,)) if v else ("trap", "null-ref"))
        elif name == "b":
            assert call == ("ok", (v[1],))
        elif name == "c":
            assert call == ("ok", (v,))
        else:
            assert call == ("ok", (v,))
    if common.implemented("gc"):
        assert d.check(wasm, fs=fs) is None


def test_linked_description_keeps_the_providers_rec_groups():
    # the gc set describes a provider's exports with its own type section: a module importing
    # them as described links in both engines (with fresh singleton types it would not)
    import differential as d
    provider = _wasm("""(module
      (rec (type $f (sub (func (param i32) (result i32)))) (type $s (struct (field (ref null $f)))))
      (func (export "f") (type $f) (local.get 0))
      (global (export "g") (mut (ref null $s)) (ref.null $s))
      (table (export "t") 2 2 (ref null $s))
      (tag (export "e") (param i32))
      (memory (export "m") 1 1))""")
    desc = common.imports_module_same_types("a", provider)
    fs = common.feature_set("gc", differential=True)
    assert common.validate_one(desc, fs.validate) is None
    imports, _ = common.read_interface(desc)
    assert [(m, n, k) for m, n, k, _ in imports] == [
        ("a", "f", "func"), ("a", "g", "global"), ("a", "t", "table"), ("a", "e", "tag"),
        ("a", "m", "memory")]
    types = {"a:" + n: t for n, t in common.export_types(provider).items()}
    outcome = d.run_wasmtime(desc, [], types, imports, provider, fs)
    assert outcome.inst == "ok", outcome.inst
    if common.implemented("gc"):
        assert d.check(desc, linked=provider, fs=fs) is None
        assert d.run_whisk(desc, [], imports, linked=provider, fs=fs).inst == "ok"
