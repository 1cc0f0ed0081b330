"""Relaxed SIMD (WebAssembly 3.0, spec 4.3.6 "Relaxed Operations"): whisk's fixed choices.

Every relaxed instruction may return any of a set of results; whisk returns the deterministic
profile's (every parameter R = 0). These tests pin that choice on exactly the inputs where the
allowed results differ (the spec suite's ``either`` assertions accept any of them).
"""

import math
import struct

import pytest

wasmtime = pytest.importorskip("wasmtime")
import whisk  # noqa: E402
from whisk.opcodes import BY_NAME  # noqa: E402

UNARY = ["i32x4.relaxed_trunc_f32x4_s", "i32x4.relaxed_trunc_f32x4_u",
         "i32x4.relaxed_trunc_f64x2_s_zero", "i32x4.relaxed_trunc_f64x2_u_zero"]
BINARY = ["i8x16.relaxed_swizzle", "f32x4.relaxed_min", "f32x4.relaxed_max", "f64x2.relaxed_min",
          "f64x2.relaxed_max", "i16x8.relaxed_q15mulr_s", "i16x8.relaxed_dot_i8x16_i7x16_s"]
TERNARY = ["f32x4.relaxed_madd", "f32x4.relaxed_nmadd", "f64x2.relaxed_madd",
           "f64x2.relaxed_nmadd", "i8x16.relaxed_laneselect", "i16x8.relaxed_laneselect",
           "i32x4.relaxed_laneselect", "i64x2.relaxed_laneselect",
           "i32x4.relaxed_dot_i8x16_i7x16_add_s"]


def _module() -> whisk.Instance:
    funcs = []
    for names, n in ((UNARY, 1), (BINARY, 2), (TERNARY, 3)):
        for name in names:
            params = " ".join(["v128"] * n)
            gets = " ".join(f"(local.get {i})" for i in range(n))
            funcs.append(f'(func (export "{name}") (param {params}) (result v128) ({name} {gets}))')
    return whisk.Instance(whisk.Module(wasmtime.wat2wasm("(module " + "\n".join(funcs) + ")")))


@pytest.fixture(scope="module")
def ops():
    return _module().exports


def v(fmt: str, *lanes) -> int:
    """A v128 as the int whisk passes (little-endian lanes)."""
    return int.from_bytes(struct.pack("<" + fmt, *lanes), "little")


def lanes(fmt: str, value: int) -> tuple:
    return struct.unpack("<" + fmt, value.to_bytes(16, "little"))


def test_opcode_rows():
    """The 20 instructions sit at 0xFD 0x100..0x113 (spec 5.4 "Vector Instructions"), feature
    relaxed_simd."""
    names = UNARY + BINARY + TERNARY
    assert len(names) == 20
    codes = sorted(BY_NAME[n].code for n in names)
    assert codes == list(range(0x100, 0x114))
    assert all(BY_NAME[n].prefix == 0xFD and BY_NAME[n].feature == "relaxed_simd" for n in names)
    assert BY_NAME["i32x4.relaxed_dot_i8x16_i7x16_add_s"].code == 0x113
    assert BY_NAME["f32x4.relaxed_madd"].params == ("v128", "v128", "v128")


def test_swizzle_out_of_range_index_selects_zero(ops):
    a = v("16B", *range(100, 116))
    idx = v("16B", 0, 15, 16, 17, 31, 0x80, 0xFF, 3, 0x7F, 0x10, 1, 2, 0x20, 0x40, 5, 14)
    got = lanes("16B", ops["i8x16.relaxed_swizzle"](a, idx))
    # R_swizzle = 0: every index >= 16 (not only the negative ones) gives 0, as i8x16.swizzle
    assert got == (100, 115, 0, 0, 0, 0, 0, 103, 0, 0, 101, 102, 0, 0, 105, 114)


def test_trunc_saturates_nan_and_out_of_range(ops):
    f = v("4f", math.nan, 3e9, -3e9, -7.9)
    assert lanes("4i", ops["i32x4.relaxed_trunc_f32x4_s"](f)) == (0, 2**31 - 1, -2**31, -7)
    assert lanes("4I", ops["i32x4.relaxed_trunc_f32x4_u"](f)) == (0, 3000000000, 0, 0)
    d = v("2d", math.nan, 1e12)
    assert lanes("4i", ops["i32x4.relaxed_trunc_f64x2_s_zero"](d)) == (0, 2**31 - 1, 0, 0)
    d = v("2d", -1.0, 5e9)
    assert lanes("4I", ops["i32x4.relaxed_trunc_f64x2_u_zero"](d)) == (0, 2**32 - 1, 0, 0)


def test_madd_is_unfused(ops):
    # a*b = 1 + 2^-11 + 2^-24 exactly; rounded to f32 it loses the 2^-24 (a tie, to even).
    # Unfused (R_fmadd = 0): round(a*b) + c = 0; fused it would be 2^-24.
    a = 1 + 2**-12
    x = v("4f", a, a, 2.0, 1.5)
    c = v("4f", -(1 + 2**-11), -(1 + 2**-11), 1.0, 0.25)
    assert lanes("4f", ops["f32x4.relaxed_madd"](x, x, c)) == (0.0, 0.0, 5.0, 2.5)
    # nmadd = madd(-a, b, c)
    assert lanes("4f", ops["f32x4.relaxed_nmadd"](x, x, v("4f", 1 + 2**-11, 0, 1, 1))) == (
        0.0, -(1 + 2**-11), -3.0, -1.25)
    a = 1 + 2**-27
    x = v("2d", a, 3.0)
    c = v("2d", -(1 + 2**-26), 1.0)
    assert lanes("2d", ops["f64x2.relaxed_madd"](x, x, c)) == (0.0, 10.0)
    assert lanes("2d", ops["f64x2.relaxed_nmadd"](x, x, v("2d", 1 + 2**-26, 1.0))) == (0.0, -8.0)


def test_laneselect_is_bitwise(ops):
    a = v("2Q", 0xFFFF_FFFF_FFFF_FFFF, 0xAAAA_AAAA_AAAA_AAAA)
    b = v("2Q", 0, 0x5555_5555_5555_5555)
    mask = v("2Q", 0x8000_0000_0000_00FF, 0x0F0F_0F0F_0F0F_0F0F)   # high bits mixed with others
    want = (0x8000_0000_0000_00FF, 0x5A5A_5A5A_5A5A_5A5A)
    for shape in ("i8x16", "i16x8", "i32x4", "i64x2"):
        assert lanes("2Q", ops[f"{shape}.relaxed_laneselect"](a, b, mask)) == want, shape


def test_min_max_are_fmin_fmax(ops):
    x = v("4f", math.nan, 1.0, -0.0, 0.0)
    y = v("4f", 1.0, math.nan, 0.0, -0.0)
    mn = lanes("4f", ops["f32x4.relaxed_min"](x, y))
    mx = lanes("4f", ops["f32x4.relaxed_max"](x, y))
    assert math.isnan(mn[0]) and math.isnan(mn[1]) and math.isnan(mx[0]) and math.isnan(mx[1])
    assert [math.copysign(1, z) for z in mn[2:]] == [-1, -1]     # min(+-0, -+0) = -0
    assert [math.copysign(1, z) for z in mx[2:]] == [1, 1]       # max(+-0, -+0) = +0
    d = lanes("2d", ops["f64x2.relaxed_min"](v("2d", -0.0, math.nan), v("2d", 0.0, 2.0)))
    assert math.copysign(1, d[0]) == -1 and math.isnan(d[1])
    d = lanes("2d", ops["f64x2.relaxed_max"](v("2d", -0.0, 2.0), v("2d", 0.0, math.nan)))
    assert math.copysign(1, d[0]) == 1 and math.isnan(d[1])


def test_q15mulr_saturates(ops):
    x = v("8h", -32768, -32768, 16384, 100, 0, 0, 0, 0)
    y = v("8h", -32768, 32767, 16384, -100, 0, 0, 0, 0)
    assert lanes("8h", ops["i16x8.relaxed_q15mulr_s"](x, y)) == (32767, -32767, 8192, 0, 0, 0, 0, 0)


def test_dot_treats_second_operand_as_signed_and_saturates(ops):
    a = v("16b", -128, -128, -128, -128, 127, 127, 1, 2, *([0] * 8))
    b = v("16b", -127, -127, -128, -128, -1, -1, 3, 4, *([0] * 8))
    # signed x signed; -128*-128*2 = 32768 saturates to 32767 (spec ivdotsat)
    assert lanes("8h", ops["i16x8.relaxed_dot_i8x16_i7x16_s"](a, b)) == (
        32512, 32767, -254, 11, 0, 0, 0, 0)
    c = v("4i", 1, -1, 2**31 - 1, 0)
    a = v("16b", -128, -128, -128, -128, 0, 0, 0, 0, *([0] * 4), 1, 1, 1, 1)
    b = v("16b", -128, -128, -128, -128, 0, 0, 0, 0, *([0] * 4), 1, 1, 1, 1)
    # lane 0: (32767 + 32767) + 1; lane 3: 4 + 0; lane 2 wraps: 0 + (2^31 - 1)
    assert lanes("4i", ops["i32x4.relaxed_dot_i8x16_i7x16_add_s"](a, b, c)) == (
        65535, -1, 2**31 - 1, 4)
    c = v("4i", 2**31 - 1, 0, 0, 0)
    a = v("16b", 1, 1, *([0] * 14))
    assert lanes("4i", ops["i32x4.relaxed_dot_i8x16_i7x16_add_s"](a, a, c)) == (-2**31 + 1, 0, 0, 0)


def test_results_do_not_depend_on_the_call(ops):
    """Deterministic: the same inputs always give the same bits (spec: R is fixed)."""
    x = v("4f", 1e30, -1e-30, math.inf, 3.0)
    first = ops["f32x4.relaxed_madd"](x, x, x)
    assert all(ops["f32x4.relaxed_madd"](x, x, x) == first for _ in range(5))


def test_relaxed_opcode_past_the_table_is_illegal():
    # 0xFD 0x114 (one past the last relaxed op): a function body "fd 94 02 0b"
    body = b"\x00\xfd\x94\x02\x0b"
    wasm = (b"\0asm\1\0\0\0" + b"\x01\x04\x01\x60\x00\x00" + b"\x03\x02\x01\x00"
            + b"\x0a" + bytes([len(body) + 2, 1, len(body)]) + body)
    for features in (None, whisk.Features.wasm2()):
        with pytest.raises(whisk.DecodeError, match="illegal opcode"):
            whisk.Module(wasm, features=features)
