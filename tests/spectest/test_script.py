"""Unit tests of spectest.script (commands, value conversions), the runner and the adapters."""

import struct
import sys
from fractions import Fraction
from pathlib import Path

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from spectest import script as S  # noqa: E402
from spectest.engines import Failure, _thunk_wat, export_signatures  # noqa: E402
from spectest.runner import FileResult, run_script  # noqa: E402

F32, F64 = "f32", "f64"


def f32_bits(x: float) -> int:
    return struct.unpack("<I", struct.pack("<f", x))[0]


def f64_bits(x: float) -> int:
    return struct.unpack("<Q", struct.pack("<d", x))[0]


def bits_value(bits: int, fmt: str) -> Fraction:
    """Exact value of finite float bits."""
    mbits, ebits = (23, 8) if fmt == F32 else (52, 11)
    bias = (1 << (ebits - 1)) - 1
    sign = -1 if bits >> (mbits + ebits) else 1
    e = (bits >> mbits) & ((1 << ebits) - 1)
    frac = bits & ((1 << mbits) - 1)
    if e == 0:
        v = Fraction(frac, 1 << mbits) * Fraction(2) ** (1 - bias)
    else:
        v = (1 + Fraction(frac, 1 << mbits)) * Fraction(2) ** (e - bias)
    return sign * v


def reference_round(x: Fraction, fmt: str) -> int:
    """Nearest-even float bits of a positive rational, independently of spectest: start from
    Python's (correctly rounded) double and search the neighbours exactly."""
    d = float(x)
    c = f32_bits(d) if fmt == F32 else f64_bits(d)
    limit = 0x7F800000 if fmt == F32 else 0x7FF0000000000000
    best = None
    for cand in (c - 2, c - 1, c, c + 1, c + 2):
        if not 0 <= cand < limit:
            continue
        err = abs(bits_value(cand, fmt) - x)
        key = (err, cand & 1)
        if best is None or key < best[0]:
            best = (key, cand)
    return best[1]


# ------------------------------------------------------------------------------ integers


@pytest.mark.parametrize("text,bits,want", [
    ("0", 32, 0), ("-1", 32, 0xFFFFFFFF), ("0xffffffff", 32, 0xFFFFFFFF), ("+7", 32, 7),
    ("-0x80000000", 32, 0x80000000), ("4_294_967_295", 32, 0xFFFFFFFF), ("0x7fff_ffff", 32, 0x7FFFFFFF),
    ("-9223372036854775808", 64, 1 << 63), ("0xffffffffffffffff", 64, (1 << 64) - 1),
    ("0123", 32, 123), ("-0", 64, 0), ("0X10", 32, 16),
])
def test_parse_int(text, bits, want):
    assert S.parse_int(text, bits) == want


@pytest.mark.parametrize("text,bits", [
    ("4294967296", 32), ("-2147483649", 32), ("0x1_0000_0000", 32), ("1__0", 32), ("_1", 32),
    ("1_", 32), ("0x", 32), ("", 32), ("1.0", 32), ("abc", 32), ("18446744073709551616", 64),
])
def test_parse_int_rejects(text, bits):
    with pytest.raises(S.ScriptError):
        S.parse_int(text, bits)


@given(st.integers(-(1 << 63), (1 << 64) - 1), st.booleans())
def test_parse_int_roundtrip(n, hexa):
    text = (("-" if n < 0 else "") + hex(abs(n))) if hexa else str(n)
    assert S.parse_int(text, 64) == n % (1 << 64)


# ------------------------------------------------------------------------------ floats


@pytest.mark.parametrize("text,fmt,want", [
    ("0", F32, 0), ("-0", F32, 0x80000000), ("-0.0", F64, 1 << 63), ("1", F32, 0x3F800000),
    ("inf", F32, 0x7F800000), ("-inf", F64, 0xFFF0000000000000), ("+inf", F32, 0x7F800000),
    ("nan", F32, 0x7FC00000), ("-nan", F32, 0xFFC00000), ("+nan", F64, 0x7FF8000000000000),
    ("nan:0x200000", F32, 0x7FA00000), ("-nan:0x1", F32, 0xFF800001),
    ("nan:0xf_ffff_ffff_ffff", F64, 0x7FFFFFFFFFFFFFFF),
    ("0x1p-149", F32, 1), ("-0x1p-149", F32, 0x80000001), ("0x1.fffffep127", F32, 0x7F7FFFFF),
    ("0x1p-1074", F64, 1), ("0x1.fffffffffffffp1023", F64, 0x7FEFFFFFFFFFFFFF),
    ("0x1.8p1", F32, 0x40400000), ("0x8.p-3", F32, 0x3F800000),
    ("0x1P+2", F32, 0x40800000), ("0x1_0p0", F32, 0x41800000), ("1e10", F32, f32_bits(1e10)),
    ("1.5E-3", F64, f64_bits(1.5e-3)), ("1.", F64, 0x3FF0000000000000), ("1_000.000_1", F64, f64_bits(1000.0001)),
    ("666.6", F32, 0x4426A666), ("0.1", F32, 0x3DCCCCCD),
    # halfway cases round to even
    ("0x1.000001p0", F32, 0x3F800000), ("0x1.000003p0", F32, 0x3F800002),
    ("0x1.00000100000000001p0", F32, 0x3F800001),
    ("0x1p-150", F32, 0), ("0x1.0000000001p-150", F32, 1), ("0x1.8p-149", F32, 2),
    ("0x1.fffffefffffffffp127", F32, 0x7F7FFFFF),
    ("1e-400", F64, 0), ("1e-50", F32, 0),
    ("0x0.000001p-126", F32, 0),
])
def test_parse_float(text, fmt, want):
    assert S.parse_float_bits(text, fmt) == want


@pytest.mark.parametrize("text,fmt", [
    ("0x1p128", F32), ("0x1.ffffffp127", F32), ("1e39", F32), ("1e309", F64), ("0x1p1024", F64),
    ("nan:0x0", F32), ("nan:0x800000", F32), ("nan:0x10000000000000", F64), ("1e", F32),
    ("0x", F32), ("x1", F32), ("1..0", F32), ("nan:1", F32), ("inf.0", F32), ("1__0", F64),
])
def test_parse_float_rejects(text, fmt):
    with pytest.raises(S.ScriptError):
        S.parse_float_bits(text, fmt)


@given(st.integers(0, (1 << 32) - 1))
def test_f32_text_roundtrip(bits):
    assert S.parse_float_bits(S.float_bits_to_text(bits, F32), F32) == bits


@given(st.integers(0, (1 << 64) - 1))
def test_f64_text_roundtrip(bits):
    assert S.parse_float_bits(S.float_bits_to_text(bits, F64), F64) == bits


@given(st.floats(allow_nan=False, allow_infinity=False))
def test_f64_decimal_repr(x):
    # Python's repr is the shortest string that round-trips, so parsing it gives the same bits
    assert S.parse_float_bits(repr(x), F64) == f64_bits(x)


@given(st.floats(width=32, allow_nan=False, allow_infinity=False))
def test_f32_decimal_exact_value(x):
    # the exact decimal expansion of an f32 value parses back to it
    text = "%.200e" % x
    assert S.parse_float_bits(text, F32) == f32_bits(x)


@settings(max_examples=500)
@given(st.integers(1, 10**30), st.integers(-60, 40), st.sampled_from([F32, F64]))
def test_decimal_rounding_matches_reference(mant, exp10, fmt):
    x = Fraction(mant) * Fraction(10) ** exp10
    limit = Fraction(2) ** 128 if fmt == F32 else Fraction(2) ** 1024
    assume(x < limit * Fraction(9, 10))
    assume(x > Fraction(2) ** (-140 if fmt == F32 else -1060))
    text = f"{mant}e{exp10}"
    assert S.parse_float_bits(text, fmt) == reference_round(x, fmt)


@settings(max_examples=500)
@given(st.integers(1, 1 << 80), st.integers(-200, 60), st.integers(0, 20))
def test_hex_rounding_matches_reference_f32(mant, exp2, fdigits):
    x = Fraction(mant) * Fraction(2) ** exp2
    assume(Fraction(2) ** -160 < x < Fraction(2) ** 127)
    # write mant in hex with `fdigits` digits after the point
    h = f"{mant:x}"
    h = h.rjust(fdigits + 1, "0")
    ip, fp = h[: len(h) - fdigits] or "0", h[len(h) - fdigits:]
    text = f"0x{ip}.{fp}p{exp2 + 4 * fdigits}" if fdigits else f"0x{ip}p{exp2}"
    assert S.parse_float_bits(text, F32) == reference_round(x, F32)


@settings(max_examples=300)
@given(st.integers(1, 1 << 120), st.integers(-1150, 900))
def test_hex_rounding_matches_reference_f64(mant, exp2):
    x = Fraction(mant) * Fraction(2) ** exp2
    assume(Fraction(2) ** -1080 < x < Fraction(2) ** 1023)
    assert S.parse_float_bits(f"0x{mant:x}p{exp2}", F64) == reference_round(x, F64)


def test_format_float_bits():
    assert S.format_float_bits(0x3F800000, F32).startswith("1.0 ")
    assert "nan:0x200000" in S.format_float_bits(0x7FA00000, F32)


# ------------------------------------------------------------------------------ v128


def test_v128_lanes():
    assert S.parse_v128("i8x16", [str(i) for i in range(16)]) == int.from_bytes(bytes(range(16)), "little")
    assert S.parse_v128("i16x8", ["-1"] + ["0"] * 7) == 0xFFFF
    assert S.parse_v128("i32x4", ["1", "2", "3", "0xffffffff"]) == (0xFFFFFFFF << 96) | (3 << 64) | (2 << 32) | 1
    assert S.parse_v128("i64x2", ["-1", "0"]) == (1 << 64) - 1
    assert S.parse_v128("f32x4", ["1.0", "-0", "nan:0x1", "inf"]) == (
        0x3F800000 | (0x80000000 << 32) | (0x7F800001 << 64) | (0x7F800000 << 96))
    assert S.parse_v128("f64x2", ["0x1p0", "-nan"]) == 0x3FF0000000000000 | (0xFFF8000000000000 << 64)
    with pytest.raises(S.ScriptError):
        S.parse_v128("i8x16", ["256"] + ["0"] * 15)
    with pytest.raises(S.ScriptError):
        S.parse_v128("i8x16", ["-129"] + ["0"] * 15)
    with pytest.raises(S.ScriptError):
        S.parse_v128("i32x4", ["0"] * 3)
    with pytest.raises(S.ScriptError):
        S.parse_v128("i128x1", ["0"])


@given(st.integers(0, (1 << 128) - 1), st.sampled_from(["i8x16", "i16x8", "i32x4", "i64x2", "f32x4", "f64x2"]))
def test_v128_lane_roundtrip(v, shape):
    lanes = S.split_lanes(v, shape)
    if shape[0] == "f":
        texts = [S.float_bits_to_text(x, "f" + shape[1:3]) for x in lanes]
    else:
        texts = [hex(x) for x in lanes]
    assert S.parse_v128(shape, texts) == v


# ------------------------------------------------------------------------------ patterns


def pat(text):
    from spectest.sexpr import parse

    return S.parse_pattern(parse(text)[0])


def test_patterns_scalars():
    V = S.Value
    assert pat("(i32.const -1)").matches(V("i32", 0xFFFFFFFF))
    assert pat("(i32.const -1)").matches(V("i32", -1))
    assert not pat("(i32.const -1)").matches(V("i64", 0xFFFFFFFF))
    assert not pat("(i32.const 1)").matches(V("i32", 2))
    assert pat("(f32.const -nan)").matches(V("f32", 0xFFC00000))
    assert not pat("(f32.const nan)").matches(V("f32", 0xFFC00000))
    assert not pat("(f32.const nan:0x200000)").matches(V("f32", 0x7FC00000))
    assert pat("(f64.const -0)").matches(V("f64", 1 << 63))
    assert not pat("(f64.const 0)").matches(V("f64", 1 << 63))
    canon = pat("(f32.const nan:canonical)")
    arith = pat("(f32.const nan:arithmetic)")
    assert canon.matches(V("f32", 0x7FC00000)) and canon.matches(V("f32", 0xFFC00000))
    assert not canon.matches(V("f32", 0x7FC00001)) and not canon.matches(V("f32", 0x7FA00000))
    assert arith.matches(V("f32", 0x7FC00001)) and arith.matches(V("f32", 0xFFE00000))
    assert not arith.matches(V("f32", 0x7FA00000)) and not arith.matches(V("f32", 0x7F800000))
    assert not arith.matches(V("f32", 0x3F800000))
    assert pat("(f64.const nan:canonical)").matches(V("f64", 0x7FF8000000000000))
    assert not pat("(f64.const nan:canonical)").matches(V("f32", 0x7FC00000))
    assert not pat("(i32.const 0)").matches(V("i32", None))


def test_patterns_refs():
    V = S.Value
    assert pat("(ref.null func)").matches(V("funcref", None))
    assert not pat("(ref.null func)").matches(V("externref", None))
    assert pat("(ref.null extern)").matches(V("externref", None))
    assert pat("(ref.null extern)").matches(V(None, None))
    assert not pat("(ref.null extern)").matches(V("externref", S.ExternRef(1)))
    assert pat("(ref.extern 1)").matches(V("externref", S.ExternRef(1)))
    assert not pat("(ref.extern 1)").matches(V("externref", S.ExternRef(2)))
    assert not pat("(ref.extern 1)").matches(V("externref", None))
    assert pat("(ref.extern)").matches(V("externref", S.ExternRef(5)))
    assert pat("(ref.func)").matches(V("funcref", object()))
    assert pat("(ref.func $f)").matches(V("funcref", object()))
    assert not pat("(ref.func)").matches(V("funcref", None))
    assert pat("(either (i32.const 1) (i32.const 2))").matches(V("i32", 2))
    assert not pat("(either (i32.const 1) (i32.const 2))").matches(V("i32", 3))


def test_patterns_v128():
    V = S.Value
    p = pat("(v128.const f32x4 nan:canonical 1.0 nan:arithmetic -0)")
    assert isinstance(p, S.V128Pat)
    good = 0x7FC00000 | (0x3F800000 << 32) | (0x7FC12345 << 64) | (0x80000000 << 96)
    assert p.matches(V("v128", good))
    assert not p.matches(V("v128", good ^ 1))  # lane 0 no longer canonical
    assert not p.matches(V("v128", good ^ (1 << 32)))
    assert not p.matches(V("v128", good & ~(0x00400000 << 64)))  # lane 2 not arithmetic
    assert not p.matches(V("i32", good))
    q = pat("(v128.const f64x2 nan:canonical 0x1p0)")
    assert q.matches(V("v128", 0xFFF8000000000000 | (0x3FF0000000000000 << 64)))
    exact = pat("(v128.const i16x8 -1 0 0 0 0 0 0 1)")
    assert exact == S.Const("v128", 0xFFFF | (1 << 112))
    assert pat("(v128.const f32x4 1 2 3 4)") == S.Const("v128", S.parse_v128("f32x4", ["1", "2", "3", "4"]))


def test_consts():
    from spectest.sexpr import parse

    def c(text):
        return S.parse_const(parse(text)[0])

    assert c("(i32.const -1)") == S.Value("i32", 0xFFFFFFFF)
    assert c("(i64.const 0x8000_0000_0000_0000)") == S.Value("i64", 1 << 63)
    assert c("(f32.const -nan:0x7fffff)") == S.Value("f32", 0xFFFFFFFF)
    assert c("(f64.const 0x1p-1022)") == S.Value("f64", 0x0010000000000000)
    assert c("(v128.const i64x2 1 -1)") == S.Value("v128", 1 | (((1 << 64) - 1) << 64))
    assert c("(ref.null func)") == S.Value("funcref", None)
    assert c("(ref.null extern)") == S.Value("externref", None)
    assert c("(ref.extern 7)") == S.Value("externref", S.ExternRef(7))
    for bad in ["(i32.const)", "(i32.const 1 2)", "(f32.const nan:canonical)", "(x.const 1)", "(ref.null any)"]:
        with pytest.raises(S.ScriptError):
            c(bad)


# ------------------------------------------------------------------------------ commands

SCRIPT = r'''
(module $M1 (func (export "f") (param i32) (result i32) (local.get 0)))
(module binary "\00asm" "\01\00\00\00")
(module $Q quote "(func)" "(memory 1)")
(register "m1" $M1)
(register "cur")
(invoke $M1 "f" (i32.const 1))
(get "g")
(assert_return (invoke "f" (f32.const 1.5) (v128.const i8x16 0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15)) (f32.const nan:canonical))
(assert_trap (invoke "f") "unreachable")
(assert_trap (module (func $s unreachable) (start $s)) "unreachable")
(assert_exhaustion (invoke "r") "call stack exhausted")
(assert_malformed (module quote "(func") "unexpected token")
(assert_malformed (module binary "\00asm") "unexpected end")
(assert_invalid (module (func (result i32))) "type mismatch")
(assert_unlinkable (module (import "x" "y" (func))) "unknown import")
(assert_uninstantiable (module (func)) "x")
(assert_return (invoke "f" (i32.const 99999999999)))
(script $s (module))
'''


def test_parse_script_commands():
    cmds = S.parse_script(SCRIPT)
    kinds = [c.kind for c in cmds]
    assert kinds == [
        "module", "module", "module", "register", "register", "action", "action", "assert_return",
        "assert_trap", "assert_uninstantiable", "assert_exhaustion", "assert_malformed",
        "assert_malformed", "assert_invalid", "assert_unlinkable", "assert_uninstantiable",
        "assert_return", "unsupported",
    ]
    m1, mb, mq, r1, r2, inv, get, ar, at, au, ae, amq, amb, ai, aul, aun, bad, scr = cmds
    assert [c.line for c in cmds[:4]] == [2, 3, 4, 5]
    assert m1.name == "$M1" and m1.form == "text"
    assert m1.text == '(module $M1 (func (export "f") (param i32) (result i32) (local.get 0)))'
    assert mb.form == "binary" and mb.binary == b"\x00asm\x01\x00\x00\x00" and mb.name is None
    assert mq.form == "quote" and mq.text == "(func)(memory 1)" and mq.name == "$Q"
    assert (r1.as_name, r1.module) == ("m1", "$M1") and (r2.as_name, r2.module) == ("cur", None)
    assert inv.action == S.Action("invoke", "$M1", "f", (S.Value("i32", 1),))
    assert get.action == S.Action("get", None, "g")
    assert ar.action.args == (S.Value("f32", 0x3FC00000), S.Value("v128", int.from_bytes(bytes(range(16)), "little")))
    assert ar.expected == (S.NanPat("f32", "canonical"),)
    assert at.message == "unreachable" and au.module.text.startswith("(module (func $s")
    assert amq.module.form == "quote" and amb.module.form == "binary"
    assert ai.message == "type mismatch"
    assert bad.kind == "assert_return" and "out of range" in bad.reason
    assert "script" in scr.reason


def test_inline_module():
    cmds = S.parse_script('(func) (memory 0) (func (export "f"))')
    assert len(cmds) == 1 and cmds[0].kind == "module"
    assert cmds[0].text == '(module (func) (memory 0) (func (export "f")))'


def test_text_module_strings_written_ascii():
    [m] = S.parse_script('(module (func (export "\u202e")))')
    assert m.text.isascii() and "\\e2\\80\\ae" in m.text


# ------------------------------------------------------------------------------ runner (fake engine)


class FakeEngine:
    """A tiny engine: modules are binaries mapped (by the test) to behaviours."""

    name = "fake"
    merged_compile_errors = False

    def __init__(self, exact=True):
        self.exact_messages = exact
        self.loaded = []

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
        return {"name": module, "exports": {"id": "id", "g": 42}}

    def exports(self, inst):
        return inst["exports"]

    def invoke(self, inst, name, args):
        if name == "id":
            return list(args)
        if name == "trap":
            raise Failure("trap", "integer divide by zero")
        if name == "deep":
            raise Failure("exhaustion", "call stack exhausted")
        if name == "which":
            return [S.Value("i32", len(inst["name"]))]
        if name == "crash":
            raise ZeroDivisionError("boom")
        raise LookupError(name)

    def get(self, inst, name):
        return S.Value("i32", inst["exports"][name])


def fake_wat(text):
    from spectest.cache import WatError

    if "BAD" in text:
        raise WatError("unknown operator")
    return text.encode()


def run_fake(text, exact=True):
    from spectest.runner import ScriptRunner

    result = FileResult("<test>")
    ScriptRunner(FakeEngine(exact), result, wat=fake_wat).run(S.parse_script(text))
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
(assert_malformed (module (func BAD)) "unexpected token")
(assert_invalid (module binary "invalid") "type mismatch")
(assert_invalid (module binary "fine") "type mismatch")
(assert_unlinkable (module binary "unlinkable") "unknown import")
(assert_trap (module binary "trapstart") "unreachable")
(assert_trap (module binary "fine") "unreachable")
(invoke "crash")
''')
    c = r.counts
    assert c["module"] == [1, 0, 0]
    assert c["assert_return"] == [2, 2, 0]
    assert c["assert_trap"] == [1, 2, 0]
    assert c["assert_exhaustion"] == [1, 1, 0]
    assert c["assert_malformed"] == [1, 1, 2]
    assert c["assert_invalid"] == [1, 1, 0]
    assert c["assert_unlinkable"] == [1, 0, 0]
    assert c["assert_uninstantiable"] == [1, 1, 0]
    assert c["action"] == [0, 1, 0]
    lines = [f[0] for f in r.failures]
    assert lines == [4, 5, 8, 9, 11, 13, 17, 20, 21]
    assert "ZeroDivisionError" in r.failures[-1][2]
    assert r.passed == 9 and r.failed == 9 and r.skipped == 2


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


def test_runner_wat_failures_are_listed_skips():
    r = run_fake(r'''
(module $m (func BAD))
(assert_return (invoke $m "id"))
(assert_return (invoke "id"))
(assert_invalid (module (func BAD)) "type mismatch")
(assert_unlinkable (module (func BAD)) "unknown import")
(module binary "broken-but-fine")
(assert_return (invoke "which") (i32.const 15))
''')
    cats = [(line, cat) for line, kind, cat, detail in r.skips]
    from spectest import runner as R

    assert cats == [(2, R.SKIP_WAT_CANNOT), (3, R.SKIP_DEPENDS), (4, R.SKIP_DEPENDS),
                    (5, R.SKIP_WAT_REJECTS), (6, R.SKIP_WAT_CANNOT)]
    assert r.failed == 0 and r.passed == 2


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


def test_thunk_wat_encodes():
    import wasmtime

    for params, results in [((), ()), (("f32", "v128", "i32"), ("f64", "v128", "externref")), (("v128",), ("v128", "v128"))]:
        assert wasmtime.wat2wasm(_thunk_wat(params, results))


def test_wasmtime_adapter_end_to_end(tmp_path, monkeypatch):
    from spectest.engines import WasmtimeEngine

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
    r = run_script(S.parse_script(text), WasmtimeEngine())
    assert r.failures == [] and r.skipped == 0
    assert r.passed == 19
    # wrong expectations fail
    bad = text.replace("(i32.const 0))\n(assert_trap", "(i32.const 1))\n(assert_trap").replace(
        '(get "gf") (f32.const nan:0x200001)', '(get "gf") (f32.const nan:0x200002)')
    r = run_script(S.parse_script(bad), WasmtimeEngine())
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

        def deep():
            raise Exhaustion("call stack exhausted")

        def trap():
            raise Trap("unreachable")

        return types.SimpleNamespace(exports={
            "neg": Func(("f32",), ("f32",), lambda x: (x ^ 0x80000000,)),
            "two": Func((), ("i32", "externref"), lambda: (-1, S.ExternRef(4))),
            "deep": Func((), (), deep),
            "trap": Func((), (), trap),
            "g": Global("f64", 0x7FF0000000000001),
        })

    fake = types.SimpleNamespace(Module=module, Instance=instance, DecodeError=DecodeError,
                                 ValidationError=ValidationError, LinkError=LinkError, Trap=Trap,
                                 Exhaustion=Exhaustion, Global=Global,
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
'''
    r = run_script(S.parse_script(text), eng)
    assert [f[0] for f in r.failures] == [4, 11]
    assert r.passed == 10
