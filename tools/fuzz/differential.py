"""Differential fuzzer: whisk against wasmtime on modules from ``wasm-tools smith``.

Usage::

    python tools/fuzz/differential.py --seed S --count N [--keep DIR] [--no-shrink]
    python tools/fuzz/differential.py --check FILE.wasm [--linked PROVIDER]  # compare one
    python tools/fuzz/differential.py --predicate KIND FILE    # exit 0 iff FILE shows KIND

Each case draws random seed bytes and smith options from ``case_rng(S, i)`` and asks smith for a
valid module restricted to WebAssembly 2.0, with NaNs canonicalised, smith's fuel counter
(``--ensure-termination``) so that every loop and recursion ends, and a declared maximum on
every memory and table. Imports (in about a third of the cases) are served identically in both
engines: a HostModel for functions, fresh memories, tables and globals for the rest. In a
quarter of the cases the module is made (``--available-imports``) to import from a provider
module, which is instantiated first in the same store and whose exports are compared too. The module
is instantiated in both engines, every exported function is called (in export order, three
times) with the same arguments (derived from the export's name and type, so a saved file
replays alone), and the results, traps, host calls and the final contents of every exported or
imported memory, global and table are compared bit for bit. Every other module (by hash) also
runs through whisk's value API (``Func.__call__``), which must agree with ``call_bits`` (kind
'api'). A difference is shrunk with
``wasm-tools shrink`` and saved into tests/fuzz/regressions/.

Not findings: a stack exhaustion or fuel/timeout in either engine (their limits differ; the
comparison stops there), a module wasmtime cannot compile, and resource-limit failures when
instantiating.
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
def smith_flags(rng: random.Random) -> list[str]:
    """The smith command line for one differential case: the 2.0 feature set, no imports,
    canonical NaNs, guaranteed termination, plus a few shape options drawn from ``rng``."""
    flags = list(common.SMITH_WASM2_FLAGS)
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
        flags += ["--allowed-instructions", ",".join(kinds)]
    if rng.random() < 0.3:
        flags += ["--min-memories", "1"]
    if rng.random() < 0.2:
        flags += ["--min-uleb-size", str(rng.choice([1, 2, 5]))]
    return flags


def _set_flag(flags: list[str], name: str, value: str) -> None:
    if name in flags:
        flags[flags.index(name) + 1] = value
    else:
        flags += [name, value]


#: The share of cases that link two modules: a provider (everything exported) instantiated
#: first, and the case's module, made by smith to import from it (``--available-imports``).
LINKED_SHARE = 0.25


def generate(seed: int, index: int) -> tuple[bytes | None, list[str], bytes | None]:
    """Case ``index`` of the run ``seed``: (module or None, its smith flags, the provider module
    it imports from as "a", or None)."""
    rng = common.case_rng(seed, index, "differential")
    flags = smith_flags(rng)
    size = rng.choice([256, 1024, 4096, 4096, 16384, 16384, 65536])
    data = rng.randbytes(size)
    if rng.random() >= LINKED_SHARE:
        return common.smith(data, flags), flags, None
    aflags = smith_flags(rng)
    for name, value in (("--export-everything", "true"), ("--max-imports", "0"),
                        ("--min-imports", "0")):
        _set_flag(aflags, name, value)
    provider = common.smith(rng.randbytes(rng.choice([1024, 4096, 16384])), aflags)
    if provider is None:
        return None, flags, None
    desc = common.imports_module("a", common.export_details(provider))
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
    # the initial value of an imported global (numbers as Python values)
    return {"i32": -123456789, "i64": -(1 << 40) - 7, "f32": 1.5, "f64": -2.75}.get(t)


def imports_supported(imports: Sequence[tuple[str, str, str, Any]]) -> bool:
    """Whether the host side can provide these imports identically in both engines (wasmtime-py
    has no v128 values at its boundary, and whisk takes imports as a mapping by name)."""
    names = set()
    for mod, name, kind, t in imports:
        if (mod, name) in names:
            return False
        names.add((mod, name))
        if kind == "func" and "v128" in t[0] + t[1]:
            return False
        if kind == "global" and t[0] == "v128":
            return False
        if kind == "memory" and (t[0] * 65536 > MAX_MEMORY_BYTES or t[1] is None):
            return False
        if kind == "table" and t[2] is None:
            return False
    return True


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
    "OUT_OF_FUEL": "fuel",
    "INTERRUPT": "timeout",
}

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
    'trap:<kind>' or an error), one entry per call in ``calls`` (('ok', values) or ('trap',
    kind)) and the final exported ``state`` (name -> description)."""

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


def run_whisk(wasm: bytes, plan: Sequence[tuple[str, tuple]],
              imports: Sequence[tuple[str, str, str, Any]] = (), values: bool = False,
              linked: bytes | None = None) -> Outcome:
    """Run ``plan`` on ``wasm`` in whisk and record the outcome (raw bits throughout);
    ``imports`` (from ``common.read_interface``) are provided by a HostModel and fresh
    memories, tables and globals. With ``values``, calls go through ``Func.__call__`` (Python
    ints and floats) instead of ``call_bits``, and results are converted back to bits.
    ``linked`` is a module instantiated first in the same store: its exports serve the imports
    from module "a" and are called and compared as "a:<name>"."""
    import whisk
    out = Outcome("whisk")
    try:
        module = whisk.Module(wasm)
        lmodule = whisk.Module(linked) if linked is not None else None
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
        except whisk.LinkError as e:
            out.inst = f"error: LinkError: {e}"
            return out
    for i, (mod, name, kind, t) in enumerate(imports):
        if mod == "a" and name in provider:
            provided.setdefault(mod, {})[name] = provider[name]
            continue
        if kind == "func":
            ext: Any = whisk.Func(whisk.FuncType(t[0], t[1]),
                                  lambda *a, _i=i, _r=t[1]: host.call(_i, _r, a))
        elif kind == "memory":
            ext = whisk.Memory(t[0], t[1], MAX_MEMORY_BYTES)
        elif kind == "table":
            ext = whisk.Table(t[0], t[1], t[2])
        else:
            ext = whisk.Global(t[0], _import_value(t[0]), t[1])
        provided.setdefault(mod, {})[name] = ext
        if kind != "func":
            imported.append((f"import#{i}", ext, t[0] if kind in ("table", "global") else ""))
    try:
        inst = whisk.Instance(module, provided, store=store)
    except whisk.Trap as e:
        kind = whisk_trap_kind(e.message)
        out.inst = "trap:" + ("fuel" if isinstance(e, whisk.Exhaustion) and kind != "stack" else kind)
        return out
    except whisk.LinkError as e:
        out.inst = "trap:resource" if type(e).__name__ == "ResourceError" or "memory" in str(e) \
            else f"error: LinkError: {e}"
        return out
    exports = {**{"a:" + n: x for n, x in provider.items()}, **dict(inst.exports.items())}
    funcs = {name: x for name, x in exports.items() if isinstance(x, whisk.Func)}
    names: dict[int, str] = {}
    for name, f in funcs.items():
        names.setdefault(id(f), name)        # a function exported twice: its first name, as below

    def ref(v: Any) -> Any:
        if v is None:
            return None
        if isinstance(v, whisk.Func):
            name = names.get(id(v))
            return ("func", name) if name is not None else (
                "anon", len(v.type.params), len(v.type.results))
        if isinstance(v, ExternToken):
            return ("extern", v.n)
        return ("extern?", repr(v))

    def arg(t: str, v: Any) -> Any:
        if v is None:
            return None
        if t == "funcref":
            return funcs[v[1]]
        if t == "externref":
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
        vals = []
        for t, v in zip(f.type.results, res):
            vals.append(_mask(t, v) if t in _WIDTH else ref(v))
        out.calls.append(("ok", tuple(vals)))
    for name, x in list(exports.items()) + [(n, x) for n, x, _ in imported]:
        if isinstance(x, whisk.Memory):
            out.state[name] = ("memory", bytes(memoryview(x)))
        elif isinstance(x, whisk.Global):
            t = x.valtype
            out.state[name] = ("global", t, _mask(t, x.value_bits) if t in _WIDTH else ref(x.value_bits))
        elif isinstance(x, whisk.Table):
            n = len(x)
            out.state[name] = ("table", n, tuple(ref(x[i]) for i in range(min(n, TABLE_COMPARE))))
    return out


# ------------------------------------------------------------------------------ wasmtime
_ENGINE = None


def wasmtime_engine() -> Any:
    """A wasmtime Engine with exactly the WebAssembly 2.0 proposals enabled and fuel metering."""
    global _ENGINE
    if _ENGINE is None:
        import wasmtime
        cfg = wasmtime.Config()
        for name, on in [("wasm_simd", True), ("wasm_bulk_memory", True),
                         ("wasm_reference_types", True), ("wasm_multi_value", True),
                         ("wasm_threads", False), ("wasm_tail_call", True),
                         ("wasm_multi_memory", False), ("wasm_memory64", False),
                         ("wasm_relaxed_simd", False), ("wasm_exceptions", False),
                         ("wasm_gc", False), ("wasm_function_references", False),
                         ("wasm_wide_arithmetic", False), ("wasm_custom_page_sizes", False)]:
            setter = getattr(cfg, name, None)
            if setter is not None:
                try:
                    setter(on)
                except Exception:
                    pass
        cfg.consume_fuel = True
        cfg.cranelift_opt_level = "none"
        try:
            cfg.parallel_compilation = False
        except Exception:
            pass
        _ENGINE = wasmtime.Engine(cfg)
    return _ENGINE


def wasmtime_compiles(wasm: bytes) -> bool:
    """True if wasmtime (with the 2.0 feature set) compiles ``wasm``."""
    import wasmtime
    try:
        wasmtime.Module(wasmtime_engine(), wasm)
    except Exception:
        return False
    return True


def _raw_bits(val: Any, t: str) -> int:
    n = _WIDTH[t] // 8
    return int.from_bytes(ctypes.string_at(ctypes.addressof(val.of), n), "little")


def _wasmtime_valtype(t: str) -> Any:
    import wasmtime
    return getattr(wasmtime.ValType, t)()


def run_wasmtime(wasm: bytes, plan: Sequence[tuple[str, tuple]],
                 types: dict[str, tuple[str, Any]],
                 imports: Sequence[tuple[str, str, str, Any]] = (),
                 linked: bytes | None = None) -> Outcome:
    """Run ``plan`` on ``wasm`` in wasmtime, reading and writing numbers as raw bits through
    its C API (wasmtime-py's own conversions would go through Python floats and lose f32 NaN
    payloads, and do not handle v128). ``linked`` as for :func:`run_whisk`."""
    import wasmtime
    from wasmtime import _ffi as ffi
    from wasmtime._func import enter_wasm
    out = Outcome("wasmtime")
    engine = wasmtime_engine()
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
        except wasmtime.Trap as e:
            code = e.trap_code
            out.inst = "trap:" + (WASMTIME_TRAPS.get(code.name, "other:" + code.name) if code else "other")
            return out
        except Exception as e:
            out.inst = f"error: {e}"
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
            elif kind == "memory":
                ext = wasmtime.Memory(store, wasmtime.MemoryType(wasmtime.Limits(t[0], t[1])))
            elif kind == "table":
                ext = wasmtime.Table(store, wasmtime.TableType(_wasmtime_valtype(t[0]),
                                                               wasmtime.Limits(t[1], t[2])), None)
            else:
                vt = _wasmtime_valtype(t[0])
                v = _import_value(t[0])
                val = wasmtime.Val.ref_null(vt) if v is None else getattr(wasmtime.Val, t[0])(v)
                ext = wasmtime.Global(store, wasmtime.GlobalType(vt, t[1]), val)
            externs.append(ext)
            if kind != "func":
                imported.append((f"import#{i}", ext))
                types = {**types, f"import#{i}": (kind, t[0] if kind in ("table", "global") else None)}
    except Exception as e:
        out.inst = f"error: host externs: {e}"
        return out
    try:
        inst = wasmtime.Instance(store, module, externs)
    except wasmtime.Trap as e:
        code = e.trap_code
        out.inst = "trap:" + (WASMTIME_TRAPS.get(code.name, "other:" + code.name) if code else "other")
        return out
    except Exception as e:
        msg = str(e)
        out.inst = "trap:resource" if ("limit" in msg or "memory" in msg or "resource" in msg) \
            else f"error: {msg}"
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
        if t == "funcref":
            fr = raw.of.funcref
            if fr.store_id == 0:
                return None
            name = ids.get(identity(fr))
            if name is not None:
                return ("func", name)
            ft = wasmtime.Func._from_raw(fr).type(store)
            return ("anon", len(ft.params), len(ft.results))
        v = wasmtime.Val._from_raw(store, raw, owned=False).value
        if v is None:
            return None
        if isinstance(v, ExternToken):
            return ("extern", v.n)
        return ("extern?", repr(v))

    def to_raw(t: str, v: Any) -> Any:
        if t in kinds:
            raw = ffi.wasmtime_val_t(kind=kinds[t])
            n = _WIDTH[t] // 8
            ctypes.memmove(ctypes.addressof(raw.of), v.to_bytes(n, "little"), n)
            return raw
        if t == "funcref":
            return wasmtime.Val.funcref(None if v is None else funcs[v[1]])._new_raw(store)
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
            code = e.trap_code
            kind = WASMTIME_TRAPS.get(code.name, "other:" + code.name) if code else "other:" + e.message
            out.calls.append(("trap", kind))
            if kind in LIMIT_KINDS:
                return out
            continue
        except wasmtime.WasmtimeError as e:
            out.calls.append(("trap", "resource" if "fuel" in str(e) else "other:" + str(e)))
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
    'inst', 'result', 'trap', 'state'."""
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
            kind = "result" if cw[0] == ct[0] == "ok" else "trap"
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
          linked: bytes | None = None) -> tuple[str, str] | None | str:
    """Run ``wasm`` in both engines and compare; returns the difference, None when they agree,
    or the string 'skip' when wasmtime does not take the module (nothing to compare). If
    ``stats`` is given, counts of what was compared are added to it. ``linked``: a module
    instantiated first whose exports ``wasm`` imports as module "a"."""
    if not wasmtime_compiles(wasm) or (linked is not None and not wasmtime_compiles(linked)):
        return "skip"
    imports, types = common.read_interface(wasm)
    if linked is not None:
        provided = common.export_types(linked)
        own = [imp for imp in imports if not (imp[0] == "a" and imp[1] in provided)]
        types = {**{"a:" + n: t for n, t in provided.items()}, **types}
        limits = common.defined_limits(wasm) + common.defined_limits(linked)
    else:
        own, limits = list(imports), common.defined_limits(wasm)
    if not imports_supported(own) or any(mx is None for _, _, mx in limits):
        return "skip"                         # (a growable memory or table without a maximum:
                                              # the engines' resource limits would decide)
    plan = make_plan(wasm, [(n, t[1][0]) for n, t in types.items() if t[0] == "func"])
    t = run_wasmtime(wasm, plan, types, imports, linked)
    w = run_whisk(wasm, plan, imports, linked=linked)
    diff = compare(w, t, plan)
    if diff is None and w.load == "ok" and _values_check_applies(wasm, plan):
        diff = compare_values(run_whisk(wasm, plan, imports, values=True, linked=linked), w,
                              plan, types)
        if stats is not None:
            stats["value_api_checked"] = stats.get("value_api_checked", 0) + 1
    if stats is not None:
        stats["instantiated"] = stats.get("instantiated", 0) + (t.inst == "ok")
        for c in t.calls:
            key = "calls_ok" if c[0] == "ok" else "calls_trapped"
            stats[key] = stats.get(key, 0) + 1
        if any(c[0] == "trap" and c[1] in LIMIT_KINDS for c in w.calls + t.calls) or \
                {w.inst, t.inst} & {"trap:" + k for k in LIMIT_KINDS}:
            stats["stopped_at_limit"] = stats.get("stopped_at_limit", 0) + 1
        stats["exports_compared"] = stats.get("exports_compared", 0) + len(t.state)
    return diff


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
           linked: bytes | None = None) -> bytes:
    """Reduce ``wasm`` with ``wasm-tools shrink``, keeping the property "the engines still
    differ in the same way (``kind``)"; returns the smallest module found (or ``wasm``).
    A ``linked`` provider module stays as it is."""
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


def save_finding(wasm: bytes, diff: tuple[str, str], note: str, directory: str,
                 linked: bytes | None = None) -> str:
    """Save a finding as ``diff-<hash>.wasm`` plus a ``.txt`` note in ``directory`` (and the
    provider module it links to as ``diff-<hash>.provider``); returns the path of the .wasm."""
    os.makedirs(directory, exist_ok=True)
    name = f"diff-{common.digest(wasm)}"
    path = os.path.join(directory, name + ".wasm")
    with open(path, "wb") as f:
        f.write(wasm)
    if linked is not None:
        with open(os.path.join(directory, name + ".provider"), "wb") as f:
            f.write(linked)
    with open(os.path.join(directory, name + ".txt"), "w") as f:
        f.write(f"differential finding ({diff[0]}): {diff[1]}\n{note}\n")
    return path


# ------------------------------------------------------------------------------ campaign
def run_campaign(seed: int, count: int, keep: str | None = None, save_dir: str | None = None,
                 do_shrink: bool = True, log: Any = None, start: int = 0) -> dict[str, Any]:
    """Run cases ``start .. start+count-1`` of run ``seed``. Returns a summary dict: counts
    (generated, compared, skipped, findings) and the findings as (index, kind, description,
    saved path). ``keep`` also saves every generated module there. While a case runs, its
    module is in ``save_dir/.current-<seed>.wasm``, so a crash of the process leaves it behind
    (the case can also be regenerated from seed and index)."""
    current = os.path.join(save_dir, f".current-{seed}.wasm") if save_dir else None
    if save_dir:
        os.makedirs(save_dir, exist_ok=True)
    stats: dict[str, Any] = {"seed": seed, "count": count, "generated": 0, "compared": 0,
                             "skipped": 0, "smith_failed": 0, "findings": []}
    t0 = time.time()
    for i in range(start, start + count):
        wasm, flags, linked = generate(seed, i)
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
            diff = check(wasm, stats, linked)
        except Exception as e:                # a harness error is a finding too (e.g. whisk raised
            diff = ("crash", f"{type(e).__name__}: {e}")   # something that is not a WasmError)
        if diff == "skip":
            stats["skipped"] += 1
            continue
        stats["compared"] += 1
        if diff is not None:
            assert isinstance(diff, tuple)
            small = shrink(wasm, diff[0], linked=linked) if do_shrink and diff[0] != "crash" else wasm
            d2 = check(small, linked=linked) if small is not wasm else diff
            if not isinstance(d2, tuple):
                small, d2 = wasm, diff
            path = None
            if save_dir:
                path = save_finding(small, d2, f"from: differential.py --seed {seed}, case {i} "
                                    f"({len(wasm)} bytes before shrinking)\nsmith flags: {' '.join(flags)}",
                                    save_dir, linked)
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
    p.add_argument("--check", metavar="FILE", help="compare one module and print the outcome")
    p.add_argument("--linked", metavar="FILE",
                   help="with --check/--predicate: the provider module FILE imports as \"a\"")
    p.add_argument("--predicate", nargs=2, metavar=("KIND", "FILE"),
                   help="exit 0 iff FILE makes the engines differ with this kind (for shrink)")
    a = p.parse_args(argv)
    linked = None
    if a.linked:
        with open(a.linked, "rb") as f:
            linked = f.read()
    if a.predicate:
        kind, path = a.predicate
        with open(path, "rb") as f:
            wasm = f.read()
        try:
            d = check(wasm, linked=linked)
        except Exception:
            return 1
        return 0 if isinstance(d, tuple) and d[0] == kind else 1
    if a.check:
        with open(a.check, "rb") as f:
            wasm = f.read()
        d = check(wasm, linked=linked)
        print("agree" if d is None else d)
        return 0 if d is None or d == "skip" else 1
    return common.report_campaign(
        run_campaign(a.seed, a.count, a.keep, a.save, not a.no_shrink, sys.stderr, a.start))


if __name__ == "__main__":
    sys.exit(main())
