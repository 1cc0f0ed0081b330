"""Script values and result patterns, carried as raw bits.

A :class:`Value` is ``(type, value)``: ``type`` names the value type (``i32 i64 f32 f64 v128``,
or a reference type: ``funcref externref exnref anyref nullref nullfuncref nullexternref
nullexnref``, or None when the engine cannot tell); ``value`` is an UNSIGNED int holding the bits
of a number or vector, or for a reference ``None`` (null), an :class:`ExternRef` (``ref.extern
N``), a :class:`HostRef` (``ref.host N``) or an engine object (a function, an exception).

Expected results are patterns with a ``matches(value)`` method: :class:`Const`, :class:`NanPat`
(``nan:canonical``/``nan:arithmetic``), :class:`V128Pat` (per-lane, with NaN patterns),
:class:`RefNull`, :class:`RefExtern`, :class:`RefHost`, :class:`RefFunc`, :class:`RefType`
(``ref.exn``, ``ref.any``, ... : any non-null reference of a heap type) and :class:`Either`.
Their meaning follows the reference interpreter (``interpreter/script/runner.ml`` of
WebAssembly/spec: ``assert_result``); the spec's ``interpreter/README.md`` ("Scripts") gives the
syntax.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import Any, List, NamedTuple, Optional, Tuple, Union

__all__ = [
    "ExternRef", "HostRef", "Value", "Pattern", "Const", "NanPat", "V128Pat", "RefNull",
    "RefExtern", "RefHost", "RefFunc", "RefType", "Either", "CANONICAL_NAN", "SHAPES",
    "format_value", "format_float_bits", "float_bits_to_text", "split_lanes", "heap_family",
]


@dataclass(frozen=True)
class ExternRef:
    """The host reference ``(ref.extern N)``: compared by its number."""

    n: int

    def __repr__(self) -> str:
        return f"ref.extern {self.n}"


@dataclass(frozen=True)
class HostRef:
    """The host reference ``(ref.host N)`` (of type anyref): compared by its number."""

    n: int

    def __repr__(self) -> str:
        return f"ref.host {self.n}"


class Value(NamedTuple):
    type: Optional[str]  # value type name, or None when the engine can't tell
    value: Any


INT_BITS = {"i32": 32, "i64": 64}
# float formats: (total bits, mantissa (fraction) bits, exponent bits)
FLOAT_FMT = {"f32": (32, 23, 8), "f64": (64, 52, 11)}
CANONICAL_NAN = {"f32": 0x7FC00000, "f64": 0x7FF8000000000000}
_EXP_MASK = {"f32": 0x7F800000, "f64": 0x7FF0000000000000}
_FRAC_MASK = {"f32": 0x007FFFFF, "f64": 0x000FFFFFFFFFFFFF}
_QUIET = {"f32": 0x00400000, "f64": 0x0008000000000000}
_SIGN = {"f32": 0x80000000, "f64": 0x8000000000000000}

# v128 shapes: name -> (lane count, lane bits, lane kind)
SHAPES = {
    "i8x16": (16, 8, "i"),
    "i16x8": (8, 16, "i"),
    "i32x4": (4, 32, "i"),
    "i64x2": (2, 64, "i"),
    "f32x4": (4, 32, "f32"),
    "f64x2": (2, 64, "f64"),
}

# heap type (of a reference type name or pattern kind) -> its hierarchy ("family")
_FAMILY = {
    "func": "func", "nofunc": "func", "funcref": "func", "nullfuncref": "func",
    "extern": "extern", "noextern": "extern", "externref": "extern", "nullexternref": "extern",
    "exn": "exn", "noexn": "exn", "exnref": "exn", "nullexnref": "exn",
    "any": "any", "eq": "any", "i31": "any", "struct": "any", "array": "any", "none": "any",
    "anyref": "any", "eqref": "any", "i31ref": "any", "structref": "any", "arrayref": "any",
    "nullref": "any",
    "cont": "cont", "nocont": "cont", "contref": "cont", "nullcontref": "cont",
}


def heap_family(t: Any) -> Optional[str]:
    """The reference hierarchy (``func``, ``extern``, ``exn``, ``any``, ``cont``) of a reference
    type or heap type name, or None if ``t`` is not one this module knows (e.g. a concrete type
    index, or a type object of an engine): then any family is accepted."""
    if not isinstance(t, str):
        return None
    return _FAMILY.get(t)


def float_bits_to_text(bits: int, fmt: str) -> str:
    """Exact text form of raw float bits (hex float, ``inf``, ``nan:0x..``)."""
    width, mbits, ebits = FLOAT_FMT[fmt]
    sign = "-" if bits & _SIGN[fmt] else ""
    e = (bits >> mbits) & ((1 << ebits) - 1)
    frac = bits & ((1 << mbits) - 1)
    if e == (1 << ebits) - 1:
        return f"{sign}inf" if frac == 0 else f"{sign}nan:0x{frac:x}"
    bias = (1 << (ebits - 1)) - 1
    if e == 0:
        if frac == 0:
            return f"{sign}0x0p+0"
        lead, exp = 0, 1 - bias
    else:
        lead, exp = 1, e - bias
    nib = (mbits + 3) // 4  # the fraction padded to whole nibbles
    f = frac << (4 * nib - mbits)
    fs = f"{f:0{nib}x}".rstrip("0")
    return f"{sign}0x{lead}{'.' + fs if fs else ''}p{exp:+d}"


def format_float_bits(bits: int, fmt: str) -> str:
    """Human-readable form of raw float bits for messages: ``1.5 (0x3fc00000)``."""
    width = FLOAT_FMT[fmt][0]
    if (bits & _EXP_MASK[fmt]) == _EXP_MASK[fmt] and bits & _FRAC_MASK[fmt]:
        txt = float_bits_to_text(bits, fmt)
    elif fmt == "f32":
        txt = repr(struct.unpack("<f", struct.pack("<I", bits))[0])
    else:
        txt = repr(struct.unpack("<d", struct.pack("<Q", bits))[0])
    return f"{txt} (0x{bits:0{width // 4}x})"


def is_canonical_nan(bits: int, fmt: str) -> bool:
    return (bits & ~_SIGN[fmt]) == CANONICAL_NAN[fmt]


def is_arithmetic_nan(bits: int, fmt: str) -> bool:
    return (bits & _EXP_MASK[fmt]) == _EXP_MASK[fmt] and bool(bits & _QUIET[fmt])


def split_lanes(v: int, shape: str) -> List[int]:
    """The lanes (unsigned bits) of a 128-bit value, lane 0 first (lane 0 = low bits)."""
    count, bits, _ = SHAPES[shape]
    mask = (1 << bits) - 1
    return [(v >> (i * bits)) & mask for i in range(count)]


def format_value(v: Value) -> str:
    t, x = v.type, v.value
    if t in INT_BITS and isinstance(x, int):
        bits = INT_BITS[t]
        signed = x - (1 << bits) if x >> (bits - 1) else x
        return f"{t}:{signed} (0x{x:0{bits // 4}x})"
    if t in FLOAT_FMT and isinstance(x, int):
        return f"{t}:{format_float_bits(x, t)}"
    if t == "v128" and isinstance(x, int):
        return f"v128:0x{x:032x} (i32x4 {' '.join('0x%08x' % l for l in split_lanes(x, 'i32x4'))})"
    if x is None:
        return f"{t}:null"
    return f"{t}:{x!r}"


def _is_int(x: Any) -> bool:
    return isinstance(x, int) and not isinstance(x, bool)


class Pattern:
    def matches(self, v: Value) -> bool:  # pragma: no cover - interface
        raise NotImplementedError


@dataclass(frozen=True)
class Const(Pattern):
    """An exact number or vector: compared by bits (``bits`` unsigned)."""

    type: str
    bits: int

    def matches(self, v: Value) -> bool:
        if v.type is not None and v.type != self.type:
            return False
        x = v.value
        if not _is_int(x):
            return False
        width = 128 if self.type == "v128" else INT_BITS.get(self.type) or FLOAT_FMT[self.type][0]
        return (x & ((1 << width) - 1)) == self.bits and -(1 << (width - 1)) <= x < (1 << width)

    def __str__(self) -> str:
        return format_value(Value(self.type, self.bits))


def _nan_lane_matches(x: int, fmt: str, kind: str) -> bool:
    return is_canonical_nan(x, fmt) if kind == "canonical" else is_arithmetic_nan(x, fmt)


@dataclass(frozen=True)
class NanPat(Pattern):
    """``nan:canonical`` or ``nan:arithmetic`` of an f32/f64 (either sign)."""

    type: str
    kind: str  # 'canonical' | 'arithmetic'

    def matches(self, v: Value) -> bool:
        if v.type is not None and v.type != self.type:
            return False
        return _is_int(v.value) and _nan_lane_matches(v.value, self.type, self.kind)

    def __str__(self) -> str:
        return f"{self.type}:nan:{self.kind}"


@dataclass(frozen=True)
class V128Pat(Pattern):
    """A v128 result given per lane; float lanes may be ``nan:canonical``/``nan:arithmetic``.

    ``lanes`` holds ints (exact lane bits) or the strings ``'canonical'``/``'arithmetic'``.
    """

    shape: str
    lanes: Tuple[Union[int, str], ...]

    def matches(self, v: Value) -> bool:
        if v.type is not None and v.type != "v128":
            return False
        x = v.value
        if not _is_int(x) or not 0 <= x < 1 << 128:
            return False
        kind = SHAPES[self.shape][2]
        for g, want in zip(split_lanes(x, self.shape), self.lanes):
            if isinstance(want, str):
                if not _nan_lane_matches(g, kind, want):
                    return False
            elif g != want:
                return False
        return True

    def __str__(self) -> str:
        kind = SHAPES[self.shape][2]
        parts = []
        for lane in self.lanes:
            if isinstance(lane, str):
                parts.append("nan:" + lane)
            elif kind == "i":
                parts.append(str(lane))
            else:
                parts.append(float_bits_to_text(lane, kind))
        return f"v128:{self.shape} {' '.join(parts)}"


def _family_ok(v: Value, heap: Optional[str]) -> bool:
    """The engine-reported type of ``v`` (if it knows one) is in the hierarchy of ``heap``."""
    want = heap_family(heap) if heap is not None else None
    got = heap_family(v.type)
    return want is None or got is None or want == got


@dataclass(frozen=True)
class RefNull(Pattern):
    """``(ref.null ht)``: a null reference; ``heap`` None (``(ref.null)``) accepts any null.

    The reference interpreter accepts a null of any type for ``ref.null ht``; where the engine
    reports the result's type, this also checks that it is in the hierarchy of ``ht`` (a
    ``ref.null nofunc`` result of a ``funcref`` function matches, of an ``externref`` one not).
    """

    heap: Optional[str]

    def matches(self, v: Value) -> bool:
        return v.value is None and v.type not in ("i32", "i64", "f32", "f64", "v128") and _family_ok(v, self.heap)

    def __str__(self) -> str:
        return f"ref.null {self.heap or ''}".strip()


@dataclass(frozen=True)
class RefExtern(Pattern):
    """``(ref.extern N)``; ``n`` None (``(ref.extern)``) accepts any non-null extern reference."""

    n: Optional[int]

    def matches(self, v: Value) -> bool:
        if v.value is None or not _family_ok(v, "extern"):
            return False
        if self.n is None:
            return not _is_int(v.value)
        return v.value == ExternRef(self.n)

    def __str__(self) -> str:
        return "ref.extern" if self.n is None else f"ref.extern {self.n}"


@dataclass(frozen=True)
class RefHost(Pattern):
    """``(ref.host N)``: the host reference number N (of type anyref)."""

    n: int

    def matches(self, v: Value) -> bool:
        return v.value == HostRef(self.n)

    def __str__(self) -> str:
        return f"ref.host {self.n}"


@dataclass(frozen=True)
class RefFunc(Pattern):
    """``(ref.func)`` (or ``(ref.func N)``: the index cannot be checked from outside): any non-null
    function reference."""

    index: Optional[int] = None

    def matches(self, v: Value) -> bool:
        x = v.value
        return (x is not None and not isinstance(x, (ExternRef, HostRef)) and not _is_int(x)
                and _family_ok(v, "func"))

    def __str__(self) -> str:
        return "ref.func" if self.index is None else f"ref.func {self.index}"


@dataclass(frozen=True)
class RefType(Pattern):
    """``(ref.exn)``, ``(ref.any)``, ``(ref.eq)``, ...: any non-null reference of heap type
    ``heap`` (checked by hierarchy when the engine reports a type)."""

    heap: str

    def matches(self, v: Value) -> bool:
        x = v.value
        if x is None or _is_int(x) or not _family_ok(v, self.heap):
            return False
        if self.heap == "any":  # the reference interpreter: ref.any does not match a function
            return heap_family(v.type) == "any" or isinstance(x, HostRef)
        return True

    def __str__(self) -> str:
        return f"ref.{self.heap}"


@dataclass(frozen=True)
class Either(Pattern):
    """``(either p1 p2 ...)``: any alternative matches."""

    alternatives: Tuple[Pattern, ...]

    def matches(self, v: Value) -> bool:
        return any(p.matches(v) for p in self.alternatives)

    def __str__(self) -> str:
        return "either(" + " | ".join(map(str, self.alternatives)) + ")"
