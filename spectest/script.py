"""WAST scripts: S-expressions -> command objects, and the value conversions they need.

Values are carried as raw bits: :class:`Value` ``(type, value)`` where ``type`` is one of
``i32 i64 f32 f64 v128 funcref externref`` and ``value`` is an UNSIGNED int holding the bits for
numbers and vectors, or ``None`` / an :class:`ExternRef` / an engine function for references.

Expected results are patterns (:class:`Const`, :class:`NanPat`, :class:`V128Pat`,
:class:`RefNull`, :class:`RefExtern`, :class:`RefFunc`, :class:`Either`) with a ``matches(value)``
method.

Every command carries ``line`` (1-based line of its opening paren) and ``kind`` (the name it is
counted under: ``module``, ``register``, ``action``, ``assert_return``, ``assert_trap``,
``assert_exhaustion``, ``assert_invalid``, ``assert_malformed``, ``assert_unlinkable``,
``assert_uninstantiable`` -- which is also what ``(assert_trap (module ...))`` counts as -- and
``unsupported`` for forms this runner does not run, each with its reason).
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Any, List, NamedTuple, Optional, Sequence, Tuple, Union

from .sexpr import Node, ParseError, String, dumps, parse_with_lines

__all__ = [
    "ScriptError",
    "ExternRef",
    "Value",
    "Const",
    "NanPat",
    "V128Pat",
    "RefNull",
    "RefExtern",
    "RefFunc",
    "Either",
    "ModuleDef",
    "Register",
    "Action",
    "AssertReturn",
    "AssertTrap",
    "AssertExhaustion",
    "AssertMalformed",
    "AssertInvalid",
    "AssertUnlinkable",
    "AssertUninstantiable",
    "ActionCommand",
    "Unsupported",
    "parse_script",
    "parse_int",
    "parse_float",
    "parse_float_bits",
    "format_float_bits",
    "float_bits_to_text",
    "parse_v128",
    "parse_const",
    "format_value",
    "CANONICAL_NAN",
]


class ScriptError(ValueError):
    """A script form this runner cannot understand."""


# --------------------------------------------------------------------------------------------
# values


@dataclass(frozen=True)
class ExternRef:
    """The host reference ``(ref.extern N)``: compared by its number."""

    n: int

    def __repr__(self) -> str:
        return f"ref.extern {self.n}"


class Value(NamedTuple):
    type: Optional[str]  # i32 i64 f32 f64 v128 funcref externref, or None when the engine can't tell
    value: Any


_INT_BITS = {"i32": 32, "i64": 64}
# float formats: (total bits, mantissa (fraction) bits, exponent bits)
_FLOAT_FMT = {"f32": (32, 23, 8), "f64": (64, 52, 11)}
CANONICAL_NAN = {"f32": 0x7FC00000, "f64": 0x7FF8000000000000}
_EXP_MASK = {"f32": 0x7F800000, "f64": 0x7FF0000000000000}
_FRAC_MASK = {"f32": 0x007FFFFF, "f64": 0x000FFFFFFFFFFFFF}
_QUIET = {"f32": 0x00400000, "f64": 0x0008000000000000}
_SIGN = {"f32": 0x80000000, "f64": 0x8000000000000000}

_DEC_INT = re.compile(r"[0-9](?:_?[0-9])*\Z")
_HEX_INT = re.compile(r"[0-9a-fA-F](?:_?[0-9a-fA-F])*\Z")
_DEC_FLOAT = re.compile(
    r"(?P<int>[0-9](?:_?[0-9])*)(?:\.(?P<frac>[0-9](?:_?[0-9])*)?)?"
    r"(?:[eE](?P<exp>[+-]?[0-9](?:_?[0-9])*))?\Z"
)
_HEX_FLOAT = re.compile(
    r"(?P<int>[0-9a-fA-F](?:_?[0-9a-fA-F])*)(?:\.(?P<frac>[0-9a-fA-F](?:_?[0-9a-fA-F])*)?)?"
    r"(?:[pP](?P<exp>[+-]?[0-9](?:_?[0-9])*))?\Z"
)


def _split_sign(text: str) -> Tuple[bool, str]:
    if text[:1] == "-":
        return True, text[1:]
    if text[:1] == "+":
        return False, text[1:]
    return False, text


def _parse_nat(body: str) -> int:
    if body[:2] in ("0x", "0X"):
        digits = body[2:]
        if not _HEX_INT.match(digits):
            raise ScriptError(f"bad hexadecimal number {body!r}")
        return int(digits.replace("_", ""), 16)
    if not _DEC_INT.match(body):
        raise ScriptError(f"bad number {body!r}")
    return int(body.replace("_", ""), 10)


@functools.lru_cache(maxsize=65536)
def parse_int(text: str, bits: int) -> int:
    """Integer literal (``-1``, ``0xffff_ffff``, ``+7``) -> unsigned ``bits``-bit value."""
    neg, body = _split_sign(text)
    n = _parse_nat(body)
    if neg:
        if n > 1 << (bits - 1):
            raise ScriptError(f"integer constant out of range: {text}")
        n = -n
    elif n >= 1 << bits:
        raise ScriptError(f"integer constant out of range: {text}")
    return n & ((1 << bits) - 1)


def _round_to_float(num: int, den: int, mbits: int, ebits: int) -> int:
    """Round the positive rational num/den to nearest-even in the given binary format.

    Returns the bits without the sign; raises OverflowError if it rounds to infinity.
    """
    bias = (1 << (ebits - 1)) - 1
    emin = 1 - bias
    # e = floor(log2(num/den))
    e = num.bit_length() - den.bit_length()
    if e >= 0:
        if num < (den << e):
            e -= 1
    elif (num << -e) < den:
        e -= 1
    if e < emin:
        e = emin  # subnormal range: fixed scale
    shift = mbits - e
    if shift >= 0:
        q, r = divmod(num << shift, den)
        d = den
    else:
        d = den << -shift
        q, r = divmod(num, d)
    r2 = r << 1
    if r2 > d or (r2 == d and q & 1):
        q += 1
    if q >> (mbits + 1):  # rounding carried into a new binade
        q >>= 1
        e += 1
    if q >> mbits:  # normal
        biased = e + bias
        if biased >= (1 << ebits) - 1:
            raise OverflowError("float constant out of range")
        return (biased << mbits) | (q & ((1 << mbits) - 1))
    return q  # subnormal (or zero)


def _rational_bits(num: int, den: int, fmt: str) -> int:
    _, mbits, ebits = _FLOAT_FMT[fmt]
    if num == 0:
        return 0
    return _round_to_float(num, den, mbits, ebits)


@functools.lru_cache(maxsize=262144)
def parse_float_bits(text: str, fmt: str) -> int:
    """Float literal -> raw bits (unsigned) of an ``fmt`` (``'f32'``/``'f64'``) value.

    Accepts decimal and hexadecimal forms (with ``_`` separators), ``inf``, ``nan``,
    ``nan:0x...``, each with an optional sign. Rounds to nearest, ties to even; a finite
    literal that rounds to infinity raises :class:`ScriptError`.
    """
    width, mbits, ebits = _FLOAT_FMT[fmt]
    neg, body = _split_sign(text)
    sign = _SIGN[fmt] if neg else 0
    if body == "inf":
        return sign | _EXP_MASK[fmt]
    if body == "nan":
        return sign | CANONICAL_NAN[fmt]
    if body.startswith("nan:0x"):
        digits = body[6:]
        if not _HEX_INT.match(digits):
            raise ScriptError(f"bad NaN payload {text!r}")
        payload = int(digits.replace("_", ""), 16)
        if not 1 <= payload <= _FRAC_MASK[fmt]:
            raise ScriptError(f"NaN payload out of range: {text}")
        return sign | _EXP_MASK[fmt] | payload
    max_exp = 1 << ebits  # generous bound on binary exponents that can still be finite
    if body[:2] in ("0x", "0X"):
        m = _HEX_FLOAT.match(body[2:])
        if not m:
            raise ScriptError(f"bad float literal {text!r}")
        ip = m.group("int").replace("_", "")
        fp = (m.group("frac") or "").replace("_", "")
        exp = int((m.group("exp") or "0").replace("_", ""))
        mant = int(ip + fp, 16)
        exp -= 4 * len(fp)
        if mant == 0:
            return sign
        top = mant.bit_length() + exp  # value < 2**top
        if top > max_exp + 2:
            raise ScriptError(f"float constant out of range: {text}")
        if top < -(max_exp + mbits + 4):
            return sign  # far below the smallest subnormal: rounds to zero
        num, den = (mant << exp, 1) if exp >= 0 else (mant, 1 << -exp)
    else:
        m = _DEC_FLOAT.match(body)
        if not m:
            raise ScriptError(f"bad float literal {text!r}")
        ip = m.group("int").replace("_", "")
        fp = (m.group("frac") or "").replace("_", "")
        exp = int((m.group("exp") or "0").replace("_", ""))
        digits = (ip + fp).lstrip("0")
        exp -= len(fp)
        if not digits:
            return sign
        if fmt == "f64" and len(digits) <= 300 and -400 < exp < 400:
            # Python's float() is correctly rounded for binary64
            v = float(f"{digits}e{exp}")
            if v == float("inf"):
                raise ScriptError(f"float constant out of range: {text}")
            import struct

            return sign | struct.unpack("<Q", struct.pack("<d", v))[0]
        mant = int(digits)
        top10 = len(digits) + exp  # value < 10**top10
        if top10 > (max_exp * 3) // 10 + 2:
            raise ScriptError(f"float constant out of range: {text}")
        if top10 < -((max_exp + mbits) * 3) // 10 - 4:
            return sign
        num, den = (mant * 10**exp, 1) if exp >= 0 else (mant, 10**-exp)
    try:
        return sign | _rational_bits(num, den, fmt)
    except OverflowError:
        raise ScriptError(f"float constant out of range: {text}") from None


def parse_float(text: str, fmt: str) -> int:
    """Alias of :func:`parse_float_bits`."""
    return parse_float_bits(text, fmt)


def float_bits_to_text(bits: int, fmt: str) -> str:
    """Exact text form of raw float bits (hex float, ``inf``, ``nan:0x..``); parses back to ``bits``."""
    width, mbits, ebits = _FLOAT_FMT[fmt]
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
    # mantissa as hex digits: pad the fraction to whole nibbles
    nib = (mbits + 3) // 4
    f = frac << (4 * nib - mbits)
    fs = f"{f:0{nib}x}".rstrip("0")
    return f"{sign}0x{lead}{'.' + fs if fs else ''}p{exp:+d}"


def format_float_bits(bits: int, fmt: str) -> str:
    """Human-readable form of raw float bits for messages: ``1.5 (0x3fc00000)``."""
    import struct

    width = _FLOAT_FMT[fmt][0]
    if (bits & _EXP_MASK[fmt]) == _EXP_MASK[fmt] and bits & _FRAC_MASK[fmt]:
        txt = float_bits_to_text(bits, fmt)
    elif fmt == "f32":
        txt = repr(struct.unpack("<f", struct.pack("<I", bits))[0])
    else:
        txt = repr(struct.unpack("<d", struct.pack("<Q", bits))[0])
    return f"{txt} (0x{bits:0{width // 4}x})"


def is_nan(bits: int, fmt: str) -> bool:
    return (bits & _EXP_MASK[fmt]) == _EXP_MASK[fmt] and bool(bits & _FRAC_MASK[fmt])


def is_canonical_nan(bits: int, fmt: str) -> bool:
    return (bits & ~_SIGN[fmt]) == CANONICAL_NAN[fmt]


def is_arithmetic_nan(bits: int, fmt: str) -> bool:
    return (bits & _EXP_MASK[fmt]) == _EXP_MASK[fmt] and bool(bits & _QUIET[fmt])


# v128 shapes: name -> (lane count, lane bits, lane kind)
_SHAPES = {
    "i8x16": (16, 8, "i"),
    "i16x8": (8, 16, "i"),
    "i32x4": (4, 32, "i"),
    "i64x2": (2, 64, "i"),
    "f32x4": (4, 32, "f32"),
    "f64x2": (2, 64, "f64"),
}


def _lane_int(text: str, bits: int) -> int:
    # lanes accept [-2**(bits-1), 2**bits), like the scalar constants
    return parse_int(text, bits)


def parse_v128(shape: str, lanes: Sequence[str]) -> int:
    """``v128.const <shape> <lanes>`` -> unsigned 128-bit int (lane 0 in the low bits)."""
    if shape not in _SHAPES:
        raise ScriptError(f"unknown v128 shape {shape!r}")
    count, bits, kind = _SHAPES[shape]
    if len(lanes) != count:
        raise ScriptError(f"v128.const {shape} needs {count} lanes, got {len(lanes)}")
    out = 0
    for i, lane in enumerate(lanes):
        if type(lane) is not str:
            raise ScriptError(f"bad v128 lane {lane!r}")
        v = _lane_int(lane, bits) if kind == "i" else parse_float_bits(lane, kind)
        out |= v << (i * bits)
    return out


def split_lanes(v: int, shape: str) -> List[int]:
    count, bits, _ = _SHAPES[shape]
    mask = (1 << bits) - 1
    return [(v >> (i * bits)) & mask for i in range(count)]


def format_value(v: Value) -> str:
    t, x = v.type, v.value
    if t in _INT_BITS and isinstance(x, int):
        bits = _INT_BITS[t]
        signed = x - (1 << bits) if x >> (bits - 1) else x
        return f"{t}:{signed} (0x{x:0{bits // 4}x})"
    if t in _FLOAT_FMT and isinstance(x, int):
        return f"{t}:{format_float_bits(x, t)}"
    if t == "v128" and isinstance(x, int):
        return f"v128:0x{x:032x} (i32x4 {' '.join('0x%08x' % l for l in split_lanes(x, 'i32x4'))})"
    if t in ("funcref", "externref"):
        return f"{t}:{'null' if x is None else x!r}"
    return f"{t}:{x!r}"


# --------------------------------------------------------------------------------------------
# result patterns


class Pattern:
    def matches(self, v: Value) -> bool:  # pragma: no cover - interface
        raise NotImplementedError


@dataclass(frozen=True)
class Const(Pattern):
    """An exact value: numbers/vectors compare by bits."""

    type: str
    bits: int

    def matches(self, v: Value) -> bool:
        if v.type is not None and v.type != self.type:
            return False
        x = v.value
        if not isinstance(x, int) or isinstance(x, bool):
            return False
        width = 128 if self.type == "v128" else _INT_BITS.get(self.type) or _FLOAT_FMT[self.type][0]
        return (x & ((1 << width) - 1)) == self.bits and -(1 << (width - 1)) <= x < (1 << width)

    def __str__(self) -> str:
        return format_value(Value(self.type, self.bits))


@dataclass(frozen=True)
class NanPat(Pattern):
    """``nan:canonical`` or ``nan:arithmetic`` of an f32/f64."""

    type: str
    kind: str  # 'canonical' | 'arithmetic'

    def matches(self, v: Value) -> bool:
        if v.type is not None and v.type != self.type:
            return False
        x = v.value
        if not isinstance(x, int) or isinstance(x, bool):
            return False
        return _nan_lane_matches(x, self.type, self.kind)

    def __str__(self) -> str:
        return f"{self.type}:nan:{self.kind}"


def _nan_lane_matches(x: int, fmt: str, kind: str) -> bool:
    if kind == "canonical":
        return is_canonical_nan(x, fmt)
    return is_arithmetic_nan(x, fmt)


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
        if not isinstance(x, int) or isinstance(x, bool) or not 0 <= x < 1 << 128:
            return False
        got = split_lanes(x, self.shape)
        kind = _SHAPES[self.shape][2]
        for g, want in zip(got, self.lanes):
            if isinstance(want, str):
                if not _nan_lane_matches(g, kind, want):
                    return False
            elif g != want:
                return False
        return True

    def __str__(self) -> str:
        kind = _SHAPES[self.shape][2]
        parts = []
        for lane in self.lanes:
            if isinstance(lane, str):
                parts.append("nan:" + lane)
            elif kind == "i":
                parts.append(str(lane))
            else:
                parts.append(float_bits_to_text(lane, kind))
        return f"v128:{self.shape} {' '.join(parts)}"


@dataclass(frozen=True)
class RefNull(Pattern):
    """``(ref.null func|extern)``; ``kind`` None accepts any null."""

    kind: Optional[str]

    def matches(self, v: Value) -> bool:
        if v.value is not None:
            return False
        if v.type is None or self.kind is None:
            return v.type in (None, "funcref", "externref")
        want = {"func": "funcref", "extern": "externref"}.get(self.kind, self.kind)
        return v.type == want

    def __str__(self) -> str:
        return f"ref.null {self.kind or ''}".strip()


@dataclass(frozen=True)
class RefExtern(Pattern):
    """``(ref.extern N)``; ``n`` None accepts any non-null extern reference."""

    n: Optional[int]

    def matches(self, v: Value) -> bool:
        if v.type not in (None, "externref") or v.value is None:
            return False
        if self.n is None:
            return True
        return v.value == ExternRef(self.n)

    def __str__(self) -> str:
        return "ref.extern" if self.n is None else f"ref.extern {self.n}"


@dataclass(frozen=True)
class RefFunc(Pattern):
    """``(ref.func ...)``: any non-null function reference."""

    def matches(self, v: Value) -> bool:
        return v.type in (None, "funcref") and v.value is not None and not isinstance(v.value, ExternRef)

    def __str__(self) -> str:
        return "ref.func"


@dataclass(frozen=True)
class Either(Pattern):
    alternatives: Tuple[Pattern, ...]

    def matches(self, v: Value) -> bool:
        return any(p.matches(v) for p in self.alternatives)

    def __str__(self) -> str:
        return "either(" + " | ".join(map(str, self.alternatives)) + ")"


# --------------------------------------------------------------------------------------------
# constants and patterns from S-expressions


def _atoms(node: list, start: int) -> List[str]:
    out = node[start:]
    for a in out:
        if type(a) is not str:
            raise ScriptError(f"expected a number, got {dumps(a)}")
    return out


def parse_const(node: Node) -> Value:
    """An argument constant: ``(i32.const 1)``, ``(v128.const i8x16 ...)``, ``(ref.null func)``, ..."""
    if type(node) is not list or not node or type(node[0]) is not str:
        raise ScriptError(f"expected a constant, got {dumps(node)}")
    op = node[0]
    if op in ("i32.const", "i64.const"):
        if len(node) != 2:
            raise ScriptError(f"bad constant {dumps(node)}")
        t = op[:3]
        return Value(t, parse_int(_atoms(node, 1)[0], _INT_BITS[t]))
    if op in ("f32.const", "f64.const"):
        if len(node) != 2:
            raise ScriptError(f"bad constant {dumps(node)}")
        t = op[:3]
        return Value(t, parse_float_bits(_atoms(node, 1)[0], t))
    if op == "v128.const":
        lanes = _atoms(node, 1)
        if not lanes:
            raise ScriptError("v128.const without shape")
        return Value("v128", parse_v128(lanes[0], lanes[1:]))
    if op == "ref.null":
        kind = node[1] if len(node) > 1 else None
        if kind in ("func", "funcref"):
            return Value("funcref", None)
        if kind in ("extern", "externref"):
            return Value("externref", None)
        raise ScriptError(f"unsupported reference constant {dumps(node)}")
    if op in ("ref.extern", "ref.host"):
        if len(node) != 2:
            raise ScriptError(f"bad constant {dumps(node)}")
        return Value("externref", ExternRef(parse_int(_atoms(node, 1)[0], 64)))
    raise ScriptError(f"unsupported constant {dumps(node)}")


def parse_pattern(node: Node) -> Pattern:
    """A result pattern of ``assert_return``."""
    if type(node) is not list or not node or type(node[0]) is not str:
        raise ScriptError(f"expected a result, got {dumps(node)}")
    op = node[0]
    if op in ("i32.const", "i64.const"):
        if len(node) != 2:
            raise ScriptError(f"bad result {dumps(node)}")
        t = op[:3]
        return Const(t, parse_int(_atoms(node, 1)[0], _INT_BITS[t]))
    if op in ("f32.const", "f64.const"):
        if len(node) != 2:
            raise ScriptError(f"bad result {dumps(node)}")
        t = op[:3]
        text = _atoms(node, 1)[0]
        if text in ("nan:canonical", "nan:arithmetic"):
            return NanPat(t, text[4:])
        return Const(t, parse_float_bits(text, t))
    if op == "v128.const":
        lanes = _atoms(node, 1)
        if not lanes:
            raise ScriptError("v128.const without shape")
        shape, rest = lanes[0], lanes[1:]
        if shape not in _SHAPES:
            raise ScriptError(f"unknown v128 shape {shape!r}")
        count, bits, kind = _SHAPES[shape]
        if len(rest) != count:
            raise ScriptError(f"v128.const {shape} needs {count} lanes, got {len(rest)}")
        if kind == "i":
            return Const("v128", parse_v128(shape, rest))
        pats: List[Union[int, str]] = []
        for lane in rest:
            if lane in ("nan:canonical", "nan:arithmetic"):
                pats.append(lane[4:])
            else:
                pats.append(parse_float_bits(lane, kind))
        if all(isinstance(p, int) for p in pats):
            return Const("v128", sum(p << (i * bits) for i, p in enumerate(pats)))
        return V128Pat(shape, tuple(pats))
    if op == "ref.null":
        kind = node[1] if len(node) > 1 else None
        if kind is not None and type(kind) is not str:
            raise ScriptError(f"bad result {dumps(node)}")
        kind = {"funcref": "func", "externref": "extern"}.get(kind, kind)
        return RefNull(kind)
    if op in ("ref.extern", "ref.host"):
        if len(node) == 1:
            return RefExtern(None)
        return RefExtern(parse_int(_atoms(node, 1)[0], 64))
    if op == "ref.func":
        return RefFunc()
    if op == "either":
        return Either(tuple(parse_pattern(n) for n in node[1:]))
    raise ScriptError(f"unsupported result {dumps(node)}")


# --------------------------------------------------------------------------------------------
# commands


@dataclass
class ModuleDef:
    """A module: ``form`` is 'text' (``text`` = the module re-serialised), 'quote' (``text`` =
    the concatenated quoted strings) or 'binary' (``binary`` = the concatenated bytes)."""

    line: int
    name: Optional[str]
    form: str
    text: Optional[str] = None
    binary: Optional[bytes] = None
    kind: str = "module"


@dataclass
class Register:
    line: int
    as_name: str
    module: Optional[str]
    kind: str = "register"


@dataclass
class Action:
    """``(invoke $m? "name" args...)`` or ``(get $m? "name")``."""

    op: str  # 'invoke' | 'get'
    module: Optional[str]
    field: str
    args: Tuple[Value, ...] = ()

    def __str__(self) -> str:
        mod = f"{self.module} " if self.module else ""
        args = "".join(" " + format_value(a) for a in self.args)
        return f"{self.op} {mod}{self.field!r}{args}"


@dataclass
class ActionCommand:
    line: int
    action: Action
    kind: str = "action"


@dataclass
class AssertReturn:
    line: int
    action: Action
    expected: Tuple[Pattern, ...]
    kind: str = "assert_return"


@dataclass
class AssertTrap:
    line: int
    action: Action
    message: str
    kind: str = "assert_trap"


@dataclass
class AssertExhaustion:
    line: int
    action: Action
    message: str
    kind: str = "assert_exhaustion"


@dataclass
class AssertMalformed:
    line: int
    module: ModuleDef
    message: str
    kind: str = "assert_malformed"


@dataclass
class AssertInvalid:
    line: int
    module: ModuleDef
    message: str
    kind: str = "assert_invalid"


@dataclass
class AssertUnlinkable:
    line: int
    module: ModuleDef
    message: str
    kind: str = "assert_unlinkable"


@dataclass
class AssertUninstantiable:
    """``(assert_uninstantiable module msg)`` or ``(assert_trap module msg)``."""

    line: int
    module: ModuleDef
    message: str
    kind: str = "assert_uninstantiable"


@dataclass
class Unsupported:
    """A form this runner does not run; it is counted as skipped with ``reason``."""

    line: int
    what: str
    reason: str
    kind: str = "unsupported"


Command = Union[
    ModuleDef, Register, ActionCommand, AssertReturn, AssertTrap, AssertExhaustion,
    AssertMalformed, AssertInvalid, AssertUnlinkable, AssertUninstantiable, Unsupported,
]


def _is_name(node: Any) -> bool:
    return type(node) is str and node[:1] == "$"


def _string(node: Any, what: str) -> str:
    if not isinstance(node, String):
        raise ScriptError(f"expected a string for {what}, got {dumps(node) if node is not None else 'nothing'}")
    return node.text()


def parse_module(node: list, line: int) -> ModuleDef:
    if not node or node[0] != "module":
        raise ScriptError(f"expected a module, got {dumps(node)[:60]}")
    i = 1
    name = None
    if len(node) > 1 and _is_name(node[1]):
        name = node[1]
        i = 2
    mode = node[i] if len(node) > i else None
    if mode == "binary" or mode == "quote":
        parts = node[i + 1 :]
        for p in parts:
            if not isinstance(p, String):
                raise ScriptError(f"module {mode} takes strings only")
        if mode == "binary":
            return ModuleDef(line, name, "binary", binary=b"".join(p.value for p in parts))
        text = b"".join(p.value for p in parts).decode("utf-8", "surrogateescape")
        return ModuleDef(line, name, "quote", text=text)
    if mode in ("definition", "instance"):
        raise ScriptError(f"(module {mode} ...) is not supported (not part of WebAssembly 2.0)")
    # strings are written back with ASCII escapes: wat2wasm rejects some raw characters
    return ModuleDef(line, name, "text", text=dumps(node, ascii=True))


def parse_action(node: Any) -> Action:
    if type(node) is not list or not node or node[0] not in ("invoke", "get"):
        raise ScriptError(f"expected an action, got {dumps(node)[:60] if node is not None else 'nothing'}")
    op = node[0]
    i = 1
    module = None
    if len(node) > 1 and _is_name(node[1]):
        module = node[1]
        i = 2
    field = _string(node[i] if len(node) > i else None, op)
    rest = node[i + 1 :]
    if op == "get":
        if rest:
            raise ScriptError("get takes no arguments")
        return Action(op, module, field)
    return Action(op, module, field, tuple(parse_const(a) for a in rest))


def _message(node: list, index: int) -> str:
    if len(node) <= index:
        raise ScriptError(f"{node[0]} needs a failure message")
    return _string(node[index], node[0])


def parse_command(node: Node, line: int) -> Command:
    if type(node) is not list or not node or type(node[0]) is not str:
        raise ScriptError(f"expected a command, got {dumps(node)[:60]}")
    head = node[0]
    if head == "module":
        return parse_module(node, line)
    if head == "register":
        as_name = _string(node[1] if len(node) > 1 else None, "register")
        mod = node[2] if len(node) > 2 else None
        if mod is not None and not _is_name(mod):
            raise ScriptError("register: expected a module name")
        return Register(line, as_name, mod)
    if head in ("invoke", "get"):
        return ActionCommand(line, parse_action(node))
    if head == "assert_return":
        return AssertReturn(line, parse_action(node[1] if len(node) > 1 else None),
                            tuple(parse_pattern(n) for n in node[2:]))
    if head == "assert_trap":
        target = node[1] if len(node) > 1 else None
        if type(target) is list and target and target[0] == "module":
            return AssertUninstantiable(line, parse_module(target, line), _message(node, 2))
        return AssertTrap(line, parse_action(target), _message(node, 2))
    if head == "assert_exhaustion":
        return AssertExhaustion(line, parse_action(node[1] if len(node) > 1 else None), _message(node, 2))
    if head in ("assert_malformed", "assert_invalid", "assert_unlinkable", "assert_uninstantiable"):
        target = node[1] if len(node) > 1 else None
        if type(target) is not list:
            raise ScriptError(f"{head} needs a module")
        mod = parse_module(target, line)
        cls = {
            "assert_malformed": AssertMalformed,
            "assert_invalid": AssertInvalid,
            "assert_unlinkable": AssertUnlinkable,
            "assert_uninstantiable": AssertUninstantiable,
        }[head]
        return cls(line, mod, _message(node, 2))
    if head in ("script", "input", "output"):
        return Unsupported(line, head, f"meta command ({head} ...) is not supported")
    raise ScriptError(f"unknown command {head!r}")


_KINDS = {
    "module": "module", "register": "register", "invoke": "action", "get": "action",
    "assert_return": "assert_return", "assert_trap": "assert_trap",
    "assert_exhaustion": "assert_exhaustion", "assert_malformed": "assert_malformed",
    "assert_invalid": "assert_invalid", "assert_unlinkable": "assert_unlinkable",
    "assert_uninstantiable": "assert_uninstantiable",
}


def _kind_of(node: Node) -> str:
    """The kind a (possibly unparseable) command is counted under."""
    if type(node) is not list or not node or type(node[0]) is not str:
        return "unsupported"
    if node[0] == "assert_trap" and len(node) > 1 and type(node[1]) is list and node[1][:1] == ["module"]:
        return "assert_uninstantiable"
    return _KINDS.get(node[0], "unsupported")


_MODULE_FIELDS = {"type", "import", "func", "table", "memory", "global", "export", "start", "elem", "data"}


def parse_script(text: str) -> List[Command]:
    """Parse a whole ``.wast`` script into commands.

    Module fields at the top level (a script that is just a module's body) form an inline module.
    A syntax error in the S-expressions raises :class:`~spectest.sexpr.ParseError`; a command this
    module cannot interpret becomes an :class:`Unsupported` command carrying the reason (so that a
    runner reports it instead of dropping it).
    """
    out: List[Command] = []
    inline: List[Node] = []  # module fields written at the top level (an inline module)
    inline_line = 0
    for node, line in parse_with_lines(text) + [(None, 0)]:
        if type(node) is list and node and node[0] in _MODULE_FIELDS:
            if not inline:
                inline_line = line
            inline.append(node)
            continue
        if inline:
            out.append(ModuleDef(inline_line, None, "text", text=dumps(["module"] + inline, ascii=True)))
            inline = []
        if node is None:
            break
        try:
            out.append(parse_command(node, line))
        except (ScriptError, ParseError) as e:
            what = node[0] if type(node) is list and node and type(node[0]) is str else "?"
            out.append(Unsupported(line, what, str(e), kind=_kind_of(node)))
    return out
