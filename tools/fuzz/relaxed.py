"""Relaxed SIMD: whisk's deterministic choices against wasmtime's ``wasm_relaxed_simd_deterministic``.

Usage::

    python tools/fuzz/relaxed.py [--seed S] [--count N]    # per instruction: agree / differ

The relaxed SIMD instructions (3.0 spec 4.3.6, "Relaxed Operations") may return any of a set
of results; whisk always returns the deterministic profile's (docs/features.md, "Relaxed SIMD").
The differential fuzzer may only let smith generate them if wasmtime, in its deterministic
mode, makes the same choices: this tool runs every relaxed instruction in both engines on the
same operands (lane-wise edge values: NaNs, infinities, -0, out-of-range floats, -128/127,
-32768, indices >= 16; and random bits) and reports, per instruction, how many operand sets
gave different results, with the first one.
"""

from __future__ import annotations

import argparse
import os
import random
import struct
import sys
from collections.abc import Sequence
from typing import Any

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402

#: The relaxed SIMD instructions: (mnemonic, number of v128 operands).
RELAXED_OPS: tuple[tuple[str, int], ...] = (
    ("i8x16.relaxed_swizzle", 2),
    ("i32x4.relaxed_trunc_f32x4_s", 1), ("i32x4.relaxed_trunc_f32x4_u", 1),
    ("i32x4.relaxed_trunc_f64x2_s_zero", 1), ("i32x4.relaxed_trunc_f64x2_u_zero", 1),
    ("f32x4.relaxed_madd", 3), ("f32x4.relaxed_nmadd", 3),
    ("f64x2.relaxed_madd", 3), ("f64x2.relaxed_nmadd", 3),
    ("i8x16.relaxed_laneselect", 3), ("i16x8.relaxed_laneselect", 3),
    ("i32x4.relaxed_laneselect", 3), ("i64x2.relaxed_laneselect", 3),
    ("f32x4.relaxed_min", 2), ("f32x4.relaxed_max", 2),
    ("f64x2.relaxed_min", 2), ("f64x2.relaxed_max", 2),
    ("i16x8.relaxed_q15mulr_s", 2),
    ("i16x8.relaxed_dot_i8x16_i7x16_s", 2), ("i32x4.relaxed_dot_i8x16_i7x16_add_s", 3),
)

_F32 = [0x00000000, 0x80000000, 0x3F800000, 0xBF800000, 0x7F800000, 0xFF800000, 0x7FC00000,
        0xFFC00000, 0x7FA00001, 0x4F000000, 0x4F800000, 0xCF000000, 0xCF000001, 0x5F000000,
        0x3F000000, 0x00000001, 0x7F7FFFFF, 0x4EFFFFFF, 0xBF7FFFFF, 0x33800000, 0x4B800001]
_F64 = [0x0000000000000000, 0x8000000000000000, 0x3FF0000000000000, 0xBFF0000000000000,
        0x7FF0000000000000, 0xFFF0000000000000, 0x7FF8000000000000, 0xFFF8000000000000,
        0x7FF4000000000001, 0x41E0000000000000, 0x41F0000000000000, 0xC1E0000000000000,
        0xC1E0000000200000, 0x41DFFFFFFFC00000, 0x43E0000000000000, 0x0000000000000001,
        0x3CA0000000000000, 0x4340000000000001, 0xBFEFFFFFFFFFFFFF]
_I8 = [0x00, 0x01, 0x7F, 0x80, 0x81, 0xFF, 0x0F, 0x10, 0x11, 0x1F, 0x40, 0xC0]
_I16 = [0x0000, 0x8000, 0x7FFF, 0xFFFF, 0x0001, 0x4000, 0xC000, 0x8001]


def operand(rng: random.Random) -> int:
    """One v128 operand (an int of 128 bits): edge values in lanes of a random shape, or bits."""
    shape = rng.random()
    if shape < 0.2:
        return rng.getrandbits(128)
    if shape < 0.45:
        return sum(rng.choice(_F32) << (32 * i) for i in range(4))
    if shape < 0.65:
        return sum(rng.choice(_F64) << (64 * i) for i in range(2))
    if shape < 0.85:
        return sum(rng.choice(_I8) << (8 * i) for i in range(16))
    return sum(rng.choice(_I16) << (16 * i) for i in range(8))


def module_wat() -> str:
    """A module exporting, per relaxed instruction, a function that takes its operands as i64
    halves (lo, hi, lo, hi, ...) and returns the result's halves."""
    funcs = []
    for i, (op, n) in enumerate(RELAXED_OPS):
        params = " ".join("i64 i64" for _ in range(n))
        build = " ".join(f"(i64x2.replace_lane 1 (i64x2.splat (local.get {2 * k})) (local.get {2 * k + 1}))"
                         for k in range(n))
        funcs.append(
            f'(func (export "f{i}") (param {params}) (result i64 i64) (local $r v128)\n'
            f'  (local.set $r ({op} {build}))\n'
            f'  (i64x2.extract_lane 0 (local.get $r)) (i64x2.extract_lane 1 (local.get $r)))')
    return "(module\n" + "\n".join(funcs) + ")"


def _halves(v: int) -> tuple[int, int]:
    return v & 0xFFFFFFFFFFFFFFFF, v >> 64


def _signed(v: int) -> int:
    return v - (1 << 64) if v >> 63 else v


def compare(seed: int = 0, count: int = 2000) -> dict[str, tuple[int, Any]]:
    """Run each relaxed instruction on ``count`` operand sets in both engines; returns
    mnemonic -> (number of operand sets that differ, the first as (operands, whisk, wasmtime)
    or None). Results are ints of 128 bits."""
    import wasmtime
    import whisk
    wasm = wasmtime.wat2wasm(module_wat())
    cfg = wasmtime.Config()
    for name, on in (("wasm_simd", True), ("wasm_relaxed_simd", True),
                     ("wasm_relaxed_simd_deterministic", True)):
        setattr(cfg, name, on)
    engine = wasmtime.Engine(cfg)
    store = wasmtime.Store(engine)
    t_inst = wasmtime.Instance(store, wasmtime.Module(engine, wasm), [])
    w_inst = whisk.Instance(whisk.Module(bytes(wasm), features=whisk.Features.all()))
    out: dict[str, tuple[int, Any]] = {}
    for i, (op, n) in enumerate(RELAXED_OPS):
        rng = common.case_rng(seed, i, "relaxed")
        tf = t_inst.exports(store)[f"f{i}"]
        wf = w_inst.exports[f"f{i}"]
        bad, first = 0, None
        for _ in range(count):
            ops = [operand(rng) for _ in range(n)]
            args = [h for v in ops for h in _halves(v)]
            tr = tf(store, *[_signed(a) for a in args])
            wr = wf.call_bits(*args)
            t = (tr[0] & 0xFFFFFFFFFFFFFFFF) | ((tr[1] & 0xFFFFFFFFFFFFFFFF) << 64)
            w = (wr[0] & 0xFFFFFFFFFFFFFFFF) | ((wr[1] & 0xFFFFFFFFFFFFFFFF) << 64)
            if not same(op, t, w):
                bad += 1
                if first is None:
                    first = (ops, w, t)
        out[op] = (bad, first)
    return out


def _lanes(v: int, width: int) -> list[int]:
    return [(v >> (width * i)) & ((1 << width) - 1) for i in range(128 // width)]


def _is_nan(bits: int, width: int) -> bool:
    exp = 0xFF if width == 32 else 0x7FF
    mant = width - (9 if width == 32 else 12)
    return (bits >> mant) & exp == exp and bits & ((1 << mant) - 1) != 0


def same(op: str, a: int, b: int) -> bool:
    """Whether results ``a`` and ``b`` of ``op`` agree: bit for bit, except that in a float
    instruction's lanes any NaN equals any NaN (which NaN is nondeterministic in the spec, 4.3.3,
    for the 2.0 instructions too; the differential fuzzer canonicalises NaNs for this reason)."""
    if a == b:
        return True
    if not op.startswith(("f32x4", "f64x2")):
        return False
    width = 32 if op.startswith("f32x4") else 64
    return all(x == y or (_is_nan(x, width) and _is_nan(y, width))
               for x, y in zip(_lanes(a, width), _lanes(b, width)))


def _hex(v: int) -> str:
    return f"{v:032x}"


def main(argv: Sequence[str] | None = None) -> int:
    """Command line entry point: print the comparison; exit status 1 if any instruction differs."""
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--count", type=int, default=2000)
    a = p.parse_args(argv)
    res = compare(a.seed, a.count)
    for op, (bad, first) in res.items():
        line = f"{op:38} {'agree' if not bad else f'DIFFER in {bad}/{a.count}'}"
        if first is not None:
            ops, w, t = first
            line += (f"\n    operands {' '.join(_hex(v) for v in ops)}"
                     f"\n    whisk    {_hex(w)}\n    wasmtime {_hex(t)}")
        print(line)
    return 1 if any(bad for bad, _ in res.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
