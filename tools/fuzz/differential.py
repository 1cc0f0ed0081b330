"""Differential fuzzer: whisk against wasmtime on modules from ``wasm-tools smith``.

Usage::

    python tools/fuzz/differential.py --seed S --count N [--features wasm3] [--keep DIR]
                                      [--no-shrink]
    python tools/fuzz/differential.py --check FILE.wasm [--linked PROVIDER]  # compare one
    python tools/fuzz/differential.py --predicate KIND FILE    # exit 0 iff FILE shows KIND

``--features`` (default ``wasm2``) selects the feature set (``common.FEATURE_SETS``): smith
generates it, wasmtime's Config enables exactly it and whisk loads modules with the matching
``whisk.Features``. ``wasm3`` is everything whisk implements but GC, minus what cannot be
compared (``common.DIFFERENTIAL_EXCLUDED``: relaxed SIMD, whose deterministic choices differ
between the engines, and legacy exceptions, which wasmtime lacks). ``gc`` is all of 3.0: smith
makes struct, array and i31 types and instructions, rec groups, subtyping and casts, and
wasmtime runs with ``wasm_gc``; it keeps ``gc`` on even while whisk does not implement it, so
that whisk's refusals are findings ('load'). ``--wasmtime-only`` dry-runs the harness without
whisk: it counts wasmtime's outcomes, and an outcome it does not classify is a finding.

Each case draws random seed bytes and smith options from ``case_rng(S, i)`` and asks smith for a
valid module restricted to the feature set, with NaNs canonicalised, smith's fuel counter
(``--ensure-termination``) so that every loop and recursion ends, and a declared maximum on
every memory and table. Imports (in about a third of the cases) are served identically in both
engines: a HostModel for functions, fresh memories, tables and globals for the rest. In a
quarter of the cases the module is made (``--available-imports``) to import from a provider
module, which is instantiated first in the same store and whose exports are compared too
(with ``gc``, the description of the provider's exports keeps its type section, so that the
imports match by canonical rec group). The module
is instantiated in both engines, every exported function is called (in export order, three
times) with the same arguments (derived from the export's name and type, so a saved file
replays alone), and the results, traps, host calls and the final contents of every exported or
imported memory, global and table are compared bit for bit. An exception that escapes an
export (3.0) compares as ('exception', payload): whisk raises ``whisk.WasmException``, wasmtime
a Trap without a trap code whose exception the harness takes from the store. References
compare by kind, not identity: a funcref by the name of the export it is (or 'anon' and its
arity), an externref by the host token (an externalized GC reference as ('extern', 'any')), an
exnref only as null or not, a GC reference (the any hierarchy) as null, ('i31', value),
('struct',), ('array',) or ('any',) (an internalized host reference). Arguments of GC
reference types are null; a function with a non-nullable reference parameter is not called.
An instantiation that an import's type stops (with GC, types match by their canonical rec
group: a host function's type is final and alone in its group) must fail in both engines. Every other module (by
hash) also runs through whisk's value API (``Func.__call__``), which must agree with
``call_bits`` (kind 'api'). A difference is shrunk with ``wasm-tools shrink`` and saved into
tests/fuzz/regressions/.

Not findings: a stack exhaustion or fuel/timeout in either engine (their limits differ; the
comparison stops there), a module wasmtime cannot compile, and resource-limit failures when
instantiating. Skipped (counted as 'skipped'): modules whose interface the host side cannot
give both engines alike (v128, exnref or typed references in a host function's type; imported
tags are fresh tags in both engines, imported table64 or exnref tables and v128 or exnref
globals come from a tiny module on the wasmtime side, as wasmtime-py cannot make them), and
modules with value types this harness's reader
does not know at an export. GC traps: null-ref (null structure / array / i31 reference), oob-array,
cast; wasmtime's "allocation size too large" and "GC heap out of memory" are limits ('resource').
"""

from __future__ import annotations

import ctypes
import hashlib
import os
import random
import shutil
import struct
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from typing import Any

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402

#: Both engines run under the same limits.
MAX_MEMORY_BYTES = 16 << 20
MAX_TABLE_ELEMENTS = 10_000_000
ENGINE_FUEL = 20_000_000
CALL_TIMEOUT = 20.0
ROUNDS = 3
#: Table entries compared at most (the size is always compared).
TABLE_COMPARE = 20_000

_WIDTH = {"i32": 32, "i64": 64, "f32": 32, "f64": 64, "v128": 128}

#: Interesting bit patterns per type (edges, NaNs with payloads, infinities, -0, subnormals).
_SPECIAL = {
    32: [0, 1, 2, 0x7F, 0x80, 0xFF, 0x7FFF, 0x8000, 0xFFFF, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF,
         0xFFFFFFFE, 0x3F800000, 0xBF800000, 0x7F800000, 0xFF800000, 0x7FC00000, 0xFFC00000,
         0x7FA00001, 0x7F800001, 0x00000001, 0x807FFFFF, 0x4F000000, 0xCF000000, 0x10000,
         0xFFFF0000, 65536 * 16, 0x4B000000],
    64: [0, 1, 2, 0xFF, 0xFFFF, 0xFFFFFFFF, 0x100000000, 0x7FFFFFFFFFFFFFFF, 0x8000000000000000,
         0xFFFFFFFFFFFFFFFF, 0x3FF0000000000000, 0xBFF0000000000000, 0x7FF0000000000000,
         0xFFF0000000000000, 0x7FF8000000000000, 0xFFF8000000000000, 0x7FF4000000000001,
         0x7FF0000000000001, 0x0000000000000001, 0x43E0000000000000, 0xC3E0000000000000,
         0x41E0000000000000, 0x80000000],
}


class ExternToken:
    """A host object passed as a non-null externref; compared by its number."""

    __slots__ = ("n",)

    def __init__(self, n: int):
        self.n = n

    def __repr__(self) -> str:
        return f"extern#{self.n}"


_TOKENS = [ExternToken(i) for i in range(4)]


# ------------------------------------------------------------------------------ generation
def smith_flags(rng: random.Random, fs: common.FeatureSet | None = None) -> list[str]:
    """The smith command line for one differential case: the feature set ``fs`` (default
    wasm2), canonical NaNs, guaranteed termination, plus a few shape options drawn from
    ``rng``."""
    fs = fs or common.feature_set("wasm2", differential=True)
    flags = list(fs.smith_flags())
    if "memory64" in fs.features:
        # the same sizes as for 32-bit memories: both engines must be able to allocate them
        # (whisk reserves at most 16 GiB of address space per memory64 memory)
        flags += ["--max-memory64-bytes", str(rng.choice([65536, 1 << 20, 4 << 20]))]
    flags += ["--ensure-termination", "--fuel", str(rng.choice([100, 1000, 1000, 5000])),
              "--canonicalize-nans", "true",
              "--max-memory32-bytes", str(rng.choice([65536, 1 << 20, 4 << 20])),
              # every memory and table declares a maximum, so that the engines' resource limits
              # (which they count differently: whisk charges tables to max_memory_bytes too)
              # never decide a memory.grow or table.grow
              "--memory-max-size-required", "true", "--table-max-size-required", "true",
              "--max-table-elements", str(rng.choice([10, 100, 1000])),
              "--max-instructions", str(rng.choice([20, 50, 100, 100, 300])),
              "--max-funcs", str(rng.choice([20, 50, 100])),
              "--export-everything", rng.choice(["true", "true", "false"]),
              "--allow-floats", rng.choice(["true", "true", "true", "false"]),
              "--disallow-traps", rng.choice(["false", "true"]),
              "--generate-custom-sections", rng.choice(["false", "false", "true"]),
              "--min-funcs", str(rng.choice([1, 5, 10]))]
    if rng.random() < 0.3:
        # imports, served by deterministic host stubs (HostModel) on both sides
        flags += ["--max-imports", str(rng.choice([2, 5, 10])), "--min-imports", "1"]
    else:
        flags += ["--max-imports", "0", "--min-imports", "0"]
    if rng.random() < 0.35:
        # straight-line code (no control instructions, so no smith-made `unreachable`): the
        # calls return and their results compare
        kinds = ["numeric", "variable", "parametric"] + [
            k for k in ("memory", "vector", "table", "reference") if rng.random() < 0.6]
        if "gc" in fs.features:
            kinds += ["aggregate", "reference"]          # struct.*, array.*, i31, casts
        flags += ["--allowed-instructions", ",".join(dict.fromkeys(kinds))]
    if rng.random() < 0.3:
        flags += ["--min-memories", "1"]
    if rng.random() < 0.2:
        flags += ["--min-uleb-size", str(rng.choice([1, 2, 5]))]
    if "exceptions" in fs.features and rng.random() < 0.5:
        flags += ["--min-tags", str(rng.choice([1, 3]))]   # more throw / try_table
    if "gc" in fs.features and rng.random() < 0.5:
        flags += ["--min-types", str(rng.choice([2, 5, 10]))]   # more struct and array types
    return flags


def _set_flag(flags: list[str], name: str, value: str) -> None:
    if name in flags:
        flags[flags.index(name) + 1] = value
    else:
        flags += [name, value]


#: The share of cases that link two modules: a provider (everything exported) instantiated
#: first, and the case's module, made by smith to import from it (``--available-imports``).
LINKED_SHARE = 0.25


def generate(seed: int, index: int, fs: common.FeatureSet | None = None,
             ) -> tuple[bytes | None, list[str], bytes | None]:
    """Case ``index`` of the run ``seed`` with feature set ``fs`` (default wasm2): (module or
    None, its smith flags, the provider module it imports from as "a", or None). A wasm2 case
    is the same as before feature sets existed; other sets draw their cases separately."""
    fs = fs or common.feature_set("wasm2", differential=True)
    rng = common.case_rng(seed, index, "differential" if fs.name == "wasm2" else
                          f"differential-{fs.name}")
    flags = smith_flags(rng, fs)
    size = rng.choice([256, 1024, 4096, 4096, 16384, 16384, 65536])
    data = rng.randbytes(size)
    if rng.random() >= LINKED_SHARE:
        return common.smith(data, flags), flags, None
    aflags = smith_flags(rng, fs)
    for name, value in (("--export-everything", "true"), ("--max-imports", "0"),
                        ("--min-imports", "0")):
        _set_flag(aflags, name, value)
    provider = common.smith(rng.randbytes(rng.choice([1024, 4096, 16384])), aflags)
    if provider is None:
        return None, flags, None
    desc = common.imports_module_same_types("a", provider) if "gc" in fs.features else \
        common.imports_module("a", common.export_details(provider))
    with tempfile.TemporaryDirectory(prefix="whisk-link-") as tmp:
        path = os.path.join(tmp, "imports.wasm")
        with open(path, "wb") as f:
            f.write(desc)
        _set_flag(flags, "--max-imports", str(rng.choice([3, 10, 30])))
        _set_flag(flags, "--min-imports", "1")
        flags += ["--available-imports", path]
        wasm = common.smith(data, flags)
    flags[-1] = "<provider's exports>"
    return wasm, flags, provider


# ------------------------------------------------------------------------------ arguments
def _arg(rng: random.Random, t: str, funcs: Sequence[str]) -> Any:
    # one argument of type t in engine-neutral form
    if t in ("funcref",):
        if funcs and rng.random() < 0.6:
            return ("func", rng.choice(funcs))
        return None
    if t == "externref":
        return ("extern", rng.randrange(len(_TOKENS))) if rng.random() < 0.6 else None
    if t in _I31_PARAMS:              # GC (any, eq, i31): an i31, or null where it may be
        if not nullable(t) or rng.random() < 0.6:
            return ("i31", rng.choice([0, 1, 0x3FFFFFFF, 0x40000000, 0x7FFFFFFF])
                    if rng.random() < 0.5 else rng.getrandbits(31))
        return None
    if t == "(ref extern)":
        return ("extern", rng.randrange(len(_TOKENS)))
    if t not in _WIDTH:
        return None                   # exnref, nullable typed references: null
    w = _WIDTH[t]
    if w == 128:
        kind = rng.random()
        if kind < 0.3:
            return rng.getrandbits(128)
        lanes = [rng.choice(_SPECIAL[32]) if rng.random() < 0.7 else rng.getrandbits(32)
                 for _ in range(4)]
        if kind < 0.6:
            return sum(v << (32 * i) for i, v in enumerate(lanes))
        lanes64 = [rng.choice(_SPECIAL[64]) for _ in range(2)]
        return lanes64[0] | (lanes64[1] << 64)
    r = rng.random()
    if r < 0.55:
        return rng.choice(_SPECIAL[w])
    if r < 0.8:
        return rng.randrange(0, 256) if rng.random() < 0.5 else rng.randrange(0, 1 << 17)
    return rng.getrandbits(w)


def make_plan(wasm: bytes, exports: Sequence[tuple[str, tuple[str, ...]]]) -> list[tuple[str, tuple]]:
    """The calls to make: each exported function (``exports`` lists (name, param types) in export
    order), ROUNDS times. The arguments of a call depend only on the round, the export's name
    and its parameter types, so a saved module replays alone and a shrunk module (which keeps
    the export) gets the same arguments."""
    funcs = [name for name, _ in exports]
    plan = []
    for r in range(ROUNDS):
        for name, params in exports:
            rng = random.Random(hashlib.sha256(f"{r}:{name}:{params}".encode()).digest())
            plan.append((name, tuple((t, _arg(rng, t, funcs)) for t in params)))
    return plan


# ------------------------------------------------------------------------------ imports
_F32_RESULTS = [0.0, -0.0, 1.5, -2.25, float("inf"), float("-inf"), 3.0e38, 2.0 ** -149, 65536.0]
_F64_RESULTS = [0.0, -0.0, 1.5, -2.25, float("inf"), 1.0e308, 5e-324, 4294967296.0]


class HostModel:
    """Deterministic host functions for a module's function imports, the same for both engines:
    each call is logged (import index and its arguments, floats by value since both engines
    hand them over as Python floats) and returns values that depend only on the import and on
    how many host calls came before."""

    def __init__(self) -> None:
        self.log: list[tuple[int, tuple]] = []

    def call(self, index: int, results: tuple[str, ...], args: tuple) -> Any:
        """One host call: log it and compute its results (None, one value or a tuple)."""
        self.log.append((index, tuple(self._norm(a) for a in args)))
        rng = random.Random(f"host:{index}:{len(self.log)}")
        out = []
        for t in results:
            if t == "i32":
                out.append(rng.choice(_SPECIAL[32]) - (1 << 31))
            elif t == "i64":
                out.append(rng.choice(_SPECIAL[64]) - (1 << 63))
            elif t == "f32":
                out.append(rng.choice(_F32_RESULTS))
            elif t == "f64":
                out.append(rng.choice(_F64_RESULTS))
            elif t == "externref":
                out.append(rng.choice([None, _TOKENS[1], _TOKENS[2]]))
            else:
                out.append(None)
        if not out:
            return None
        return out[0] if len(out) == 1 else tuple(out)

    @staticmethod
    def _norm(a: Any) -> Any:
        if isinstance(a, bool) or a is None:
            return a
        if isinstance(a, int):
            return a & 0xFFFFFFFFFFFFFFFF      # i32 and i64 alike, signed or not
        if isinstance(a, float):
            return "nan" if a != a else struct.pack("<d", a).hex()
        if isinstance(a, ExternToken):
            return ("extern", a.n)
        return "ref"                            # a function reference (not identified)


def _import_value(t: str) -> Any:
    # the initial value of an imported global (numbers as Python values; v128 zero, refs null)
    return {"i32": -123456789, "i64": -(1 << 40) - 7, "f32": 1.5, "f64": -2.75, "v128": 0}.get(t)


def imports_supported(imports: Sequence[tuple[str, str, str, Any]]) -> bool:
    """Whether the host side can provide these imports identically in both engines (wasmtime-py
    has no v128 values at its boundary, and whisk takes imports as a mapping by name)."""
    names = set()
    for mod, name, kind, t in imports:
        if (mod, name) in names:
            return False
        names.add((mod, name))
        if kind == "func" and not all(x in _HOST_TYPES for x in t[0] + t[1]):
            return False
        if kind == "global" and t[0] not in _HOST_TYPES | {"v128", "exnref"}:
            return False
        if kind == "memory" and (t[0] * 65536 > MAX_MEMORY_BYTES or t[1] is None):
            return False
        if kind == "table" and (t[2] is None or t[0] not in _HOST_TYPES | {"exnref"}):
            return False
        if kind == "tag" and not (_whisk_has_tags() and all(x in _HOST_TYPES for x in t[0])):
            return False
    return True


def _whisk_has_tags() -> bool:
    import whisk
    return hasattr(whisk, "Tag")


def extern_module(kind: str, t: Any) -> bytes:
    """A module that defines a table or global of type ``t`` (as ``common.read_interface``
    gives an import: (elemtype, min, max, is64) or (valtype, mutable)) and exports it as "t":
    how the wasmtime side makes what wasmtime-py cannot (table64 and exnref tables, v128 and
    exnref globals). A global holds _import_value (v128 zero, exnref null)."""
    if kind == "table":
        table = bytes([common._VALCODE[t[0]]]) + common._encode_limits(t[1], t[2], t[3])
        return (b"\0asm\1\0\0\0" + common.section(4, b"\x01" + table)
                + common.section(7, b"\x01\x01t\x01\x00"))
    init = b"\xfd\x0c" + bytes(16) if t[0] == "v128" else b"\xd0\x69"
    glob = bytes([common._VALCODE[t[0]], int(t[1])]) + init + b"\x0b"
    return (b"\0asm\1\0\0\0" + common.section(6, b"\x01" + glob)
            + common.section(7, b"\x01\x01t\x03\x00"))


#: Value types the host side passes to and from both engines alike.
_HOST_TYPES = {"i32", "i64", "f32", "f64", "funcref", "externref"}
#: Value types the harness compares at exports (args, results, globals, tables), besides the
#: typed references of :func:`ref_base`.
_EXPORT_TYPES = {"i32", "i64", "f32", "f64", "v128", "funcref", "externref", "exnref"}

#: heap type (as common._Reader.valtype spells it) -> the top of its hierarchy, as the
#: nullable abstract reference type that names it (3.0 3.3.2: func, extern, exn and any,
#: which holds eq, i31, struct, array and none)
_HEAP_TOPS = {"func": "funcref", "nofunc": "funcref", "extern": "externref",
              "noextern": "externref", "exn": "exnref", "noexn": "exnref", "any": "anyref",
              "eq": "anyref", "i31": "anyref", "struct": "anyref", "array": "anyref",
              "none": "anyref"}


def ref_base(t: str) -> str | None:
    """The hierarchy of reference type ``t`` (a valtype of common._Reader): 'funcref',
    'externref', 'exnref' or 'anyref' (the GC types: values compare as null, ('i31', value),
    ('struct',), ('array',) or ('any',), an internalized host reference); None for a number,
    a vector or a type this harness does not know."""
    if t in ("funcref", "externref", "exnref"):
        return t
    if not t.startswith("(ref ") or "?" in t:
        return None
    heap = t[5:-1].removeprefix("null ")
    if ":" in heap:                               # a concrete type: "3:struct"
        return "funcref" if heap.endswith(":func") else "anyref"
    return _HEAP_TOPS.get(heap)


def nullable(t: str) -> bool:
    """Whether value type ``t`` has null as a value (every nullable reference type)."""
    return t in ("funcref", "externref", "exnref") or t.startswith("(ref null ")


def _known(t: str) -> bool:
    return t in _EXPORT_TYPES or ref_base(t) is not None


def interface_supported(types: dict[str, tuple[str, Any]]) -> bool:
    """Whether the harness can call and compare every export in ``types``
    (``common.export_types``): value types of _EXPORT_TYPES and the typed references of
    :func:`ref_base` (a function with a non-nullable reference parameter is not called:
    :func:`callable_export`)."""
    for kind, t in types.values():
        if kind in ("func", "tag"):
            if not all(_known(x) for x in t[0] + t[1]):
                return False
        elif kind in ("global", "table") and not _known(t):
            return False
    return True


#: Parameter types that take an i31 (or null, if nullable) as the argument.
_I31_PARAMS = {"(ref null any)", "(ref null eq)", "(ref null i31)", "(ref any)", "(ref eq)",
               "(ref i31)"}


def callable_export(params: Sequence[str]) -> bool:
    """Whether the harness makes arguments of these types: numbers, vectors, references that
    may be null (funcref and externref also get non-null values, anyref, eqref and i31ref
    i31s), and (ref extern), (ref any), (ref eq), (ref i31) (a host token, an i31); another
    non-nullable reference parameter it cannot make alike in both engines."""
    return all(t in _WIDTH or nullable(t) or t in _I31_PARAMS or t == "(ref extern)"
               for t in params)


# ------------------------------------------------------------------------------ outcomes
WHISK_TRAPS = {
    "unreachable": "unreachable",
    "integer divide by zero": "div0",
    "integer overflow": "overflow",
    "invalid conversion to integer": "conversion",
    "out of bounds memory access": "oob-memory",
    "out of bounds table access": "oob-table",
    "undefined element": "oob-table",
    "uninitialized element": "null-indirect",
    "indirect call type mismatch": "signature",
    "call stack exhausted": "stack",
    "null exception reference": "null-ref",        # throw_ref (3.0)
    "null function reference": "null-ref",         # call_ref, return_call_ref (3.0)
    "null reference": "null-ref",                  # ref.as_non_null (3.0)
    "null structure reference": "null-ref",        # struct.get/set (GC)
    "null array reference": "null-ref",            # array.* (GC)
    "null i31 reference": "null-ref",              # i31.get_s/u (GC)
    "out of bounds array access": "oob-array",     # array.get/set/fill/copy/init_* (GC)
    "cast failure": "cast",                        # ref.cast (GC)
    "allocation size too large": "resource",       # array.new of more than the heap (a limit)
    "GC heap out of memory": "resource",           # past the store's max_memory_bytes (a limit)
    "all fuel consumed": "fuel",
    "timeout": "timeout",
    "interrupted": "timeout",
}

WASMTIME_TRAPS = {
    "UNREACHABLE": "unreachable",
    "INTEGER_DIVISION_BY_ZERO": "div0",
    "INTEGER_OVERFLOW": "overflow",
    "BAD_CONVERSION_TO_INTEGER": "conversion",
    "MEMORY_OUT_OF_BOUNDS": "oob-memory",
    "HEAP_MISALIGNED": "oob-memory",
    "TABLE_OUT_OF_BOUNDS": "oob-table",
    "INDIRECT_CALL_TO_NULL": "null-indirect",
    "BAD_SIGNATURE": "signature",
    "STACK_OVERFLOW": "stack",
    "NULL_REFERENCE": "null-ref",
    "ARRAY_OUT_OF_BOUNDS": "oob-array",
    "CAST_FAILURE": "cast",
    "ALLOCATION_TOO_LARGE": "resource",
    "OUT_OF_FUEL": "fuel",
    "INTERRUPT": "timeout",
}

#: The message of wasmtime's Trap (without a trap code) for an exception that left wasm.
WASMTIME_EXCEPTION = "thrown Wasm exception"


def payload_value(t: str, v: Any) -> Any:
    """An exception payload value in engine-neutral form: integers as unsigned bits, floats as
    their f64 bits (or 'nan': a Python float does not carry an f32 NaN's payload exactly),
    v128 as an int, references as None or ('ref',) (non-null; the tag's type gives the kind,
    the same on both sides)."""
    if v is None:
        return None
    if t in ("i32", "i64"):
        return _mask(t, v)
    if t in ("f32", "f64"):
        return "nan" if v != v else struct.pack("<d", v).hex()
    if t == "v128":
        return int.from_bytes(v, "little") if isinstance(v, (bytes, bytearray)) else _mask(t, v)
    return ("ref",)


#: Trap kinds that depend on an engine's limits: the comparison ends where one appears.
LIMIT_KINDS = {"stack", "fuel", "timeout", "resource"}


def whisk_trap_kind(message: str) -> str:
    """Map a whisk trap message to an engine-neutral trap kind ('other:...' if unknown)."""
    for prefix, kind in WHISK_TRAPS.items():
        if message.startswith(prefix):
            return kind
    return "other:" + message


class Outcome:
    """What one engine did with a module: ``load`` ('ok' or an error string), ``inst`` ('ok',
    'trap:<kind>', 'exception' or an error), one entry per call in ``calls`` (('ok', values),
    ('trap', kind) or ('exception', payload)) and the final exported ``state`` (name ->
    description)."""

    def __init__(self, engine: str):
        self.engine = engine
        self.load = "ok"
        self.inst = "ok"
        self.calls: list[tuple[str, Any]] = []
        self.state: dict[str, Any] = {}
        self.host: list[tuple[int, tuple]] = []

    def __repr__(self) -> str:
        return f"<{self.engine} load={self.load} inst={self.inst} calls={self.calls}>"


def _mask(t: str, v: int) -> int:
    return v & ((1 << _WIDTH[t]) - 1)


# ------------------------------------------------------------------------------ whisk
def _to_value(t: str, bits: Any, i: int) -> Any:
    # raw bits -> the value form of whisk's Func.__call__ (integers alternately signed and not)
    if t in ("i32", "i64"):
        w = _WIDTH[t]
        return bits - (1 << w) if i % 2 and bits >> (w - 1) else bits
    if t == "f32":
        return struct.unpack("<f", struct.pack("<I", bits))[0]
    if t == "f64":
        return struct.unpack("<d", struct.pack("<Q", bits))[0]
    return bits


def _from_value(t: str, v: Any) -> Any:
    # a result of Func.__call__ -> raw bits
    if t == "f32":
        return struct.unpack("<I", struct.pack("<f", v))[0]
    if t == "f64":
        return struct.unpack("<Q", struct.pack("<d", v))[0]
    if t == "v128" and isinstance(v, (bytes, bytearray)):
        return int.from_bytes(v, "little")
    return _mask(t, v)


def _whisk_payload(e: Any) -> tuple:
    # the payload of a whisk.WasmException in engine-neutral form
    return tuple(payload_value(str(t), v) for t, v in zip(e.tag.type.params, e.payload))


def run_whisk(wasm: bytes, plan: Sequence[tuple[str, tuple]],
              imports: Sequence[tuple[str, str, str, Any]] = (), values: bool = False,
              linked: bytes | None = None, fs: common.FeatureSet | None = None) -> Outcome:
    """Run ``plan`` on ``wasm`` in whisk and record the outcome (raw bits throughout);
    ``imports`` (from ``common.read_interface``) are provided by a HostModel and fresh
    memories, tables and globals. With ``values``, calls go through ``Func.__call__`` (Python
    ints and floats) instead of ``call_bits``, and results are converted back to bits.
    ``linked`` is a module instantiated first in the same store: its exports serve the imports
    from module "a" and are called and compared as "a:<name>". ``fs``: the feature set the
    modules are loaded with (default wasm2)."""
    import whisk
    fs = fs or common.feature_set("wasm2", differential=True)
    features = fs.whisk()
    exc_type = getattr(whisk, "WasmException", ())
    out = Outcome("whisk")
    try:
        module = whisk.Module(wasm, features=features)
        lmodule = whisk.Module(linked, features=features) if linked is not None else None
    except (whisk.DecodeError, whisk.ValidationError) as e:
        out.load = f"rejected: {type(e).__name__}: {e}"
        return out
    store = whisk.Store(fuel=ENGINE_FUEL, max_memory_bytes=MAX_MEMORY_BYTES)
    host = HostModel()
    out.host = host.log
    provided: dict[str, dict[str, Any]] = {}
    imported: list[tuple[str, Any, str]] = []
    provider: dict[str, Any] = {}
    if lmodule is not None:
        try:
            provider = dict(whisk.Instance(lmodule, store=store).exports.items())
        except whisk.Trap as e:
            out.inst = "trap:" + whisk_trap_kind(e.message)
            return out
        except exc_type:
            out.inst = "exception"
            return out
        except whisk.LinkError as e:
            out.inst = _link_error(str(e)) or f"error: LinkError: {e}"
            return out
    for i, (mod, name, kind, t) in enumerate(imports):
        if mod == "a" and name in provider:
            provided.setdefault(mod, {})[name] = provider[name]
            continue
        if kind == "func":
            ext: Any = whisk.Func(whisk.FuncType(t[0], t[1]),
                                  lambda *a, _i=i, _r=t[1]: host.call(_i, _r, a))
        elif kind == "tag":
            ext = whisk.Tag(whisk.FuncType(t[0], ()))      # a fresh tag, as in wasmtime
        elif kind == "memory":
            ext = whisk.Memory(t[0], t[1], MAX_MEMORY_BYTES, address_type="i64") if t[2] \
                else whisk.Memory(t[0], t[1], MAX_MEMORY_BYTES)
        elif kind == "table":
            ext = whisk.Table(t[0], t[1], t[2], address_type="i64") if t[3] \
                else whisk.Table(t[0], t[1], t[2])
        else:
            ext = whisk.Global(t[0], _import_value(t[0]), t[1])
        provided.setdefault(mod, {})[name] = ext
        if kind not in ("func", "tag"):
            imported.append((f"import#{i}", ext, t[0] if kind in ("table", "global") else ""))
    try:
        inst = whisk.Instance(module, provided, store=store)
    except whisk.Trap as e:
        kind = whisk_trap_kind(e.message)
        out.inst = "trap:" + ("fuel" if isinstance(e, whisk.Exhaustion) and kind != "stack" else kind)
        return out
    except exc_type:
        out.inst = "exception"
        return out
    except whisk.LinkError as e:
        out.inst = "trap:resource" if type(e).__name__ == "ResourceError" or "memory" in str(e) \
            else _link_error(str(e)) or f"error: LinkError: {e}"
        return out
    exports = {**{"a:" + n: x for n, x in provider.items()}, **dict(inst.exports.items())}
    funcs = {name: x for name, x in exports.items() if isinstance(x, whisk.Func)}
    names: dict[int, str] = {}
    for name, f in funcs.items():
        names.setdefault(id(f), name)        # a function exported twice: its first name, as below
    # the static types, as the wasmtime side reads them (common.read_interface's spelling)
    static = {**{"a:" + n: t for n, t in (common.export_types(linked).items()
                                          if linked is not None else ())},
              **common.export_types(wasm)}
    static.update({f"import#{i}": (kind, t[0]) for i, (_, _, kind, t) in enumerate(imports)
                   if kind in ("table", "global")})

    def ref(v: Any, t: str = "") -> Any:
        # a reference value in engine-neutral form; t: its static type (the reader's spelling)
        base = ref_base(t) if t else None
        if v is None:
            return None
        if isinstance(v, whisk.Func):
            name = names.get(id(v))
            return ("func", name) if name is not None else (
                "anon", len(v.type.params), len(v.type.results))
        if exc_type and isinstance(v, exc_type):
            return ("exn",)                   # an exnref: compared as non-null only
        gc = _whisk_gc_value(whisk, v)
        if base == "anyref":
            if gc is not None:
                return gc
            return ("any",) if isinstance(v, ExternToken) else ("any?", repr(v))
        if isinstance(v, ExternToken):
            return ("extern", v.n)
        if gc is not None:
            return ("extern", "any")          # an externalized GC reference (extern.convert_any)
        return ("extern?", repr(v))

    def arg(t: str, v: Any) -> Any:
        if v is None:
            return None
        if t == "funcref":
            return funcs[v[1]]
        if isinstance(v, tuple) and v[0] == "i31":
            return whisk.I31Ref(v[1])
        if t in ("externref", "(ref extern)"):
            return _TOKENS[v[1]]
        return v

    for name, args in plan:
        f = funcs[name]
        try:
            if values:
                r = f(*(_to_value(t, arg(t, v), i) if t in _WIDTH else arg(t, v)
                        for i, (t, v) in enumerate(args)), timeout=CALL_TIMEOUT)
                n = len(f.type.results)
                res = () if n == 0 else (r,) if n == 1 else tuple(r)
                res = tuple(_from_value(t, v) if t in _WIDTH else v
                            for t, v in zip(f.type.results, res))
            else:
                res = f.call_bits(*(arg(t, v) for t, v in args), timeout=CALL_TIMEOUT)
        except whisk.Trap as e:
            kind = whisk_trap_kind(e.message)
            if isinstance(e, whisk.Exhaustion) and kind not in ("stack", "fuel"):
                kind = "fuel"
            out.calls.append(("trap", kind))
            if kind in LIMIT_KINDS:
                return out
            continue
        except exc_type as e:
            out.calls.append(("exception", _whisk_payload(e)))
            continue
        vals = []
        rtypes = static[name][1][1] if name in static else ("",) * len(res)
        for t, st, v in zip(f.type.results, rtypes, res):
            vals.append(_mask(t, v) if t in _WIDTH else ref(v, st))
        out.calls.append(("ok", tuple(vals)))
    for name, x in list(exports.items()) + [(n, x) for n, x, _ in imported]:
        if isinstance(x, whisk.Memory):
            out.state[name] = ("memory", bytes(memoryview(x)))
        elif isinstance(x, whisk.Global):
            t = static[name][1] if name in static else str(x.valtype)
            out.state[name] = ("global", t, _mask(t, x.value_bits) if t in _WIDTH
                               else ref(x.value_bits, t))
        elif isinstance(x, whisk.Table):
            n = len(x)
            t = static[name][1] if name in static else ""
            out.state[name] = ("table", n, tuple(ref(x[i], t) for i in range(min(n, TABLE_COMPARE))))
    return out


def _whisk_gc_value(whisk: Any, v: Any) -> tuple | None:
    """A whisk GC reference (3.0's any hierarchy: a ``whisk.AnyRef`` handle) in the form of
    :func:`_wasmtime_anyref`: ('i31', unsigned 31-bit value) for a ``whisk.I31Ref``,
    ('struct', n, fields) for a ``whisk.StructRef``, ('array', n, elements) for a
    ``whisk.ArrayRef``; None if ``v`` is no handle (null, a function, a host object)."""
    any_ref = getattr(whisk, "AnyRef", None)
    if any_ref is None or not isinstance(v, any_ref):
        return None
    if isinstance(v, whisk.I31Ref):
        return ("i31", v.unsigned)
    if isinstance(v, (whisk.StructRef, whisk.ArrayRef)):
        n = len(v)
        return ("struct" if isinstance(v, whisk.StructRef) else "array", n,
                tuple(_whisk_field(v[k]) for k in range(min(n, GC_FIELDS_COMPARED))))
    return ("any?", type(v).__name__)


def _whisk_field(x: Any) -> Any:
    # a field or element as whisk's StructRef/ArrayRef give it, in _wasmtime_field's form
    if x is None:
        return None
    if isinstance(x, bool):
        return ("?bool", x)
    if isinstance(x, int):
        return x & 0xFFFFFFFFFFFFFFFF if x < 0 else x      # (a v128 is a 128-bit int)
    if isinstance(x, float):
        return _float_key(x)
    if isinstance(x, (bytes, bytearray)):
        return int.from_bytes(x, "little")
    return ("ref",)


# ------------------------------------------------------------------------------ wasmtime
_ENGINES: dict[frozenset[str], Any] = {}


def wasmtime_engine(fs: common.FeatureSet | None = None) -> Any:
    """A wasmtime Engine with exactly the proposals of feature set ``fs`` (default wasm2)
    enabled, and fuel metering. wasmtime-py's Config properties are write-only (reading one
    gives None), so each is assigned; a property this wasmtime-py lacks is an error."""
    fs = fs or common.feature_set("wasm2", differential=True)
    engine = _ENGINES.get(fs.features)
    if engine is None:
        import wasmtime
        cfg = wasmtime.Config()
        for name, on in fs.wasmtime_settings():
            setattr(cfg, name, on)
        cfg.consume_fuel = True
        cfg.cranelift_opt_level = "none"
        try:
            cfg.parallel_compilation = False
        except Exception:
            pass
        engine = _ENGINES[fs.features] = wasmtime.Engine(cfg)
    return engine


def wasmtime_compiles(wasm: bytes, fs: common.FeatureSet | None = None) -> bool:
    """True if wasmtime (with feature set ``fs``, default wasm2) compiles ``wasm``."""
    import wasmtime
    try:
        wasmtime.Module(wasmtime_engine(fs), wasm)
    except Exception:
        return False
    return True


def _raw_bits(val: Any, t: str) -> int:
    n = _WIDTH[t] // 8
    return int.from_bytes(ctypes.string_at(ctypes.addressof(val.of), n), "little")


def _wasmtime_valtype(t: str) -> Any:
    import wasmtime
    return getattr(wasmtime.ValType, t)()


_FIELD_TYPES = {0: "i32", 1: "i64", 2: "f32", 3: "f64", 4: "v128", 5: "funcref", 6: "externref",
                8: "exnref"}


def _wasmtime_exception(store: Any) -> tuple | None:
    """Take the pending exception from wasmtime ``store`` (after a call failed with one):
    its payload in engine-neutral form (:func:`payload_value`), or None if there is none."""
    from wasmtime import _ffi as ffi
    exn = ffi.wasmtime_exnref_t()
    if not ffi.wasmtime_context_take_exception(store._context(), ctypes.byref(exn)):
        return None
    out = []
    try:
        for i in range(ffi.wasmtime_exnref_field_count(store._context(), ctypes.byref(exn))):
            raw = ffi.wasmtime_val_t()
            err = ffi.wasmtime_exnref_field(store._context(), ctypes.byref(exn), i, ctypes.byref(raw))
            if err:
                raise RuntimeError("wasmtime_exnref_field failed")
            t = _FIELD_TYPES.get(raw.kind, f"kind{raw.kind}")
            if t in ("i32", "i64", "v128"):
                out.append(payload_value(t, _raw_bits(raw, t)))
            elif t == "f32":
                out.append(payload_value(t, raw.of.f32))
            elif t == "f64":
                out.append(payload_value(t, raw.of.f64))
            else:
                # a reference: null when its store id is 0 (the first field of every kind)
                null = ctypes.c_uint64.from_address(ctypes.addressof(raw.of)).value == 0
                out.append(None if null else ("ref",))
    finally:
        ffi.wasmtime_exnref_unroot(ctypes.byref(exn))
    return tuple(out)


#: The outcome of an instantiation that an import's type stops, in either engine (3.0 4.5.4:
#: with GC, types match by their canonical rec group, so a host function or a provider's
#: export can have the same structure and still not match; both engines must refuse it).
LINK_TYPE_ERROR = "error: incompatible import type"


def _link_error(message: str) -> str | None:
    # LINK_TYPE_ERROR if an instantiation error (whisk's LinkError, wasmtime's error) says an
    # import's type does not match (wasmtime: "incompatible import type for `m::n`" or, for a
    # tag, "incompatible tag types" below it); None otherwise
    if "incompatible import type" in message:
        return LINK_TYPE_ERROR
    return None


def _wasmtime_resource(message: str) -> bool:
    # a WasmtimeError (not a Trap) that is an engine limit: fuel, or a GC heap that cannot grow
    return any(m in message for m in ("fuel", "GC heap out of memory", "out of memory",
                                      "allocation size too large"))


#: Fields or elements of a struct or array compared (after the count, which always is).
GC_FIELDS_COMPARED = 16


def _float_key(x: float) -> str:
    # a float field's value (both engines give Python floats): its f64 bits, or 'nan'
    return "nan" if x != x else struct.pack("<d", x).hex()


def _wasmtime_field(store: Any, raw: Any, packed: int) -> Any:
    # a struct field or array element (a wasmtime_val_t) in engine-neutral form: integers
    # signed (packed ones sign-extended, as whisk's StructRef/ArrayRef give them) mod 2^64,
    # floats by _float_key, v128 as an int, a reference only as null or ('ref',)
    kind = raw.kind
    if kind == 0:
        v = raw.of.i32
        if packed in (8, 16):
            v = ((v & ((1 << packed) - 1)) ^ (1 << (packed - 1))) - (1 << (packed - 1))
        return v & 0xFFFFFFFFFFFFFFFF
    if kind == 1:
        return raw.of.i64 & 0xFFFFFFFFFFFFFFFF
    if kind == 2:
        return _float_key(raw.of.f32)
    if kind == 3:
        return _float_key(raw.of.f64)
    if kind == 4:
        return int.from_bytes(bytes(raw.of.v128), "little")
    field = {5: raw.of.funcref, 6: raw.of.externref, 7: raw.of.anyref, 8: raw.of.exnref}[kind]
    return None if field.store_id == 0 else ("ref",)


def _wasmtime_contents(store: Any, ref: Any, is_struct: bool) -> tuple:
    # ('struct', field count, fields...) / ('array', length, elements...): the first
    # GC_FIELDS_COMPARED of them by _wasmtime_field
    from wasmtime import _ffi as ffi
    ctx = store._context()
    out = []
    if is_struct:
        sref = ffi.wasmtime_structref_t()
        ffi.wasmtime_anyref_as_struct(ctx, ctypes.byref(ref), ctypes.byref(sref))
        st = ffi.wasmtime_structref_type(ctx, ctypes.byref(sref))
        try:
            n = ffi.wasmtime_struct_type_num_fields(st)
            for k in range(min(n, GC_FIELDS_COMPARED)):
                ft = ffi.wasmtime_field_type_t()
                ffi.wasmtime_struct_type_field(st, k, ctypes.byref(ft))
                packed = _packed_bits(ffi, ft)
                raw = ffi.wasmtime_val_t()
                if ffi.wasmtime_structref_field(ctx, ctypes.byref(sref), k, ctypes.byref(raw)):
                    raise RuntimeError("wasmtime_structref_field failed")
                out.append(_wasmtime_field(store, raw, packed))
        finally:
            ffi.wasmtime_struct_type_delete(st)
            ffi.wasmtime_structref_unroot(ctypes.byref(sref))
        return ("struct", n, tuple(out))
    aref = ffi.wasmtime_arrayref_t()
    ffi.wasmtime_anyref_as_array(ctx, ctypes.byref(ref), ctypes.byref(aref))
    at = ffi.wasmtime_arrayref_type(ctx, ctypes.byref(aref))
    try:
        ft = ffi.wasmtime_field_type_t()
        ffi.wasmtime_array_type_element(at, ctypes.byref(ft))
        packed = _packed_bits(ffi, ft)
        n32 = ctypes.c_uint32()
        if ffi.wasmtime_arrayref_len(ctx, ctypes.byref(aref), ctypes.byref(n32)):
            raise RuntimeError("wasmtime_arrayref_len failed")
        n = n32.value
        for k in range(min(n, GC_FIELDS_COMPARED)):
            raw = ffi.wasmtime_val_t()
            if ffi.wasmtime_arrayref_get(ctx, ctypes.byref(aref), k, ctypes.byref(raw)):
                raise RuntimeError("wasmtime_arrayref_get failed")
            out.append(_wasmtime_field(store, raw, packed))
    finally:
        ffi.wasmtime_array_type_delete(at)
        ffi.wasmtime_arrayref_unroot(ctypes.byref(aref))
    return ("array", n, tuple(out))


def _packed_bits(ffi: Any, ft: Any) -> int:
    """The width of a wasmtime field type's packed storage (8 for i8, 16 for i16, 0 if it is
    not packed); frees the field type."""
    packed = {0: 8, 1: 16}.get(ft.storage.kind, 0)
    ffi.wasmtime_field_type_delete(ctypes.byref(ft))
    return packed


def _wasmtime_anyref(store: Any, raw: Any) -> Any:
    """A wasmtime anyref (3.0's any hierarchy) in engine-neutral form: None (null),
    ('i31', unsigned 31-bit value), ('struct', field count, fields) or ('array', length,
    elements) (the first GC_FIELDS_COMPARED, by :func:`_wasmtime_field`: numbers, and
    references only as null or not), or ('any',) for another non-null one (an internalized
    host reference, any.convert_extern)."""
    from wasmtime import _ffi as ffi
    ref = raw.of.anyref
    if ref.store_id == 0:
        return None
    ctx = store._context()
    # (wasmtime 50's wasmtime_anyref_is_i31 answers True for structs and arrays too: an i31
    # is told by being an eqref that is neither)
    if ffi.wasmtime_anyref_is_struct(ctx, ctypes.byref(ref)):
        return _wasmtime_contents(store, ref, True)
    if ffi.wasmtime_anyref_is_array(ctx, ctypes.byref(ref)):
        return _wasmtime_contents(store, ref, False)
    if ffi.wasmtime_anyref_is_eqref(ctx, ctypes.byref(ref)):
        v = ctypes.c_uint32()
        if not ffi.wasmtime_anyref_i31_get_u(ctx, ctypes.byref(ref), ctypes.byref(v)):
            raise RuntimeError("wasmtime: an eqref that is no struct, array or i31")
        return ("i31", v.value)
    return ("any",)


def _is_wasmtime_exception(e: Any) -> bool:
    # a Trap without a trap code whose message says an exception left wasm
    return e.trap_code is None and WASMTIME_EXCEPTION in e.message


def _failed_instantiation(store: Any, e: Exception, resource: bool) -> str:
    """The outcome of a wasmtime instantiation that raised ``e``: "exception" (an uncaught wasm
    exception, from a start function as a Trap or as another error; taken from the store),
    "trap:<kind>", "trap:resource" (with ``resource``: a limit or memory failure) or "error: ..."."""
    import wasmtime
    msg = str(e)
    if isinstance(e, wasmtime.Trap) and _is_wasmtime_exception(e) or \
            not isinstance(e, wasmtime.Trap) and WASMTIME_EXCEPTION in msg:
        _wasmtime_exception(store)
        return "exception"
    if isinstance(e, wasmtime.Trap):
        code = e.trap_code
        return "trap:" + (WASMTIME_TRAPS.get(code.name, "other:" + code.name) if code else "other")
    if resource and ("limit" in msg or "memory" in msg or "resource" in msg) or \
            "GC heap out of memory" in msg:       # (a provider's globals can fill the GC heap)
        return "trap:resource"
    return _link_error(msg) or f"error: {msg}"


def run_wasmtime(wasm: bytes, plan: Sequence[tuple[str, tuple]],
                 types: dict[str, tuple[str, Any]],
                 imports: Sequence[tuple[str, str, str, Any]] = (),
                 linked: bytes | None = None, fs: common.FeatureSet | None = None) -> Outcome:
    """Run ``plan`` on ``wasm`` in wasmtime, reading and writing numbers as raw bits through
    its C API (wasmtime-py's own conversions would go through Python floats and lose f32 NaN
    payloads, and do not handle v128 or exnref). ``linked`` and ``fs`` as for
    :func:`run_whisk`."""
    import wasmtime
    from wasmtime import _ffi as ffi
    from wasmtime._func import enter_wasm
    out = Outcome("wasmtime")
    engine = wasmtime_engine(fs)
    try:
        module = wasmtime.Module(engine, wasm)
        lmodule = wasmtime.Module(engine, linked) if linked is not None else None
    except Exception as e:
        out.load = f"rejected: {e}"
        return out
    store = wasmtime.Store(engine)
    store.set_fuel(ENGINE_FUEL)
    store.set_limits(memory_size=MAX_MEMORY_BYTES, table_elements=MAX_TABLE_ELEMENTS)
    host = HostModel()
    out.host = host.log
    externs: list[Any] = []
    imported: list[tuple[str, Any]] = []
    provider: dict[str, Any] = {}
    if lmodule is not None:
        try:
            lexports = wasmtime.Instance(store, lmodule, []).exports(store)
        except Exception as e:
            out.inst = _failed_instantiation(store, e, resource=False)
            return out
        provider = {e.name: lexports[e.name] for e in lmodule.exports}
    try:
        for i, (mod, name, kind, t) in enumerate(imports):
            if mod == "a" and name in provider:
                externs.append(provider[name])
                continue
            if kind == "func":
                ft = wasmtime.FuncType([_wasmtime_valtype(x) for x in t[0]],
                                       [_wasmtime_valtype(x) for x in t[1]])
                ext: Any = wasmtime.Func(store, ft, lambda *a, _i=i, _r=t[1]: host.call(_i, _r, a))
            elif kind == "tag":
                ext = wasmtime.Tag(store, wasmtime.TagType(wasmtime.FuncType(
                    [_wasmtime_valtype(x) for x in t[0]], [])))
            elif kind == "memory":
                ext = wasmtime.Memory(store, wasmtime.MemoryType(wasmtime.Limits(t[0], t[1]),
                                                                 is_64=t[2]))
            elif kind == "table" and (t[3] or t[0] == "exnref") or \
                    kind == "global" and t[0] in ("v128", "exnref"):
                # wasmtime-py makes no such TableType / global value: a module defines one
                ext = wasmtime.Instance(store, wasmtime.Module(engine, extern_module(kind, t)),
                                        []).exports(store)["t"]
            elif kind == "table":
                ext = wasmtime.Table(store, wasmtime.TableType(_wasmtime_valtype(t[0]),
                                                               wasmtime.Limits(t[1], t[2])), None)
            else:
                vt = _wasmtime_valtype(t[0])
                v = _import_value(t[0])
                val = wasmtime.Val.ref_null(vt) if v is None else getattr(wasmtime.Val, t[0])(v)
                ext = wasmtime.Global(store, wasmtime.GlobalType(vt, t[1]), val)
            externs.append(ext)
            if kind not in ("func", "tag"):
                imported.append((f"import#{i}", ext))
                types = {**types, f"import#{i}": (kind, t[0] if kind in ("table", "global") else None)}
    except Exception as e:
        out.inst = f"error: host externs: {e}"
        return out
    try:
        inst = wasmtime.Instance(store, module, externs)
    except Exception as e:
        out.inst = _failed_instantiation(store, e, resource=True)
        return out
    exports = inst.exports(store)
    items = [("a:" + n, x) for n, x in provider.items()] + [(e.name, exports[e.name]) for e in module.exports]
    funcs = {name: x for name, x in items if isinstance(x, wasmtime.Func)}
    ids = {}

    def identity(fr: Any) -> Any:
        # Which function a handle refers to. Neither the handle's fields nor the VMFuncRef
        # address (wasmtime_func_to_raw) are unique: an instance importing a function makes a
        # VMFuncRef of its own for it. That struct's first and last words (array_call, vmctx:
        # wasmtime's internal layout, as of v50) are the same for every copy.
        p = ffi.wasmtime_func_to_raw(store._context(), ctypes.byref(fr))
        if not p:
            return None
        words = (ctypes.c_uint64 * 4).from_address(p)
        return (words[0], words[3])

    for name, f in funcs.items():
        ids.setdefault(identity(f._func), name)
    kinds = {"i32": ffi.WASMTIME_I32, "i64": ffi.WASMTIME_I64, "f32": ffi.WASMTIME_F32,
             "f64": ffi.WASMTIME_F64, "v128": ffi.WASMTIME_V128}

    def ref_of_raw(raw: Any, t: str) -> Any:
        t = ref_base(t) or t
        if t == "anyref":
            return _wasmtime_anyref(store, raw)
        if t == "funcref":
            fr = raw.of.funcref
            if fr.store_id == 0:
                return None
            name = ids.get(identity(fr))
            if name is not None:
                return ("func", name)
            ft = wasmtime.Func._from_raw(fr).type(store)
            return ("anon", len(ft.params), len(ft.results))
        if t == "exnref":
            return None if raw.of.exnref.store_id == 0 else ("exn",)
        if raw.of.externref.store_id == 0:
            return None
        v = wasmtime.Val._from_raw(store, raw, owned=False).value
        if isinstance(v, ExternToken):
            return ("extern", v.n)
        # no host data: an externalized GC reference (extern.convert_any), compared as such
        return ("extern", "any") if v is None else ("extern?", repr(v))

    def to_raw(t: str, v: Any) -> Any:
        base = ref_base(t) or t
        if base == "anyref":
            raw = ffi.wasmtime_val_t(kind=7)               # WASMTIME_ANYREF; null
            if v is not None:                              # ("i31", value)
                ffi.wasmtime_anyref_from_i31(store._context(), v[1], ctypes.byref(raw.of.anyref))
            return raw
        t = base if base in ("funcref", "externref", "exnref") else t
        if t in kinds:
            raw = ffi.wasmtime_val_t(kind=kinds[t])
            n = _WIDTH[t] // 8
            ctypes.memmove(ctypes.addressof(raw.of), v.to_bytes(n, "little"), n)
            return raw
        if t == "funcref":
            return wasmtime.Val.funcref(None if v is None else funcs[v[1]])._new_raw(store)
        if t == "exnref":
            return ffi.wasmtime_val_t(kind=8)              # null (WASMTIME_EXNREF)
        return wasmtime.Val.externref(None if v is None else _TOKENS[v[1]])._new_raw(store)

    for name, args in plan:
        f = funcs[name]
        rtypes = types[name][1][1]
        params = (ffi.wasmtime_val_t * max(1, len(args)))()
        for i, (t, v) in enumerate(args):
            params[i] = to_raw(t, v)
        results = (ffi.wasmtime_val_t * max(1, len(rtypes)))()
        try:
            with enter_wasm(store) as trap:
                error = ffi.wasmtime_func_call(store._context(), ctypes.byref(f._func), params,
                                               len(args), results, len(rtypes), trap)
                if error:
                    raise wasmtime.WasmtimeError._from_ptr(error)
        except wasmtime.Trap as e:
            if _is_wasmtime_exception(e):
                out.calls.append(("exception", _wasmtime_exception(store)))
                continue
            code = e.trap_code
            kind = WASMTIME_TRAPS.get(code.name, "other:" + code.name) if code else "other:" + e.message
            out.calls.append(("trap", kind))
            if kind in LIMIT_KINDS:
                return out
            continue
        except wasmtime.WasmtimeError as e:
            if WASMTIME_EXCEPTION in str(e):
                out.calls.append(("exception", _wasmtime_exception(store)))
                continue
            out.calls.append(("trap", "resource" if _wasmtime_resource(str(e))
                              else "other:" + str(e)))
            return out
        vals = []
        for i, t in enumerate(rtypes):
            vals.append(_raw_bits(results[i], t) if t in _WIDTH else ref_of_raw(results[i], t))
        out.calls.append(("ok", tuple(vals)))
    for name, x in items + imported:
        if isinstance(x, wasmtime.Memory):
            n = x.data_len(store)
            ptr = x.data_ptr(store)
            out.state[name] = ("memory", ctypes.string_at(ptr, n) if n else b"")
        elif isinstance(x, wasmtime.Global):
            t = types[name][1]
            raw = ffi.wasmtime_val_t()
            ffi.wasmtime_global_get(store._context(), ctypes.byref(x._global), ctypes.byref(raw))
            out.state[name] = ("global", t, _raw_bits(raw, t) if t in _WIDTH else ref_of_raw(raw, t))
        elif isinstance(x, wasmtime.Table):
            n = x.size(store)
            t = types[name][1]
            entries = []
            for i in range(min(n, TABLE_COMPARE)):
                raw = ffi.wasmtime_val_t()
                ffi.wasmtime_table_get(store._context(), ctypes.byref(x._table), i, ctypes.byref(raw))
                entries.append(ref_of_raw(raw, t))
            out.state[name] = ("table", n, tuple(entries))
    return out


# ------------------------------------------------------------------------------ comparing
def _describe_state(a: Any, b: Any) -> str:
    if a[0] == "memory" and b[0] == "memory":
        ma, mb = a[1], b[1]
        if len(ma) != len(mb):
            return f"memory size {len(ma)} vs {len(mb)}"
        first = next(i for i in range(len(ma)) if ma[i] != mb[i])
        return f"memory differs first at byte {first}: {ma[first:first + 16].hex()} vs {mb[first:first + 16].hex()}"
    if a[0] == "table" and b[0] == "table" and a[1] == b[1]:
        first = next(i for i in range(len(a[2])) if a[2][i] != b[2][i])
        return f"table entry {first}: {a[2][first]} vs {b[2][first]}"
    return f"{a} vs {b}"


def compare(w: Outcome, t: Outcome, plan: Sequence[tuple[str, tuple]]) -> tuple[str, str] | None:
    """Compare whisk's outcome ``w`` with wasmtime's ``t``: None if they agree (or the
    difference is only one of limits), else (kind, description) where kind is one of 'load',
    'inst', 'result', 'trap', 'exception' (an exception escaped in one engine only, or with
    different payloads), 'host', 'state'."""
    if t.load != "ok":
        return None                           # not a 2.0 module wasmtime takes: not comparable
    if w.load != "ok":
        return ("load", f"whisk {w.load}; wasmtime accepts")
    if w.inst != t.inst:
        kinds = {w.inst.removeprefix("trap:"), t.inst.removeprefix("trap:")}
        if kinds & LIMIT_KINDS:
            return None
        return ("inst", f"instantiation: whisk {w.inst}, wasmtime {t.inst}")
    if w.inst != "ok":
        return None
    for i, (cw, ct) in enumerate(zip(w.calls, t.calls)):
        name, args = plan[i]
        where = f"call #{i} {name}{tuple(v for _, v in args)}"
        if cw[0] == "trap" and cw[1] in LIMIT_KINDS or ct[0] == "trap" and ct[1] in LIMIT_KINDS:
            return None                       # limits differ; nothing after this compares
        if cw != ct:
            kind = "result" if cw[0] == ct[0] == "ok" else \
                "exception" if "exception" in (cw[0], ct[0]) else "trap"
            return (kind, f"{where}: whisk {cw}, wasmtime {ct}")
    if len(w.calls) != len(t.calls):
        return ("trap", f"call count {len(w.calls)} vs {len(t.calls)}")
    if w.host != t.host:
        first = next((i for i, (a, b) in enumerate(zip(w.host, t.host)) if a != b),
                     min(len(w.host), len(t.host)))
        return ("host", f"host call #{first}: whisk {w.host[first:first + 1]}, "
                        f"wasmtime {t.host[first:first + 1]} ({len(w.host)} vs {len(t.host)} calls)")
    for name in sorted(set(w.state) | set(t.state)):
        a, b = w.state.get(name), t.state.get(name)
        if a != b:
            if a is None or b is None:
                return ("state", f"export {name!r}: whisk {a!r:.80}, wasmtime {b!r:.80}")
            return ("state", f"export {name!r}: {_describe_state(a, b)}")
    return None


def check(wasm: bytes, stats: dict[str, Any] | None = None,
          linked: bytes | None = None, fs: common.FeatureSet | None = None,
          wasmtime_only: bool = False) -> tuple[str, str] | None | str:
    """Run ``wasm`` in both engines and compare; returns the difference, None when they agree,
    or the string 'skip' when wasmtime does not take the module or the harness cannot drive it
    (nothing to compare). If ``stats`` is given, counts of what was compared are added to it.
    ``linked``: a module instantiated first whose exports ``wasm`` imports as module "a".
    ``fs``: the feature set (default wasm2). ``wasmtime_only``: a dry run of the harness
    (whisk is not run): the difference is ('harness', ...) if wasmtime ended a call or the
    instantiation in a way the harness does not classify (an 'other:' trap kind, an error)."""
    fs = fs or common.feature_set("wasm2", differential=True)

    def skip(reason: str) -> str:
        if stats is not None:
            reasons = stats.setdefault("skip_reasons", {})
            reasons[reason] = reasons.get(reason, 0) + 1
        return "skip"

    if not wasmtime_compiles(wasm, fs) or (linked is not None and not wasmtime_compiles(linked, fs)):
        return skip("wasmtime rejects")
    try:
        imports, types = common.read_interface(wasm)
        provided = common.export_types(linked) if linked is not None else {}
    except (ValueError, IndexError, KeyError):
        return skip("unknown to the reader")
    if not interface_supported(types) or not interface_supported(provided):
        return skip("export types")
    if linked is not None:
        own = [imp for imp in imports if not (imp[0] == "a" and imp[1] in provided)]
        types = {**{"a:" + n: t for n, t in provided.items()}, **types}
        limits = common.defined_limits(wasm) + common.defined_limits(linked)
    else:
        own, limits = list(imports), common.defined_limits(wasm)
    if not imports_supported(own):
        return skip("host imports")
    if any(mx is None for _, _, mx in limits):
        # (a growable memory or table without a maximum: the engines' resource limits decide)
        return skip("no maximum")
    funcs = [(n, t[1][0]) for n, t in types.items() if t[0] == "func"]
    plan = make_plan(wasm, [(n, p) for n, p in funcs if callable_export(p)])
    if stats is not None and len(plan) < ROUNDS * len(funcs):
        stats["exports_not_called"] = stats.get("exports_not_called", 0) + \
            len(funcs) - len(plan) // ROUNDS
    t = run_wasmtime(wasm, plan, types, imports, linked, fs)
    if wasmtime_only:
        return _dry_run_stats(t, stats)
    w = run_whisk(wasm, plan, imports, linked=linked, fs=fs)
    diff = compare(w, t, plan)
    if diff is None and w.load == "ok" and _values_check_applies(wasm, plan):
        diff = compare_values(run_whisk(wasm, plan, imports, values=True, linked=linked, fs=fs),
                              w, plan, types)
        if stats is not None:
            stats["value_api_checked"] = stats.get("value_api_checked", 0) + 1
    if stats is not None:
        stats["instantiated"] = stats.get("instantiated", 0) + (t.inst == "ok")
        for c in t.calls:
            key = {"ok": "calls_ok", "exception": "calls_threw"}.get(c[0], "calls_trapped")
            stats[key] = stats.get(key, 0) + 1
        if any(c[0] == "trap" and c[1] in LIMIT_KINDS for c in w.calls + t.calls) or \
                {w.inst, t.inst} & {"trap:" + k for k in LIMIT_KINDS}:
            stats["stopped_at_limit"] = stats.get("stopped_at_limit", 0) + 1
        stats["exports_compared"] = stats.get("exports_compared", 0) + len(t.state)
    return diff


def _dry_run_stats(t: Outcome, stats: dict[str, Any] | None) -> tuple[str, str] | None:
    # (check with wasmtime_only) count what wasmtime did; an outcome the harness does not
    # classify is a ('harness', ...) difference
    bad = None
    if t.inst not in ("ok", "exception", LINK_TYPE_ERROR) and not t.inst.startswith("trap:") or \
            t.inst.startswith("trap:other"):
        bad = ("harness", f"instantiation: wasmtime {t.inst}")
    seen: dict[str, int] = {}
    for c in t.calls:
        if c[0] == "trap":
            key = "trap:" + c[1]
            if c[1].startswith("other") and bad is None:
                bad = ("harness", f"unclassified wasmtime trap {c[1]!r}")
        elif c[0] == "ok":
            key = "ok"
            for v in c[1]:
                if isinstance(v, tuple):
                    k = "ref:" + "/".join(str(x) for x in v[:1 if v[0] != "extern" else 2])
                    seen[k] = seen.get(k, 0) + 1
        else:
            key = c[0]
        seen[key] = seen.get(key, 0) + 1
    for st in t.state.values():
        if st[0] in ("global", "table"):
            vals = (st[2],) if st[0] == "global" else st[2]
            for v in vals:
                if isinstance(v, tuple):
                    k = "state-ref:" + str(v[0])
                    seen[k] = seen.get(k, 0) + 1
    if stats is not None:
        stats["instantiated"] = stats.get("instantiated", 0) + (t.inst == "ok")
        if t.inst != "ok":
            k = "inst:" + t.inst.split(":", 2)[0] + (":" + t.inst.split(":")[1]
                                                      if t.inst.startswith("trap:") else "")
            seen[k] = seen.get(k, 0) + 1
        outcomes = stats.setdefault("wasmtime_outcomes", {})
        for k, n in seen.items():
            outcomes[k] = outcomes.get(k, 0) + n
    return bad


def _is_nan(t: str, bits: int) -> bool:
    if t == "f32":
        return bits & 0x7F800000 == 0x7F800000 and bits & 0x7FFFFF != 0
    return bits & 0x7FF0000000000000 == 0x7FF0000000000000 and bits & 0xFFFFFFFFFFFFF != 0


def _values_check_applies(wasm: bytes, plan: Sequence[tuple[str, tuple]]) -> bool:
    # every other module (by hash), when no float argument is a NaN (Python floats would not
    # carry an f32 NaN's payload exactly, so the two runs could rightly differ)
    if hashlib.sha256(wasm).digest()[0] & 1:
        return False
    return not any(t in ("f32", "f64") and _is_nan(t, v) for _, args in plan for t, v in args)


def compare_values(v: Outcome, w: Outcome, plan: Sequence[tuple[str, tuple]],
                   types: dict[str, tuple[str, Any]]) -> tuple[str, str] | None:
    """Compare whisk through ``Func.__call__`` (``v``) with whisk through ``call_bits``
    (``w``): the same except that a NaN result may lose its payload on the way through a
    Python float. A difference is of kind 'api'."""
    if v.inst != w.inst:
        return ("api", f"instantiation: values {v.inst}, bits {w.inst}")
    for i, (cv, cw) in enumerate(zip(v.calls, w.calls)):
        name, args = plan[i]
        if cv[0] == "ok" and cw[0] == "ok":
            rtypes = types[name][1][1]
            same = all(a == b or (t in ("f32", "f64") and _is_nan(t, a) and _is_nan(t, b))
                       for t, a, b in zip(rtypes, cv[1], cw[1]))
        else:
            same = cv == cw
        if not same:
            return ("api", f"call #{i} {name}{tuple(x for _, x in args)}: Func.__call__ {cv}, "
                           f"call_bits {cw}")
        if cw[0] == "trap" and cw[1] in LIMIT_KINDS:
            return None
    if len(v.calls) != len(w.calls) or v.host != w.host or v.state != w.state:
        return ("api", "Func.__call__ and call_bits runs end in different states")
    return None


# ------------------------------------------------------------------------------ shrinking
def shrink(wasm: bytes, kind: str, attempts: int = 300, timeout: float = 600.0,
           linked: bytes | None = None, features: str = "wasm2") -> bytes:
    """Reduce ``wasm`` with ``wasm-tools shrink``, keeping the property "the engines still
    differ in the same way (``kind``)" under feature set ``features``; returns the smallest
    module found (or ``wasm``). A ``linked`` provider module stays as it is."""
    exe = common.wasm_tools()
    if exe is None:
        return wasm
    with tempfile.TemporaryDirectory(prefix="whisk-shrink-") as tmp:
        src = os.path.join(tmp, "in.wasm")
        dst = os.path.join(tmp, "out.wasm")
        pred = os.path.join(tmp, "pred.sh")
        with open(src, "wb") as f:
            f.write(wasm)
        extra = ""
        if linked is not None:
            lpath = os.path.join(tmp, "provider.wasm")
            with open(lpath, "wb") as f:
                f.write(linked)
            extra = f' --linked "{lpath}"'
        extra += f" --features {features}"
        with open(pred, "w") as f:
            f.write(f'#!/bin/sh\nexec "{sys.executable}" "{os.path.abspath(__file__)}"{extra} '
                    f'--predicate {kind} "$1"\n')
        os.chmod(pred, 0o755)
        try:
            subprocess.run([exe, "shrink", "--attempts", str(attempts), pred, src, "-o", dst],
                           capture_output=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            pass
        if os.path.exists(dst):
            with open(dst, "rb") as f:
                small = f.read()
            if small and len(small) < len(wasm):
                return small
    return wasm


def known_open(wasm: bytes, diff: tuple[str, str], linked: bytes | None = None,
               fs: common.FeatureSet | None = None) -> str | None:
    """The saved finding (tests/fuzz/regressions, ``status: open``) that ``diff`` on ``wasm``
    is another instance of, or None: campaigns count such repeats in ``known_open`` instead of
    reporting them again. A finding saved as open gets its classifier here (by message and
    module shape); none is open now (the GC findings diff-gc-const-array-new-huge,
    diff-gc-const-struct-ref-field and dec-gc-nullref-matches-i31ref had classifiers here
    until main fixed them, 901a5e3)."""
    return None


def save_finding(wasm: bytes, diff: tuple[str, str], note: str, directory: str,
                 linked: bytes | None = None, features: str = "wasm2") -> str:
    """Save a finding as ``diff-<hash>.wasm`` plus a ``.txt`` note in ``directory`` (and the
    provider module it links to as ``diff-<hash>.provider``); returns the path of the .wasm.
    The note's line ``features: <set>`` says which feature set replays it (absent: wasm2)."""
    os.makedirs(directory, exist_ok=True)
    name = f"diff-{common.digest(wasm)}"
    path = os.path.join(directory, name + ".wasm")
    with open(path, "wb") as f:
        f.write(wasm)
    if linked is not None:
        with open(os.path.join(directory, name + ".provider"), "wb") as f:
            f.write(linked)
    with open(os.path.join(directory, name + ".txt"), "w") as f:
        f.write(f"differential finding ({diff[0]}): {diff[1]}\n{note}\nfeatures: {features}\n")
    return path


# ------------------------------------------------------------------------------ campaign
def run_campaign(seed: int, count: int, keep: str | None = None, save_dir: str | None = None,
                 do_shrink: bool = True, log: Any = None, start: int = 0,
                 features: str = "wasm2", wasmtime_only: bool = False) -> dict[str, Any]:
    """Run cases ``start .. start+count-1`` of run ``seed`` with feature set ``features``
    (``common.FEATURE_SETS``). Returns a summary dict: counts (generated, compared, skipped,
    findings) and the findings as (index, kind, description, saved path); findings that are
    instances of a saved open one (:func:`known_open`) are only counted, in ``known_open``.
    ``keep`` also saves every generated module there. While a case runs, its module is in
    ``save_dir/.current-<seed>.wasm``, so a crash of the process leaves it behind (the case can
    also be regenerated from seed and index). ``wasmtime_only``: a dry run of the harness
    without whisk (:func:`check`); its findings are not shrunk or saved."""
    current = os.path.join(save_dir, f".current-{seed}.wasm") if save_dir else None
    if save_dir:
        os.makedirs(save_dir, exist_ok=True)
    fs = common.feature_set(features, differential=True)
    stats: dict[str, Any] = {"seed": seed, "count": count, "features": features,
                             "enabled": sorted(fs.features), "generated": 0, "compared": 0,
                             "skipped": 0, "smith_failed": 0, "findings": []}
    if fs.missing:
        stats["not_implemented"] = fs.missing
    t0 = time.time()
    for i in range(start, start + count):
        wasm, flags, linked = generate(seed, i, fs)
        if wasm is None:
            stats["smith_failed"] += 1
            continue
        stats["generated"] += 1
        if keep:
            os.makedirs(keep, exist_ok=True)
            with open(os.path.join(keep, f"{seed}-{i}.wasm"), "wb") as f:
                f.write(wasm)
        if current:
            with open(current, "wb") as f:     # left behind if whisk crashes the process
                f.write(wasm)
        if linked is not None:
            stats["linked"] = stats.get("linked", 0) + 1
        try:
            diff = check(wasm, stats, linked, fs, wasmtime_only)
        except Exception as e:                # a harness error is a finding too (e.g. whisk raised
            diff = ("crash", f"{type(e).__name__}: {e}")   # something that is not a WasmError)
        if diff == "skip":
            stats["skipped"] += 1
            continue
        stats["compared"] += 1
        if diff is not None and wasmtime_only:
            stats["findings"].append((i, diff[0], diff[1], None))
            if log:
                print(f"HARNESS case {i}: {diff[1]}", file=log, flush=True)
            continue
        if diff is not None:
            assert isinstance(diff, tuple)
            known = known_open(wasm, diff, linked, fs)
            if known is not None:               # another instance of a saved, open finding
                stats.setdefault("known_open", {})
                stats["known_open"][known] = stats["known_open"].get(known, 0) + 1
                continue
            small = shrink(wasm, diff[0], linked=linked, features=features) \
                if do_shrink and diff[0] != "crash" else wasm
            d2 = check(small, linked=linked, fs=fs) if small is not wasm else diff
            if not isinstance(d2, tuple):
                small, d2 = wasm, diff
            path = None
            if save_dir:
                path = save_finding(small, d2, f"from: differential.py --features {features} "
                                    f"--seed {seed}, case {i} ({len(wasm)} bytes before "
                                    f"shrinking)\nsmith flags: {' '.join(flags)}",
                                    save_dir, linked, features)
            stats["findings"].append((i, d2[0], d2[1], path))
            if log:
                print(f"FINDING case {i}: {d2[0]}: {d2[1]} -> {path}", file=log, flush=True)
        if log and (i - start + 1) % 500 == 0:
            el = time.time() - t0
            print(f"[{i - start + 1}/{count}] {el:.0f}s compared={stats['compared']} "
                  f"findings={len(stats['findings'])}", file=log, flush=True)
    if current and os.path.exists(current):
        os.remove(current)
    stats["seconds"] = round(time.time() - t0, 1)
    return stats


def main(argv: Sequence[str] | None = None) -> int:
    """Command line entry point (see the module docstring)."""
    p = common.campaign_parser(__doc__, 100, "case")
    p.add_argument("--no-shrink", action="store_true")
    p.add_argument("--wasmtime-only", action="store_true",
                   help="dry-run the harness on wasmtime alone (whisk is not run): counts "
                        "wasmtime's outcomes; an unclassified trap or error is a finding")
    p.add_argument("--check", metavar="FILE", help="compare one module and print the outcome")
    p.add_argument("--linked", metavar="FILE",
                   help="with --check/--predicate: the provider module FILE imports as \"a\"")
    p.add_argument("--predicate", nargs=2, metavar=("KIND", "FILE"),
                   help="exit 0 iff FILE makes the engines differ with this kind (for shrink)")
    a = p.parse_args(argv)
    fs = common.feature_set(a.features, differential=True)
    linked = None
    if a.linked:
        with open(a.linked, "rb") as f:
            linked = f.read()
    if a.predicate:
        kind, path = a.predicate
        with open(path, "rb") as f:
            wasm = f.read()
        try:
            d = check(wasm, linked=linked, fs=fs)
        except Exception:
            return 1
        return 0 if isinstance(d, tuple) and d[0] == kind else 1
    if a.check:
        with open(a.check, "rb") as f:
            wasm = f.read()
        d = check(wasm, linked=linked, fs=fs)
        print("agree" if d is None else d)
        return 0 if d is None or d == "skip" else 1
    return common.report_campaign(
        run_campaign(a.seed, a.count, a.keep, a.save, not a.no_shrink, sys.stderr, a.start,
                     a.features, a.wasmtime_only))


if __name__ == "__main__":
    sys.exit(main())
