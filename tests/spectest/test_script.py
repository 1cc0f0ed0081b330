"""Unit tests of the spec runner: the JSON reader (spectest.script, on small hand-written .wast
scripts converted by wasm-tools/WABT), values and patterns, the runner (on a fake engine), the
converter cache and the engine adapters."""

import struct
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from spectest import convert as C  # noqa: E402
from spectest import script as S  # noqa: E402
from spectest import values as V  # noqa: E402
from spectest.engines import Failure  # noqa: E402
from spectest.signatures import export_signatures  # noqa: E402
from spectest.wasmtime_engine import _thunk_wat  # noqa: E402
from spectest.runner import FileResult, ScriptRunner, run_script  # noqa: E402

F32, F64 = "f32", "f64"


def f32_bits(x: float) -> int:
    return struct.unpack("<I", struct.pack("<f", x))[0]


def f64_bits(x: float) -> int:
    return struct.unpack("<Q", struct.pack("<d", x))[0]


def commands(text):
    """The commands of a script given as text (converted without the cache)."""
    return S.read_commands(C.convert_text(text))


# ------------------------------------------------------------------------------ values


@pytest.mark.parametrize("bits,fmt,text", [
    (0x3F800000, F32, "0x1p+0"), (0x80000000, F32, "-0x0p+0"), (0x7F800000, F32, "inf"),
    (0xFFC00000, F32, "-nan:0x400000"), (1, F32, "0x0.000002p-126"), (0x40400000, F32, "0x1.8p+1"),
    (0x3FF8000000000000, F64, "0x1.8p+0"), (0xFFF0000000000000, F64, "-inf"),
    (0x7FF0000000000001, F64, "nan:0x1"),
])
def test_float_bits_to_text(bits, fmt, text):
    assert V.float_bits_to_text(bits, fmt) == text


@given(st.floats(allow_nan=False))
def test_float_bits_to_text_is_exact(x):
    # a Python float's hex form names the same value
    text = V.float_bits_to_text(f64_bits(x), F64)
    if "inf" not in text:
        assert float.fromhex(text) == x and str(float.fromhex(text))[0] == str(x)[0]


def test_format_float_bits():
    assert V.format_float_bits(0x3F800000, F32).startswith("1.0 ")
    assert "nan:0x200000" in V.format_float_bits(0x7FA00000, F32)


@given(st.integers(0, (1 << 128) - 1))
def test_split_lanes(v):
    assert sum(x << (32 * i) for i, x in enumerate(V.split_lanes(v, "i32x4"))) == v
    assert V.split_lanes(v, "i8x16") == list(v.to_bytes(16, "little"))


# ------------------------------------------------------------------------------ JSON values


def test_read_value():
    rv = S.read_value
    assert rv({"type": "i32", "value": "-1"}) == V.Value("i32", 0xFFFFFFFF)
    assert rv({"type": "i32", "value": "4294967295"}) == V.Value("i32", 0xFFFFFFFF)  # WABT's form
    assert rv({"type": "i64", "value": "-9223372036854775808"}) == V.Value("i64", 1 << 63)
    assert rv({"type": "f32", "value": "2143289344"}) == V.Value("f32", 0x7FC00000)
    assert rv({"type": "v128", "lane_type": "i16", "value": ["-1", "0", "0", "0", "0", "0", "0", "1"]}) \
        == V.Value("v128", 0xFFFF | (1 << 112))
    assert rv({"type": "externref", "value": "7"}) == V.Value("externref", V.ExternRef(7))
    assert rv({"type": "anyref", "value": "7"}) == V.Value("anyref", V.HostRef(7))
    for t in ("funcref", "externref", "exnref", "anyref"):
        assert rv({"type": t, "value": "null"}) == V.Value(t, None)
    assert rv({"type": "nullexternref"}) == V.Value("nullexternref", None)
    for bad in [{"type": "i32", "value": "4294967296"}, {"type": "i32", "value": "x"},
                {"type": "v128", "lane_type": "i32", "value": ["0"]}, {"type": "funcref"},
                {"type": "s33", "value": "0"}]:
        with pytest.raises(S.ScriptError):
            rv(bad)


def test_read_pattern_numbers():
    rp, Val = S.read_pattern, V.Value
    assert rp({"type": "i32", "value": "-1"}).matches(Val("i32", 0xFFFFFFFF))
    assert not rp({"type": "i32", "value": "-1"}).matches(Val("i64", 0xFFFFFFFF))
    canon = rp({"type": "f32", "value": "nan:canonical"})
    arith = rp({"type": "f32", "value": "nan:arithmetic"})
    assert canon == V.NanPat("f32", "canonical")
    assert canon.matches(Val("f32", 0x7FC00000)) and canon.matches(Val("f32", 0xFFC00000))
    assert not canon.matches(Val("f32", 0x7FC00001)) and not canon.matches(Val("f32", 0x7FA00000))
    assert arith.matches(Val("f32", 0x7FC00001)) and arith.matches(Val("f32", 0xFFE00000))
    assert not arith.matches(Val("f32", 0x7FA00000)) and not arith.matches(Val("f32", 0x7F800000))
    assert rp({"type": "f64", "value": "9221120237041090560"}).matches(Val("f64", 0x7FF8000000000000))
    assert not rp({"type": "f64", "value": "0"}).matches(Val("f64", 1 << 63))
    p = rp({"type": "v128", "lane_type": "f32",
            "value": ["nan:canonical", str(0x3F800000), "nan:arithmetic", str(0x80000000)]})
    assert isinstance(p, V.V128Pat)
    good = 0x7FC00000 | (0x3F800000 << 32) | (0x7FC12345 << 64) | (0x80000000 << 96)
    assert p.matches(Val("v128", good))
    assert not p.matches(Val("v128", good ^ 1))
    assert not p.matches(Val("v128", good & ~(0x00400000 << 64)))
    exact = rp({"type": "v128", "lane_type": "f64", "value": ["0", str(0x3FF0000000000000)]})
    assert exact == V.Const("v128", 0x3FF0000000000000 << 64)
    either = rp({"type": "either", "values": [{"type": "i32", "value": "1"}, {"type": "i32", "value": "2"}]})
    assert either.matches(Val("i32", 2)) and not either.matches(Val("i32", 3))


def test_read_pattern_references():
    rp, Val = S.read_pattern, V.Value
    func = object()
    any_null = rp({"type": "refnull"})
    assert any_null.matches(Val("funcref", None)) and any_null.matches(Val("exnref", None))
    assert not any_null.matches(Val("funcref", func)) and not any_null.matches(Val("i32", 0))
    null_func = rp({"type": "funcref", "value": "null"})
    assert null_func.matches(Val("funcref", None)) and null_func.matches(Val(None, None))
    assert not null_func.matches(Val("externref", None))  # another hierarchy
    assert rp({"type": "nullfuncref"}).matches(Val("funcref", None))  # (ref.null nofunc)
    assert rp({"type": "nullexnref"}).matches(Val("exnref", None))
    assert not rp({"type": "nullexnref"}).matches(Val("externref", None))
    assert rp({"type": "exnref", "value": "null"}).matches(Val("nullexnref", None))
    assert rp({"type": "funcref", "value": "null"}).matches(Val("(ref null 0)", None))  # unknown type names
    ref_func = rp({"type": "funcref"})
    assert ref_func.matches(Val("funcref", func)) and not ref_func.matches(Val("funcref", None))
    assert not ref_func.matches(Val("externref", V.ExternRef(1)))
    assert rp({"type": "funcref", "value": {"index": 3}}) == V.RefFunc(3)
    assert rp({"type": "externref", "value": "1"}).matches(Val("externref", V.ExternRef(1)))
    assert not rp({"type": "externref", "value": "1"}).matches(Val("externref", V.ExternRef(2)))
    assert rp({"type": "externref"}).matches(Val("externref", V.ExternRef(5)))
    assert not rp({"type": "externref"}).matches(Val("externref", None))
    assert rp({"type": "anyref", "value": "2"}).matches(Val("anyref", V.HostRef(2)))
    ref_exn = V.RefType("exn")
    assert ref_exn.matches(Val("exnref", object())) and not ref_exn.matches(Val("exnref", None))
    assert not ref_exn.matches(Val("funcref", func))
    assert rp({"type": "eqref"}) == V.RefType("eq")
    for bad in [{"type": "funcref", "value": "x"}, {"type": "either", "values": []}, {"type": "x"}]:
        with pytest.raises((S.ScriptError, ValueError)):
            rp(bad)


# ------------------------------------------------------------------------------ JSON commands


SCRIPT = r'''
(module $M1 (func (export "f") (param i32) (result i32) (local.get 0)))
(module binary "\00asm" "\01\00\00\00")
(module quote "(func)" "(memory 1)")
(register "m1" $M1)
(register "cur")
(invoke $M1 "f" (i32.const 1))
(assert_return (get "g") (i64.const -2))
(assert_return (invoke "f" (f32.const 1.5) (v128.const i8x16 0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15))
               (f32.const nan:canonical))
(assert_return (invoke "r" (ref.null func) (ref.null extern) (ref.null exn) (ref.extern 4))
               (ref.null) (ref.func) (ref.extern) (ref.extern 4) (ref.null exn) (ref.null nofunc)
               (either (i32.const 1) (v128.const f32x4 nan:arithmetic 0 1 -0)))
(assert_trap (invoke "f") "unreachable")
(assert_trap (module (func $s unreachable) (start $s)) "unreachable")
(assert_exhaustion (invoke "r") "call stack exhausted")
(assert_exception (invoke $M1 "throw" (i64.const -1)))
(assert_malformed (module quote "(func") "unexpected token")
(assert_malformed (module binary "\00asm") "unexpected end")
(assert_invalid (module (func (result i32))) "type mismatch")
(assert_invalid (module quote "(func (result i32))") "type mismatch")
(assert_unlinkable (module (import "x" "y" (func))) "unknown import")
(module definition $D (memory 65536))
(module definition (func))
(module instance $I1 $D)
(module instance $D)
(module instance)
'''


def test_read_commands():
    cmds = commands(SCRIPT)
    kinds = [c.kind for c in cmds]
    assert kinds == [
        "module", "module", "module", "register", "register", "action", "assert_return",
        "assert_return", "assert_return", "assert_trap", "assert_uninstantiable", "assert_exhaustion",
        "assert_exception", "assert_malformed", "assert_malformed", "assert_invalid",
        "assert_invalid", "assert_unlinkable", "module_definition", "module_definition",
        "module_instance", "module_instance", "module_instance",
    ]
    (m1, mb, mq, r1, r2, inv, get, ar, refs, at, au, ae, aexc, amq, amb, ai, aiq, aul,
     d1, d2, i1, i2, i3) = cmds
    assert [c.line for c in cmds[:4]] == [2, 3, 4, 5]
    assert m1.form == "binary" and m1.binary.startswith(b"\0asm") and m1.name in ("$M1", "M1")
    assert mb.binary == b"\x00asm\x01\x00\x00\x00" and mb.name is None
    assert mq.form == "text" and mq.text.split() == ["(func)", "(memory", "1)"] and mq.binary.startswith(b"\0asm")
    assert (r1.as_name, r1.module) == ("m1", m1.name) and (r2.as_name, r2.module) == ("cur", None)
    assert inv.action == S.Action("invoke", m1.name, "f", (V.Value("i32", 1),))
    assert get.action == S.Action("get", None, "g") and get.expected == (V.Const("i64", (1 << 64) - 2),)
    assert ar.action.args == (V.Value("f32", 0x3FC00000), V.Value("v128", int.from_bytes(bytes(range(16)), "little")))
    assert ar.expected == (V.NanPat("f32", "canonical"),)
    assert refs.action.args == (V.Value("funcref", None), V.Value("externref", None),
                                V.Value("exnref", None), V.Value("externref", V.ExternRef(4)))
    assert refs.expected[:6] == (V.RefNull(None), V.RefFunc(), V.RefExtern(None), V.RefExtern(4),
                                 V.RefNull("exn"), V.RefNull("nofunc"))
    assert refs.expected[6] == V.Either((V.Const("i32", 1), V.V128Pat("f32x4", ("arithmetic", 0, 0x3F800000, 0x80000000))))
    assert at.message == "unreachable" and au.module.binary.startswith(b"\0asm")
    assert isinstance(aexc, S.AssertException) and aexc.action.args == (V.Value("i64", (1 << 64) - 1),)
    assert amq.module.form == "text" and amq.module.binary is None and amb.module.form == "binary"
    assert ai.message == "type mismatch" and aiq.module.form == "text" and aiq.module.binary
    assert isinstance(d1, S.ModuleDefinition) and d1.name in ("$D", "D") and d2.name is None
    assert (i1.instance, i1.module) == (i1.instance, d1.name) and i1.instance in ("$I1", "I1")
    assert (i2.instance, i2.module) == (None, d1.name)  # one name is the module's
    assert (i3.instance, i3.module) == (None, None)


def test_unreadable_values_keep_their_kind():
    [c] = S.read_commands(C.Converted({"commands": [
        {"type": "assert_return", "line": 3, "action": {"type": "invoke", "field": "f", "args": []},
         "expected": [{"type": "contref", "value": "7"}]}]}, {}, "test"))
    assert isinstance(c, S.Unsupported) and c.kind == "assert_return" and c.line == 3
    [c] = S.read_commands(C.Converted({"commands": [{"type": "thread", "line": 9}]}, {}, "test"))
    assert c.kind == "unsupported" and "thread" in c.reason


def test_legacy_exceptions_use_wast2json():
    conv = C.convert_text('''(module (func (import "spectest" "print")) (func (import "spectest" "print_i32") (param i32)))
(module (tag $e) (func (export "f") (try (do (throw $e)) (catch_all))))
(assert_return (invoke "f"))
(assert_exception (invoke "f"))''')
    assert conv.tool == "wast2json"
    imports, m, ar, ae = S.read_commands(conv)
    assert m.binary.startswith(b"\0asm") and ar.kind == "assert_return" and ae.kind == "assert_exception"
    # two imports from one module are encoded as WebAssembly 3.0 has them (not as a compact
    # import group, which WABT writes with --enable-all)
    import whisk

    assert [(i.module, i.name) for i in whisk.Module(imports.binary).imports] == [
        ("spectest", "print"), ("spectest", "print_i32")]


def test_convert_error_and_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("WHISK_WAT_CACHE", str(tmp_path / "cache"))
    bad = tmp_path / "bad.wast"
    bad.write_text("(module (func (i32.bogus)))")
    with pytest.raises(C.ConvertError, match="wasm-tools"):
        C.convert(bad)
    good = tmp_path / "good.wast"
    good.write_text('(module (func (export "f")))\n(assert_return (invoke "f"))\n')
    first = C.convert(good)
    # a second conversion of the same text (even under another name) comes from the cache
    monkeypatch.setattr(C, "_run", lambda *a: pytest.fail("converter called on a cached script"))
    copy = tmp_path / "copy.wast"
    copy.write_bytes(good.read_bytes())
    assert C.convert(copy) == first
    with pytest.raises(C.ConvertError, match="wasm-tools"):  # the rejection is cached too
        C.convert(bad)
    assert not list((tmp_path / "cache").rglob(".tmp-*"))


# ------------------------------------------------------------------------------ runner (fake engine)


class FakeEngine:
    """A tiny engine: modules are binaries mapped (by the test) to behaviours."""

    name = "fake"
    merged_compile_errors = False

    def __init__(self, exact=True):
        self.exact_messages = exact
        self.instantiated = []

    def spectest(self):
        return {"print": None}

    def load(self, binary):
        if binary == b"malformed":
            raise Failure("malformed", "unexpected end of section")
        if binary == b"invalid":
            raise Failure("invalid", "type mismatch in block")
        return binary

    def instantiate(self, module, registry):
        if module == b"unlinkable":
            raise Failure("unlinkable", "unknown import")
        if module == b"trapstart":
            raise Failure("uninstantiable", "unreachable executed")
        if module == b"needs-reg" and "reg" not in registry:
            raise Failure("unlinkable", "unknown import")
        self.instantiated.append(module)
        return {"name": module, "n": len(self.instantiated), "exports": {"id": "id", "g": 42}}

    def exports(self, inst):
        return inst["exports"]

    def invoke(self, inst, name, args):
        if name == "id":
            return list(args)
        if name == "trap":
            raise Failure("trap", "integer divide by zero")
        if name == "deep":
            raise Failure("exhaustion", "call stack exhausted")
        if name == "throw":
            raise Failure("exception", "uncaught exception")
        if name == "which":
            return [V.Value("i32", len(inst["name"]))]
        if name == "serial":
            return [V.Value("i32", inst["n"])]
        if name == "crash":
            raise ZeroDivisionError("boom")
        raise LookupError(name)

    def get(self, inst, name):
        return V.Value("i32", inst["exports"][name])


def run_fake(text, exact=True):
    result = FileResult("<test>")
    ScriptRunner(FakeEngine(exact), result).run(commands(text))
    return result


def test_runner_counts():
    r = run_fake(r'''
(module $a binary "xx")
(assert_return (invoke "id" (i32.const 1)) (i32.const 1))
(assert_return (invoke "id" (i32.const 1)) (i32.const 2))
(assert_return (invoke "id" (i32.const 1)))
(assert_return (get "g") (i32.const 42))
(assert_trap (invoke "trap") "integer divide")
(assert_trap (invoke "trap") "integer overflow")
(assert_trap (invoke "id") "unreachable")
(assert_exhaustion (invoke "deep") "call stack exhausted")
(assert_exhaustion (invoke "trap") "call stack exhausted")
(assert_malformed (module binary "malformed") "unexpected end")
(assert_malformed (module binary "invalid") "unexpected end")
(assert_malformed (module quote "(func") "unexpected token")
(assert_malformed (module quote "(func)") "unexpected token")
(assert_invalid (module binary "invalid") "type mismatch")
(assert_invalid (module binary "fine") "type mismatch")
(assert_unlinkable (module binary "unlinkable") "unknown import")
(assert_trap (module binary "trapstart") "unreachable")
(assert_trap (module binary "fine") "unreachable")
(invoke "crash")
(assert_exception (invoke "throw"))
(assert_exception (invoke "trap"))
(assert_exception (invoke "id"))
(assert_trap (invoke "throw") "unreachable")
''')
    c = r.counts
    assert c["module"] == [1, 0, 0]
    assert c["assert_return"] == [2, 2, 0]
    assert c["assert_trap"] == [1, 3, 0]
    assert c["assert_exhaustion"] == [1, 1, 0]
    assert c["assert_malformed"] == [1, 1, 2]
    assert c["assert_invalid"] == [1, 1, 0]
    assert c["assert_unlinkable"] == [1, 0, 0]
    assert c["assert_uninstantiable"] == [1, 1, 0]
    assert c["action"] == [0, 1, 0]
    assert c["assert_exception"] == [1, 2, 0]
    lines = [f[0] for f in r.failures]
    assert lines == [4, 5, 8, 9, 11, 13, 17, 20, 21, 23, 24, 25]
    assert "ZeroDivisionError" in r.failures[8][2]
    assert "expected exception" in r.failures[9][2] and "got trap" in r.failures[9][2]
    assert "but it succeeded" in r.failures[10][2] and "got exception" in r.failures[11][2]
    assert r.passed == 10 and r.failed == 12 and r.skipped == 2


def test_runner_inexact_messages():
    r = run_fake(r'''
(module binary "xx")
(assert_trap (invoke "trap") "something else")
(assert_malformed (module binary "malformed") "other words")
(assert_exhaustion (invoke "trap") "call stack exhausted")
''', exact=False)
    assert r.counts["assert_trap"] == [1, 0, 0]
    assert r.counts["assert_malformed"] == [1, 0, 0]
    assert r.counts["assert_exhaustion"] == [0, 1, 0]  # the kind still counts


def test_runner_named_modules_and_register():
    r = run_fake(r'''
(module $a binary "a")
(module $bbb binary "bbb")
(assert_return (invoke "which") (i32.const 3))
(assert_return (invoke $a "which") (i32.const 1))
(assert_return (invoke $bbb "which") (i32.const 3))
(module binary "needs-reg")
(register "reg" $a)
(module binary "needs-reg")
(assert_return (invoke "which") (i32.const 9))
(assert_return (invoke $zzz "which") (i32.const 1))
''')
    assert r.counts["assert_return"] == [4, 1, 0]
    assert r.counts["module"] == [3, 1, 0]
    assert [f[0] for f in r.failures] == [7, 11]


def test_runner_module_definitions_and_instances():
    r = run_fake(r'''
(module definition $D binary "dd")
(module instance $I1 $D)
(module instance $I2 $D)
(assert_return (invoke $I1 "serial") (i32.const 1))
(assert_return (invoke $I2 "serial") (i32.const 2))
(assert_return (invoke "serial") (i32.const 2))
(register "reg" $I1)
(module binary "needs-reg")
(assert_return (invoke "serial") (i32.const 3))
(module definition binary "trapstart")
(module instance)
(assert_return (invoke "serial") (i32.const 3))
(module definition $X binary "malformed")
(module instance $X)
(module instance $nope)
(module definition binary "never-instantiated")
''')
    assert r.counts["module_definition"] == [3, 1, 0]
    assert r.counts["module_instance"] == [2, 3, 0]
    assert r.counts["assert_return"] == [4, 1, 0]  # line 13: the latest instance failed
    assert [f[0] for f in r.failures] == [12, 13, 14, 15, 16]
    assert "unreachable executed" in r.failures[0][2]


def test_runner_text_modules_that_do_not_encode_are_skips():
    conv = C.Converted({"commands": [
        {"type": "module", "line": 1, "name": "m", "filename": "a.wat", "module_type": "text"},
        {"type": "assert_return", "line": 2, "action": {"type": "invoke", "module": "m", "field": "id", "args": []}, "expected": []},
        {"type": "assert_invalid", "line": 3, "filename": "a.wat", "module_type": "text", "text": "type mismatch"},
        {"type": "assert_unlinkable", "line": 4, "filename": "a.wat", "module_type": "text", "text": "unknown import"},
        {"type": "assert_malformed_custom", "line": 5, "filename": "a.wat", "module_type": "text", "text": "x"},
        {"type": "assert_invalid_custom", "line": 6, "filename": "b.wasm", "module_type": "binary", "text": "x"},
        {"type": "module", "line": 7, "filename": "b.wasm", "module_type": "binary"},
        {"type": "assert_return", "line": 8, "action": {"type": "invoke", "field": "which", "args": []},
         "expected": [{"type": "i32", "value": "2"}]},
    ]}, {"a.wat": b"(module (func BAD))", "b.wasm": b"ok"}, "test")
    result = FileResult("<test>")
    ScriptRunner(FakeEngine(), result).run(S.read_commands(conv))
    from spectest import runner as R

    cats = [(line, cat) for line, kind, cat, detail in result.skips]
    assert cats == [(1, R.SKIP_TEXT_CANNOT), (2, R.SKIP_DEPENDS), (3, R.SKIP_TEXT_REJECTS),
                    (4, R.SKIP_TEXT_CANNOT), (5, R.SKIP_CUSTOM), (6, R.SKIP_CUSTOM)]
    assert result.failed == 0 and result.passed == 2


def test_report_by_folder(tmp_path):
    import io

    from spectest.runner import report

    results = [FileResult(str(tmp_path / "a" / "x.wast"), counts={"module": [2, 0, 1]}),
               FileResult(str(tmp_path / "a" / "y.wast"), counts={"module": [1, 1, 0]}),
               FileResult(str(tmp_path / "b" / "c" / "z.wast"), counts={"assert_return": [5, 0, 0]})]
    out = io.StringIO()
    assert report(results, out=out, by_folder=True) == (8, 1, 1)
    rows = {line.split()[0]: line.split()[1:] for line in out.getvalue().splitlines()
            if line.startswith(("a ", "b/c "))}
    assert rows == {"a": ["2", "1", "3", "1", "1"], "b/c": ["1", "0", "5", "0", "0"]}


# ------------------------------------------------------------------------------ adapters


def test_export_signatures():
    import wasmtime

    wasm = wasmtime.wat2wasm('''(module
      (type (func (param f32) (result v128 i64)))
      (import "a" "g" (global $g (mut f64)))
      (import "a" "f" (func $f (type 0)))
      (import "a" "t" (table 1 funcref))
      (import "a" "m" (memory 1 2))
      (global $h v128 (v128.const i32x4 1 2 3 4))
      (global $k (mut externref) (ref.null extern))
      (func $x (param v128 funcref externref))
      (export "f" (func $f)) (export "x" (func $x)) (export "g" (global $g))
      (export "h" (global $h)) (export "k" (global $k)))''')
    funcs, globs = export_signatures(bytes(wasm))
    assert funcs == {"f": (("f32",), ("v128", "i64")), "x": (("v128", "funcref", "externref"), ())}
    assert globs == {"g": ("f64", True), "h": ("v128", False), "k": ("externref", True)}


def test_export_signatures_3_0():
    [m] = commands('''(module
      (type $ft (func (param i32) (result i32)))
      (import "a" "t" (tag (param i32)))
      (import "a" "tab" (table i64 1 funcref))
      (import "a" "mem" (memory i64 1))
      (import "a" "g" (global (ref null $ft)))
      (table 1 (ref null $ft) (ref.null $ft))
      (global $x (mut exnref) (ref.null exn))
      (global $y i32 (i32.add (i32.const 1) (i32.const 2)))
      (func $f (param (ref $ft) nullfuncref) (result exnref (ref null extern)) unreachable)
      (export "f" (func $f)) (export "x" (global $x)) (export "y" (global $y)) (export "g" (global 0)))''')
    funcs, globs = export_signatures(m.binary)
    assert funcs == {"f": (("(ref 0)", "nullfuncref"), ("exnref", "externref"))}
    assert globs == {"g": ("(ref null 0)", False), "x": ("exnref", True), "y": ("i32", False)}


def test_wasmtime_3_0_adapter():
    from spectest.wasmtime_engine import Wasmtime3Engine

    r = run_script(commands('''(module
      (import "spectest" "table64" (table i64 10 funcref))
      (tag $e (param i32))
      (func (export "throw") (param i32) (throw $e (local.get 0)))
      (func (export "catch") (result i32)
        (block $h (result i32) (try_table (catch $e $h) (call 0 (i32.const 7))) (i32.const 0)))
      (func (export "tail") (result f32) (return_call 3))
      (func (result f32) (f32.const nan:0x1)))
    (assert_exception (invoke "throw" (i32.const 1)))
    (assert_return (invoke "catch") (i32.const 7))
    (assert_return (invoke "tail") (f32.const nan:0x1))
    (assert_trap (invoke "throw" (i32.const 1)) "unreachable")'''), Wasmtime3Engine())
    assert r.counts == {"module": [1, 0, 0], "assert_exception": [1, 0, 0], "assert_return": [2, 0, 0],
                        "assert_trap": [0, 1, 0]}


def test_thunk_wat_encodes():
    import wasmtime

    for params, results in [((), ()), (("f32", "v128", "i32"), ("f64", "v128", "externref")), (("v128",), ("v128", "v128"))]:
        assert wasmtime.wat2wasm(_thunk_wat(params, results))


def test_wasmtime_adapter_end_to_end(tmp_path, monkeypatch):
    from spectest.wasmtime_engine import WasmtimeEngine

    monkeypatch.setenv("WHISK_WAT_CACHE", str(tmp_path / "cache"))
    text = r'''
(module $m
  (func (export "neg") (param f32) (result f32) (f32.neg (local.get 0)))
  (func (export "swap") (param v128 f64) (result f64 v128) (local.get 1) (local.get 0))
  (func (export "ext") (param externref) (result externref) (local.get 0))
  (func (export "null") (result funcref) (ref.null func))
  (func (export "self") (result funcref) (ref.func 0))
  (func (export "div") (param i32) (result i32) (i32.div_u (i32.const 1) (local.get 0)))
  (func $r (export "r") (call $r))
  (global (export "gf") (mut f32) (f32.const nan:0x200001))
  (global (export "gv") v128 (v128.const i8x16 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16))
)
(assert_return (invoke "neg" (f32.const nan:0x200000)) (f32.const -nan:0x200000))
(assert_return (invoke "swap" (v128.const i32x4 1 2 3 -1) (f64.const -nan:0x1))
               (f64.const -nan:0x1) (v128.const i32x4 1 2 3 -1))
(assert_return (invoke "ext" (ref.extern 3)) (ref.extern 3))
(assert_return (invoke "ext" (ref.null extern)) (ref.null extern))
(assert_return (invoke "null") (ref.null func))
(assert_return (invoke "self") (ref.func))
(assert_return (invoke "div" (i32.const -1)) (i32.const 0))
(assert_trap (invoke "div" (i32.const 0)) "integer divide by zero")
(assert_exhaustion (invoke "r") "call stack exhausted")
(assert_return (get "gf") (f32.const nan:0x200001))
(assert_return (get "gv") (v128.const i8x16 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16))
(assert_invalid (module (func (result i32))) "type mismatch")
(assert_malformed (module binary "\00asm\01") "unexpected end")
(assert_unlinkable (module (import "spectest" "print_i32" (global i32))) "incompatible import type")
(assert_unlinkable (module (import "nowhere" "x" (func))) "unknown import")
(assert_trap (module (func $s unreachable) (start $s)) "unreachable")
(module (import "spectest" "global_f32" (global f32)) (import "spectest" "print_i32" (func (param i32)))
        (func (export "g") (result f32) (global.get 0)))
(assert_return (invoke "g") (f32.const 666.6))
'''
    r = run_script(commands(text), WasmtimeEngine())
    assert r.failures == [] and r.skipped == 0
    assert r.passed == 19
    # wrong expectations fail
    bad = text.replace("(i32.const 0))\n(assert_trap", "(i32.const 1))\n(assert_trap").replace(
        '(get "gf") (f32.const nan:0x200001)', '(get "gf") (f32.const nan:0x200002)')
    r = run_script(commands(bad), WasmtimeEngine())
    assert r.failed == 2


def test_run_files_isolation(tmp_path):
    from spectest.runner import run_files

    ok = tmp_path / "ok.wast"
    ok.write_text('(module (func (export "f") (result i32) (i32.const 1)))\n(assert_return (invoke "f") (i32.const 1))\n')
    hang = tmp_path / "hang.wast"
    hang.write_text('(module (func (export "spin") (loop (br 0))))\n(invoke "spin")\n')
    results = list(run_files([str(hang), str(ok)], "wasmtime", jobs=2, timeout=2))
    assert [Path(r.path).name for r in results] == ["hang.wast", "ok.wast"]
    assert results[0].error and "timed out" in results[0].error and "line 2" in results[0].error
    assert results[1].ok and results[1].passed == 2


def test_whisk_adapter_mapping(monkeypatch):
    """The whisk adapter against a minimal object that follows the whisk contract."""
    import types

    from spectest.engines import WhiskEngine

    class WasmError(Exception):
        pass

    class DecodeError(WasmError):
        def __init__(self, message, offset=None):
            self.message = message
            super().__init__(f"{message} (at byte offset {offset})")

    class ValidationError(WasmError):
        pass

    class LinkError(WasmError):
        pass

    class Trap(WasmError):
        def __init__(self, message):
            self.message = message
            super().__init__(message)

    class Exhaustion(Trap):
        pass

    class WasmException(WasmError):
        def __init__(self, tag, payload):
            self.tag, self.payload = tag, payload
            super().__init__("uncaught exception")

    class Func:
        def __init__(self, params, results, fn):
            self.type = types.SimpleNamespace(params=params, results=results)
            self.fn = fn

        def call_bits(self, *args):
            return self.fn(*args)

    class Global:
        def __init__(self, valtype, value, mutable=False):
            self.value = value
            self.value_bits = value

    def module(binary):
        if binary == b"m":
            raise DecodeError("unexpected end", 3)
        if binary == b"i":
            raise ValidationError("type mismatch")
        return binary

    def instance(mod, imports=None):
        assert "spectest" in imports
        if mod == b"l":
            raise LinkError("unknown import")
        if mod == b"t":
            raise Trap("out of bounds memory access")
        if mod == b"x":
            raise WasmException("tag", ())

        def deep():
            raise Exhaustion("call stack exhausted")

        def trap():
            raise Trap("unreachable")

        def throw():
            raise WasmException("tag", (1,))

        return types.SimpleNamespace(exports={
            "neg": Func(("f32",), ("f32",), lambda x: (x ^ 0x80000000,)),
            "two": Func((), ("i32", "externref"), lambda: (-1, V.ExternRef(4))),
            "deep": Func((), (), deep),
            "trap": Func((), (), trap),
            "throw": Func((), (), throw),
            "g": Global("f64", 0x7FF0000000000001),
        })

    fake = types.SimpleNamespace(Module=module, Instance=instance, DecodeError=DecodeError,
                                 ValidationError=ValidationError, LinkError=LinkError, Trap=Trap,
                                 Exhaustion=Exhaustion, Global=Global, WasmException=WasmException,
                                 Table=lambda *a: ("table", a), Memory=lambda *a: ("memory", a))
    eng = WhiskEngine.__new__(WhiskEngine)
    eng.whisk = fake
    text = r'''
(assert_malformed (module binary "m") "unexpected end")
(assert_invalid (module binary "i") "type mismatch")
(assert_malformed (module binary "i") "type mismatch")
(assert_unlinkable (module binary "l") "unknown import")
(assert_trap (module binary "t") "out of bounds")
(module binary "ok")
(assert_return (invoke "neg" (f32.const nan:0x200000)) (f32.const -nan:0x200000))
(assert_return (invoke "two") (i32.const -1) (ref.extern 4))
(assert_exhaustion (invoke "deep") "call stack exhausted")
(assert_trap (invoke "deep") "call stack exhausted")
(assert_trap (invoke "trap") "unreachable")
(assert_return (get "g") (f64.const nan:0x1))
(assert_exception (invoke "throw"))
(assert_trap (invoke "throw") "unreachable")
(assert_exception (invoke "trap"))
(assert_trap (module binary "x") "uncaught exception")
'''
    r = run_script(commands(text), eng)
    assert [f[0] for f in r.failures] == [4, 11, 15, 16]
    assert r.passed == 12
    # a whisk without WasmException: an exception is then an engine error, not a crash
    del fake.WasmException
    r = run_script(commands(text), eng)
    assert r.counts["assert_exception"] == [0, 2, 0]
