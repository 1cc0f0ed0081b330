"""Decoder and validator fuzzer: whisk's accept/reject decisions against ``wasm-tools validate``.

Usage::

    python tools/fuzz/decoder.py --seed S --count N [--features wasm3] [--keep DIR]
    python tools/fuzz/decoder.py --check FILE... [--features wasm3]  # judge files, print verdicts
    python tools/fuzz/decoder.py --limits               # modules at wasmparser's limits

``--features`` (default ``wasm2``) selects the feature set (``common.FEATURE_SETS``): whisk loads
every input with the matching ``whisk.Features``, the oracle is ``wasm-tools validate
--features`` with the same set (``FeatureSet.validate``: for ``wasm3``
"wasm2,relaxed-simd,exceptions,legacy-exceptions,tail-call,function-references,multi-memory,
memory64,extended-const", i.e. wasmparser's wasm3 without gc and threads, plus legacy
exceptions), and smith's base modules use the set (sometimes with proposals beyond it).
One documented difference is not a finding: whisk's ``function_references`` also covers the GC
proposal's *types* (anyref, eqref, i31ref, structref, arrayref, nullref, struct and array type
definitions, rec groups, sub types; docs/features.md), which wasmparser accepts only with ``gc``.
A module whisk accepts that is valid once ``gc`` is added to the oracle's set counts as
``gc_types_accepted`` (whisk rejects every GC instruction, so such a module has none).

Each case starts from a base module: one from ``wasm-tools smith`` (sometimes with proposals
beyond 2.0 switched on, or with ``--allow-invalid-funcs`` so that bodies are arbitrary bytes),
or a .wasm file from examples/, benchmarks/kernels/ or tests/fuzz/regressions/. It is then
mutated by ``wasm-tools mutate`` or by byte edits (bit flips, overwrites, insertions, deletions,
duplicated ranges, truncation, LEB128 and section-size tweaks). whisk must load the result or
raise ``whisk.DecodeError`` / ``whisk.ValidationError`` -- nothing else, no crash, no hang --
and accept exactly what ``wasm-tools validate --features <the set>`` accepts. Accepted inputs are
instantiated (imports stubbed) and their exports called under fuel and memory limits; errors
there must be ``whisk.WasmError`` subclasses.

whisk runs in a worker subprocess, one input at a time with a per-input timeout, so a segfault
or a hang is caught and the input saved. wasm-tools judges a whole batch in one process (see
``common.validate_many``). Findings go to tests/fuzz/regressions/ as ``dec-<hash>.wasm`` with a
``.txt`` note.
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import queue
import random
import struct
import subprocess
import sys
import threading
import time
import traceback
from collections.abc import Sequence
from typing import Any

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402

#: Seconds one input may take in the worker before it counts as a hang (checked again with
#: HANG_CONFIRM before it is reported).
INPUT_TIMEOUT = 10.0
HANG_CONFIRM = 60.0
#: Cases that share one generated base module (generating it costs a subprocess).
GROUP = 8
BATCH = 250
WORKER_FUEL = 200_000
WORKER_MEMORY = 16 << 20

_INTERESTING = [0x00, 0x01, 0x02, 0x0B, 0x0F, 0x10, 0x20, 0x40, 0x41, 0x60, 0x6F, 0x70, 0x7B,
                0x7F, 0x80, 0x81, 0xC0, 0xD0, 0xD2, 0xFC, 0xFD, 0xFE, 0xFF]


# ------------------------------------------------------------------------------ inputs
def corpus_files() -> list[str]:
    """The seed files: examples/*.wasm, benchmarks/kernels/*.wasm, tests/fuzz/regressions/*.wasm
    except known open bugs (sorted, so a run is deterministic for a given checkout)."""
    out: list[str] = []
    for pattern in ("examples/*.wasm", "benchmarks/kernels/*.wasm", "tests/fuzz/regressions/*.wasm"):
        out += sorted(glob.glob(os.path.join(common.REPO, pattern)))
    return [p for p in out if not _is_open(p)]


def _is_open(path: str) -> bool:
    # a saved finding whose note marks it as a known, unfixed bug (it would be found again)
    note = path[:-5] + ".txt"
    if not os.path.exists(note):
        return False
    with open(note) as f:
        return "status: open" in f.read().splitlines()


_CORPUS: list[bytes] | None = None


def corpus() -> list[bytes]:
    """The contents of :func:`corpus_files` (read once)."""
    global _CORPUS
    if _CORPUS is None:
        _CORPUS = []
        for p in corpus_files():
            with open(p, "rb") as f:
                _CORPUS.append(f.read())
    return _CORPUS


#: Proposals beyond the wasm3 set (GC, threads, wide arithmetic, custom page sizes) that a
#: decoder run with ``--features wasm3`` may switch on in smith, as BEYOND_WASM2_FLAGS for wasm2.
BEYOND_WASM3_FLAGS: tuple[tuple[str, str], ...] = (
    ("--gc-enabled", "true"),
    ("--threads-enabled", "true"),
    ("--wide-arithmetic-enabled", "true"),
    ("--custom-page-sizes-enabled", "true"),
)


def smith_base(rng: random.Random, fs: common.FeatureSet | None = None) -> bytes | None:
    """A smith module for mutation: the features of ``fs`` (default wasm2), sometimes more,
    sometimes invalid bodies, with imports allowed."""
    if fs is None or fs.name == "wasm2":
        flags = list(common.SMITH_WASM2_FLAGS)
        beyond = common.BEYOND_WASM2_FLAGS
    else:
        flags = list(fs.smith_flags())
        beyond = BEYOND_WASM3_FLAGS
        if "memory64" in fs.features:
            flags += ["--max-memory64-bytes", str(1 << 20)]
    r = rng.random()
    if r < 0.25:
        for flag, value in rng.sample(beyond, rng.randint(1, min(3, len(beyond)))):
            flags += [flag, value]
    elif r < 0.45:
        flags += ["--allow-invalid-funcs", "true"]
    flags += ["--max-instructions", str(rng.choice([10, 50, 200])),
              "--generate-custom-sections", rng.choice(["true", "false"]),
              "--max-memory32-bytes", str(1 << 20)]
    if rng.random() < 0.3:
        flags += ["--min-uleb-size", str(rng.choice([2, 5]))]
    return common.smith(rng.randbytes(rng.choice([64, 512, 2048, 8192])), flags)


_BASE_CACHE: dict[tuple[int, int], bytes] = {}


def base_module(seed: int, group: int, fs: common.FeatureSet | None = None) -> bytes:
    """The base module shared by the cases of ``group``: a smith module or a corpus file."""
    key = (seed, group, fs.name if fs else "wasm2")
    if key not in _BASE_CACHE:
        _BASE_CACHE.clear()
        _BASE_CACHE[key] = _make_base(seed, group, fs)
    return _BASE_CACHE[key]


def _purpose(what: str, fs: common.FeatureSet | None) -> str:
    # wasm2 runs keep the random streams they had before feature sets; others get their own
    return what if fs is None or fs.name == "wasm2" else f"{what}-{fs.name}"


def _make_base(seed: int, group: int, fs: common.FeatureSet | None = None) -> bytes:
    rng = common.case_rng(seed, group, _purpose("decoder-base", fs))
    files = corpus()
    if files and rng.random() < 0.3:
        return rng.choice(files)
    for _ in range(5):
        m = smith_base(rng, fs)
        if m is not None:
            return m
    return files[0] if files else b"\0asm\1\0\0\0"


def _section_starts(data: bytes) -> list[int]:
    # offsets of the section headers of a well-formed prefix of data
    out, pos = [], 8
    while pos < len(data):
        out.append(pos)
        pos += 1
        size = shift = 0
        while pos < len(data):
            b = data[pos]
            pos += 1
            size |= (b & 0x7F) << shift
            shift += 7
            if b < 0x80 or shift > 35:
                break
        pos += size
    return out


def byte_mutate(data: bytes, rng: random.Random) -> bytes:
    """One to four random byte-level edits of ``data``."""
    buf = bytearray(data)
    for _ in range(rng.choice([1, 1, 1, 2, 3, 4])):
        n = len(buf)
        op = rng.random()
        pos = rng.randrange(n) if n else 0
        if n == 0:
            buf += rng.randbytes(rng.randint(1, 8))
        elif op < 0.25:
            buf[pos] ^= 1 << rng.randrange(8)
        elif op < 0.40:
            buf[pos] = rng.choice(_INTERESTING)
        elif op < 0.50:
            buf[pos] = rng.randrange(256)
        elif op < 0.60:
            buf[pos:pos] = rng.randbytes(rng.randint(1, 8))
        elif op < 0.70:
            del buf[pos:pos + rng.randint(1, 16)]
        elif op < 0.75:
            del buf[rng.randrange(n):]                  # truncate
        elif op < 0.80:
            a = rng.randrange(n)
            buf[pos:pos] = buf[a:a + rng.randint(1, 32)]  # duplicate a range
        elif op < 0.88:
            # stretch or change a section's size field
            starts = [s for s in _section_starts(bytes(buf)) if s + 1 < len(buf)]
            if starts:
                s = rng.choice(starts) + 1
                if rng.random() < 0.5:
                    buf[s] = (buf[s] + rng.choice([-2, -1, 1, 2])) & 0xFF
                else:
                    # the same size as a LEB128 one group longer (padding, as allowed up to 5)
                    e = s
                    while e < len(buf) - 1 and buf[e] & 0x80:
                        e += 1
                    buf[e] |= 0x80
                    buf[e + 1:e + 1] = b"\x00"
        elif op < 0.94:
            # an over-long or over-large LEB128 somewhere
            buf[pos:pos + 1] = rng.choice([b"\x80\x80\x80\x80\x00", b"\xff\xff\xff\xff\x0f",
                                           b"\xff\xff\xff\xff\x7f", b"\x80\x00", b"\xff\x7f"])
        else:
            # swap the contents of two sections' ids
            starts = _section_starts(bytes(buf))
            if len(starts) >= 2:
                a, b = rng.sample(starts, 2)
                buf[a], buf[b] = buf[b], buf[a]
    return bytes(buf)


#: Instructions (with immediates) that ``insn_mutate`` inserts into function bodies: mostly
#: well-formed, so the result stresses type checking rather than decoding.
_INSNS = [
    b"\x00", b"\x01", b"\x0b", b"\x05", b"\x0f", b"\x1a", b"\x1b", b"\x1c\x01\x7f", b"\x1c\x01\x7b",
    b"\x02\x40", b"\x03\x40", b"\x04\x40", b"\x02\x7f", b"\x03\x7e", b"\x04\x7d", b"\x02\x00",
    b"\x0c\x00", b"\x0c\x01", b"\x0d\x00", b"\x0e\x01\x00\x00", b"\x0e\x00\x01", b"\x10\x00",
    b"\x11\x00\x00", b"\x11\x01\x00", b"\x20\x00", b"\x21\x00", b"\x22\x01", b"\x23\x00", b"\x24\x00",
    b"\x25\x00", b"\x26\x00", b"\x28\x02\x00", b"\x29\x03\x04", b"\x2a\x02\x00", b"\x36\x02\x00",
    b"\x37\x04\x00", b"\x3a\x00\x00", b"\x3f\x00", b"\x40\x00", b"\x41\x00", b"\x41\x7f", b"\x42\x00",
    b"\x43\x00\x00\xc0\x7f", b"\x44" + b"\x00" * 6 + b"\xf8\x7f", b"\x45", b"\x46", b"\x50", b"\x6a",
    b"\x7c", b"\x92", b"\xa0", b"\xa7", b"\xad", b"\xb6", b"\xbc", b"\xc0", b"\xc4", b"\xd0\x70",
    b"\xd0\x6f", b"\xd1", b"\xd2\x00", b"\xfc\x00", b"\xfc\x07", b"\xfc\x08\x00\x00", b"\xfc\x09\x00",
    b"\xfc\x0a\x00\x00", b"\xfc\x0b\x00", b"\xfc\x0c\x00\x00", b"\xfc\x0d\x00", b"\xfc\x0e\x00\x00",
    b"\xfc\x0f\x00", b"\xfc\x10\x00", b"\xfc\x11\x00", b"\xfd\x0c" + bytes(16), b"\xfd\x00\x04\x00",
    b"\xfd\x0b\x04\x00", b"\xfd\x0f", b"\xfd\x15\x00", b"\xfd\x16\x0f", b"\xfd\x17\x10",
    b"\xfd\x0d" + bytes(range(16)), b"\xfd\x54\x00\x00\x00", b"\xfd\x5c\x02\x00", b"\xfd\x53",
    b"\xfd\x62", b"\xfd\x6e", b"\xfd\xae\x01", b"\xfd\xe4\x01", b"\xfd\xf8\x01", b"\xfd\xff\x01",
]


#: 3.0 instructions ``insn_mutate`` also inserts when the feature set has them: tail calls,
#: typed function references, exception handling (new and legacy), multi-memory memargs
#: (flag bit 6 then a memory index), memory64 addresses, relaxed SIMD, extended-const
#: arithmetic. Mostly well-formed, so that they stress the type checker.
_INSNS3 = [
    b"\x12\x00", b"\x13\x00\x00", b"\x13\x00\x01", b"\x14\x00", b"\x15\x00",        # return_call*, call_ref
    b"\xd4", b"\xd5\x00", b"\xd6\x00", b"\xd0\x00", b"\xd0\x73", b"\xd0\x69",           # ref.as_non_null, br_on_*
    b"\x08\x00", b"\x08\x01", b"\x0a",                                                     # throw, throw_ref
    b"\x1f\x40\x00", b"\x1f\x40\x01\x02\x00", b"\x1f\x7f\x01\x00\x00\x00",
    b"\x1f\x40\x02\x01\x00\x00\x03\x00", b"\x1f\x69\x01\x03\x00",                  # try_table, catch clauses
    b"\x06\x40", b"\x07\x00", b"\x19", b"\x09\x00", b"\x18\x00",                        # legacy try/catch/rethrow/delegate
    b"\x28\x42\x01\x00", b"\x36\x42\x01\x00", b"\x3f\x01", b"\x40\x01",             # memory 1 load/store/size/grow
    b"\x29\x43\x02\x08", b"\xfc\x0a\x01\x00", b"\xfc\x0a\x00\x02", b"\xfc\x0b\x01",
    b"\xfc\x08\x00\x01", b"\x42\x00\x28\x02\x00", b"\x42\x7f\x3f\x00",              # memory64-style addresses
    b"\xfd\x80\x02", b"\xfd\x81\x02", b"\xfd\x85\x02", b"\xfd\x89\x02", b"\xfd\x8d\x02",
    b"\xfd\x93\x02", b"\xfd\x94\x02", b"\xfd\x54\x40\x01\x00\x00",                  # relaxed SIMD, lane op mem 1
    b"\x6a", b"\x7c", b"\x6c", b"\x7e",
]


def _read_leb(data: bytes, pos: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        b = data[pos]
        pos += 1
        value |= (b & 0x7F) << shift
        shift += 7
        if b < 0x80:
            return value, pos


def insn_mutate(data: bytes, rng: random.Random, insns: Sequence[bytes] = _INSNS) -> bytes | None:
    """Insert one to three instructions from ``insns`` (default _INSNS) into one function body
    (or overwrite a byte with a one-byte opcode), re-encoding the body's and the code section's
    sizes; None if ``data`` has no code section this can parse."""
    try:
        pos = 8
        while pos < len(data):
            sid = data[pos]
            size, start = _read_leb(data, pos + 1)
            if sid == 10:
                break
            pos = start + size
        else:
            return None
        count, p = _read_leb(data, start)
        bodies = []
        for _ in range(count):
            n, q = _read_leb(data, p)
            bodies.append(bytearray(data[q:q + n]))
            p = q + n
        if not bodies or p != start + size:
            return None
        body = rng.choice(bodies)
        for _ in range(rng.choice([1, 1, 2, 3])):
            at = rng.randrange(1, len(body)) if len(body) > 1 else len(body)
            if rng.random() < 0.8:
                body[at:at] = rng.choice(insns)
            else:
                body[at - 1 if at == len(body) else at] = rng.choice([i[0] for i in insns if len(i) == 1])
        payload = common.uleb(len(bodies)) + b"".join(common.uleb(len(b)) + bytes(b) for b in bodies)
        return data[:pos] + b"\x0a" + common.uleb(len(payload)) + payload + data[start + size:]
    except IndexError:
        return None


def make_input(seed: int, index: int, fs: common.FeatureSet | None = None) -> bytes:
    """Input ``index`` of run ``seed`` with feature set ``fs`` (default wasm2; deterministic)."""
    rng = common.case_rng(seed, index, _purpose("decoder", fs))
    base = base_module(seed, index // GROUP, fs)
    insns = _INSNS if fs is None or fs.name == "wasm2" else _INSNS + _INSNS3
    r = rng.random()
    if r < 0.2:
        m = common.mutate(base, rng.getrandbits(32), preserve_semantics=rng.random() < 0.2)
        data = m if m is not None else byte_mutate(base, rng)
        if rng.random() < 0.3:
            data = byte_mutate(data, rng)
        return data
    if r < 0.25:
        return base                                   # unmutated (smith bases may be invalid)
    if r < 0.5:
        m = insn_mutate(base, rng, insns)
        if m is not None:
            return m
    return byte_mutate(base, rng)


# ------------------------------------------------------------------------------ worker
def _zero(t: Any) -> Any:
    return 0 if t in ("i32", "i64", "f32", "f64", "v128") else None


def _nullable(t: Any) -> bool:
    # a value type that has a default (numbers, vectors, nullable references)
    return getattr(t, "nullable", True)


def judge(data: bytes, features: str = "wasm2") -> dict[str, Any]:
    """What whisk does with ``data`` (run inside the worker) when it loads it with feature set
    ``features``: {'verdict': 'accept' | 'reject' | 'bad-exception', ...}. An accepted module is
    instantiated with stub imports and its exported functions are called with zero arguments
    (those with a non-nullable reference parameter are not called), under fuel and memory
    limits; any exception there that is not a whisk.WasmError is a 'bad-exception' too."""
    import whisk
    from whisk.types import FuncType, GlobalType, MemoryType, TableType
    tag_type = getattr(whisk, "TagType", None)
    try:
        module = whisk.Module(data, features=common.feature_set(features).whisk())
    except (whisk.DecodeError, whisk.ValidationError) as e:
        return {"verdict": "reject", "error": type(e).__name__, "message": str(e)[:300]}
    except BaseException as e:
        return {"verdict": "bad-exception", "stage": "load", "error": type(e).__name__,
                "message": str(e)[:300], "traceback": traceback.format_exc()[-3000:]}
    res: dict[str, Any] = {"verdict": "accept"}
    stage = "instantiate"
    try:
        imports: dict[str, dict[str, Any]] = {}
        skip = False
        for imp in module.imports:
            t = imp.type
            if isinstance(t, FuncType):
                ext: Any = whisk.Func(t, lambda *a, _r=t.results: (
                    tuple(_zero(x) for x in _r) if len(_r) > 1 else (_zero(_r[0]) if _r else None)))
            elif isinstance(t, TableType):
                if not _nullable(t.elem) or not isinstance(t.elem, str):
                    skip = True                 # (a typed table needs an initial value)
                    break
                ext = whisk.Table(t.elem, t.limits.min, t.limits.max,
                                  address_type=getattr(t, "address", "i32"))
            elif isinstance(t, MemoryType):
                try:
                    ext = whisk.Memory(t.limits.min, t.limits.max, WORKER_MEMORY,
                                       address_type=getattr(t, "address", "i32"))
                except (MemoryError, ValueError, whisk.ResourceError):
                    skip = True
                    break
            elif isinstance(t, GlobalType):
                if not _nullable(t.valtype):
                    skip = True
                    break
                ext = whisk.Global(t.valtype, _zero(t.valtype), t.mutable)
            elif tag_type is not None and isinstance(t, tag_type):
                ext = whisk.Tag(t.type)
            else:
                skip = True
                break
            imports.setdefault(imp.module, {})[imp.name] = ext
        if skip:
            res["instance"] = "skipped"
            return res
        store = whisk.Store(fuel=WORKER_FUEL, max_memory_bytes=WORKER_MEMORY)
        try:
            inst = whisk.Instance(module, imports, store=store)
        except whisk.WasmError as e:
            res["instance"] = f"{type(e).__name__}: {str(e)[:100]}"
            return res
        res["instance"] = "ok"
        stage = "call"
        calls = 0
        for name, x in inst.exports.items():
            if isinstance(x, whisk.Func):
                if not all(_nullable(p) for p in x.type.params):
                    continue
                store.fuel = WORKER_FUEL
                try:
                    x.call_bits(*(_zero(p) for p in x.type.params), timeout=2.0)
                except whisk.WasmError:
                    pass
                calls += 1
            elif isinstance(x, whisk.Memory):
                len(x)
                bytes(memoryview(x)[:64])
            elif isinstance(x, whisk.Table):
                for i in range(min(len(x), 16)):
                    x[i]
            elif isinstance(x, whisk.Global):
                x.value_bits
        res["calls"] = calls
    except BaseException as e:
        return {"verdict": "bad-exception", "stage": stage, "error": type(e).__name__,
                "message": str(e)[:300], "traceback": traceback.format_exc()[-3000:]}
    return res


def worker_main(features: str = "wasm2") -> int:
    """The worker loop: read length-prefixed inputs on stdin, answer one JSON line each (whisk
    loads them with feature set ``features``)."""
    inp = sys.stdin.buffer
    out = sys.stdout
    import whisk  # noqa: F401  (import before the first input, so timeouts measure work)
    out.write("ready\n")
    out.flush()
    while True:
        head = inp.read(4)
        if len(head) < 4:
            return 0
        (n,) = struct.unpack("<I", head)
        data = inp.read(n)
        out.write(json.dumps(judge(data, features)) + "\n")
        out.flush()


class Worker:
    """A whisk worker subprocess: ``judge(data, timeout)`` returns its verdict dict, or
    {'verdict': 'crash', ...} / {'verdict': 'hang'} (and the worker is restarted). Replies are
    read by a thread into a queue, so the timeout works on every platform (``select`` does not
    take pipes on Windows)."""

    def __init__(self, features: str = "wasm2") -> None:
        self.features = features
        self.proc: subprocess.Popen[bytes] | None = None
        self.replies: queue.Queue[bytes | None] = queue.Queue()

    def start(self) -> None:
        """Start (or restart) the worker process."""
        self.stop()
        self.proc = subprocess.Popen([sys.executable, os.path.abspath(__file__), "--worker",
                                      "--features", self.features],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE)
        self.replies = queue.Queue()
        threading.Thread(target=self._read, args=(self.proc.stdout, self.replies),
                         daemon=True).start()
        try:
            line = self.replies.get(timeout=120)
        except queue.Empty:
            line = None
        if line is None or line.strip() != b"ready":
            self.stop()
            raise RuntimeError(f"the whisk worker did not start: {line!r}")

    @staticmethod
    def _read(stream: Any, replies: queue.Queue[bytes | None]) -> None:
        for line in iter(stream.readline, b""):
            replies.put(line)
        replies.put(None)                       # end of file: the worker is gone

    def stop(self) -> None:
        """Stop the worker process (if running)."""
        if self.proc is not None:
            try:
                self.proc.kill()
                self.proc.wait(5)
            except Exception:
                pass
            for stream in (self.proc.stdin, self.proc.stdout, self.proc.stderr):
                try:
                    stream.close()  # type: ignore[union-attr]
                except Exception:
                    pass
            self.proc = None

    def judge(self, data: bytes, timeout: float = INPUT_TIMEOUT) -> dict[str, Any]:
        """Send one input and wait for the verdict at most ``timeout`` seconds."""
        if self.proc is None or self.proc.poll() is not None:
            self.start()
        assert self.proc is not None and self.proc.stdin
        try:
            self.proc.stdin.write(struct.pack("<I", len(data)) + data)
            self.proc.stdin.flush()
        except (BrokenPipeError, OSError):
            pass
        try:
            line = self.replies.get(timeout=timeout)
        except queue.Empty:
            self.stop()
            return {"verdict": "hang", "timeout": timeout}
        if line is None:
            proc = self.proc
            rc = proc.wait(5)
            err = proc.stderr.read().decode("utf-8", "replace") if proc.stderr else ""
            self.stop()
            return {"verdict": "crash", "returncode": rc, "stderr": err[-3000:]}
        return json.loads(line)


# ------------------------------------------------------------------------------ limit probes
def _vec(items: list[bytes]) -> bytes:
    return common.uleb(len(items)) + b"".join(items)


def _name(s: bytes) -> bytes:
    return common.uleb(len(s)) + s


_HEADER = b"\0asm\1\0\0\0"
_TYPE0 = common.section(1, b"\x01\x60\x00\x00")


def _one_func(body: bytes, local_decls: bytes = b"\x00") -> bytes:
    code = local_decls + body + b"\x0b"
    return _HEADER + _TYPE0 + common.section(3, b"\x01\x00") + common.section(10, b"\x01" + common.uleb(len(code)) + code)


#: Module families with one size parameter ``n``: each has a limit in wasmparser (the limits of
#: the JS API, which wasmtime and the browsers share), and a large ``n`` shows how whisk's
#: loading time grows.
LIMIT_FAMILIES: dict[str, tuple[Any, tuple[int, ...]]] = {
    "params": (lambda n: _HEADER + common.section(1, b"\x01\x60" + common.uleb(n) + b"\x7f" * n + b"\x00"), (1000, 1001)),
    "results": (lambda n: _HEADER + common.section(1, b"\x01\x60\x00" + common.uleb(n) + b"\x7f" * n), (1000, 1001)),
    "locals": (lambda n: _one_func(b"", b"\x01" + common.uleb(n) + b"\x7f"), (50000, 50001)),
    "types": (lambda n: _HEADER + common.section(1, _vec([b"\x60\x00\x00"] * n)), (1000000, 1000001)),
    "globals": (lambda n: _HEADER + common.section(6, _vec([b"\x7f\x00\x41\x00\x0b"] * n)), (1000000, 1000001)),
    "tables": (lambda n: _HEADER + common.section(4, _vec([b"\x70\x00\x00"] * n)), (100000, 100001)),
    "data-segments": (lambda n: _HEADER + common.section(5, b"\x01\x00\x01") + common.section(11, _vec([b"\x01\x00"] * n)),
                      (100000, 100001)),
    "elem-segments": (lambda n: _HEADER + common.section(9, _vec([b"\x05\x70\x00"] * n)), (100000, 100001)),
    "elem-items": (lambda n: _HEADER + common.section(9, b"\x01\x05\x70" + common.uleb(n) + b"\xd0\x70\x0b" * n),
                   (10000000, 10000001)),
    "imports": (lambda n: _HEADER + _TYPE0 + common.section(2, _vec([_name(b"m") + _name(str(i).encode()) + b"\x00\x00"
                                                            for i in range(n)])), (100000, 1000001)),
    "exports": (lambda n: _HEADER + _TYPE0 + common.section(3, b"\x01\x00")
                + common.section(7, _vec([_name(str(i).encode()) + b"\x00\x00" for i in range(n)]))
                + common.section(10, b"\x01\x02\x00\x0b"), (100000, 1000001)),
    "name-bytes": (lambda n: _HEADER + common.section(0, _name(b"a" * n)), (100000, 100001)),
    "br_table": (lambda n: _one_func(b"\x41\x00\x0e" + common.uleb(n) + b"\x00" * (n + 1)), (100000, 200000)),
    "block-depth": (lambda n: _one_func(b"\x02\x40" * n + b"\x0b" * n), (100000, 300000)),
    "functions": (lambda n: _HEADER + _TYPE0 + common.section(3, _vec([b"\x00"] * n))
                  + common.section(10, _vec([b"\x02\x00\x0b"] * n)), (100000, 400000)),
}


def limit_probes(worker: Worker | None = None, timeout: float = 120.0,
                 log: Any = None) -> list[tuple[str, int, str | None, float]]:
    """Judge each LIMIT_FAMILIES module at its sizes against ``wasm-tools validate``; returns
    (family, n, finding or None, seconds whisk took)."""
    own = worker is None
    worker = worker or Worker()
    out = []
    try:
        for family, (build, sizes) in LIMIT_FAMILIES.items():
            for n in sizes:
                data = build(n)
                t0 = time.time()
                v = worker.judge(data, timeout)
                took = time.time() - t0
                ref = common.validate_one(data)
                kind = finding_of(v, ref)
                out.append((family, n, kind, took))
                if log:
                    print(f"{family:14} {n:>9} {took:6.2f}s {kind or 'agree'}: whisk {v['verdict']}; "
                          f"wasm-tools {'valid' if ref is None else ref.splitlines()[-1][:70]}",
                          file=log, flush=True)
    finally:
        if own:
            worker.stop()
    return out


# ------------------------------------------------------------------------------ campaign
def finding_of(verdict: dict[str, Any], reference: str | None) -> str | None:
    """The problem with whisk's ``verdict`` given wasm-tools' ``reference`` (None = valid), or
    None when they agree."""
    v = verdict["verdict"]
    if v in ("crash", "hang", "bad-exception"):
        return v
    if v == "accept" and reference is not None:
        return "accepts-invalid"
    if v == "reject" and reference is None:
        return "rejects-valid"
    return None


def save_finding(data: bytes, kind: str, verdict: dict[str, Any], reference: str | None,
                 note: str, directory: str, features: str = "wasm2") -> str:
    """Save ``data`` as ``dec-<hash>.wasm`` with a ``.txt`` note; returns the .wasm path. The
    note's line ``features: <set>`` says which feature set replays it (absent: wasm2)."""
    os.makedirs(directory, exist_ok=True)
    name = f"dec-{common.digest(data)}"
    path = os.path.join(directory, name + ".wasm")
    with open(path, "wb") as f:
        f.write(data)
    with open(os.path.join(directory, name + ".txt"), "w") as f:
        f.write(f"decoder finding ({kind}): whisk {json.dumps(verdict)[:1500]}\n"
                f"wasm-tools validate --features {common.feature_set(features).validate}: "
                f"{'valid' if reference is None else reference[:500]}\n{note}\n"
                f"features: {features}\n")
    return path


def gc_types_accepted(data: bytes, fs: common.FeatureSet) -> bool:
    """Whether ``data``, which whisk accepts with ``fs`` and wasm-tools rejects, is the
    documented difference (see the module docstring): ``fs`` has typed function references and
    the module is valid once ``gc`` is added to the oracle's features."""
    return "function_references" in fs.features and \
        common.validate_one(data, fs.validate + ",gc") is None


def reduce_bytes(data: bytes, still: Any, budget: int = 400) -> bytes:
    """Shrink ``data`` by deleting chunks (halving the chunk size down to one byte) while
    ``still(candidate)`` holds; at most ``budget`` calls of ``still``."""
    chunk = max(1, len(data) // 2)
    while chunk >= 1 and budget > 0:
        i = 8 if len(data) > 8 else 0
        changed = False
        while i < len(data) and budget > 0:
            cand = data[:i] + data[i + chunk:]
            budget -= 1
            if cand and still(cand):
                data, changed = cand, True
            else:
                i += chunk
        if not changed:
            chunk //= 2
    return data


def run_campaign(seed: int, count: int, keep: str | None = None, save_dir: str | None = None,
                 log: Any = None, start: int = 0, reduce: bool = True,
                 features: str = "wasm2") -> dict[str, Any]:
    """Judge inputs ``start .. start+count-1`` of run ``seed`` with feature set ``features``;
    returns a summary dict (counts of accepted/rejected inputs, instantiated modules, findings
    as (index, kind, path); rejections that are instances of a saved open finding,
    ``differential.known_open``, are counted in ``known_open`` instead)."""
    fs = common.feature_set(features)
    stats: dict[str, Any] = {"seed": seed, "count": count, "features": features,
                             "validate": fs.validate, "accepted": 0, "rejected": 0,
                             "instantiated": 0, "findings": []}
    if fs.missing:
        stats["not_implemented"] = fs.missing
    worker = Worker(features)
    worker.start()
    t0 = time.time()
    try:
        for b0 in range(start, start + count, BATCH):
            idx = list(range(b0, min(b0 + BATCH, start + count)))
            inputs = [make_input(seed, i, fs) for i in idx]
            if keep:
                os.makedirs(keep, exist_ok=True)
                for i, d in zip(idx, inputs):
                    with open(os.path.join(keep, f"{seed}-{i}.wasm"), "wb") as f:
                        f.write(d)
            refs = common.validate_many(inputs, fs.validate)
            for i, data, ref in zip(idx, inputs, refs):
                v = worker.judge(data)
                if v["verdict"] == "hang":          # confirm with a generous timeout
                    v = worker.judge(data, HANG_CONFIRM)
                kind = finding_of(v, ref)
                if kind in ("accepts-invalid", "rejects-valid"):
                    ref = common.validate_one(data, fs.validate)  # confirm with `validate` itself
                    kind = finding_of(v, ref)
                if kind == "accepts-invalid" and gc_types_accepted(data, fs):
                    stats["gc_types_accepted"] = stats.get("gc_types_accepted", 0) + 1
                    kind = None
                if kind == "rejects-valid" and v.get("error") == "ValidationError":
                    import differential              # (its known_open: saved open findings)
                    known = differential.known_open(data, ("load", v.get("message", "")), fs=fs)
                    if known is not None:
                        stats.setdefault("known_open", {})
                        stats["known_open"][known] = stats["known_open"].get(known, 0) + 1
                        kind = None
                if v["verdict"] == "accept":
                    stats["accepted"] += 1
                    stats["instantiated"] += v.get("instance") == "ok"
                elif v["verdict"] == "reject":
                    stats["rejected"] += 1
                if kind is None:
                    continue
                small = data
                if reduce and kind in ("accepts-invalid", "rejects-valid", "bad-exception"):
                    def still(c: bytes, kind: str = kind) -> bool:
                        vv = worker.judge(c)
                        if kind == "bad-exception":
                            return vv["verdict"] == "bad-exception" and \
                                vv.get("error") == v.get("error")
                        return finding_of(vv, common.validate_one(c, fs.validate)) == kind
                    small = reduce_bytes(data, still)
                    v = worker.judge(small)
                    ref = common.validate_one(small, fs.validate)
                path = None
                if save_dir:
                    path = save_finding(small, kind, v, ref, f"from: decoder.py --features {features} "
                                        f"--seed {seed}, input {i} ({len(data)} bytes before "
                                        f"reducing)", save_dir, features)
                stats["findings"].append((i, kind, path))
                if log:
                    print(f"FINDING input {i}: {kind}: {json.dumps(v)[:300]} ref={ref and ref[:200]} -> {path}",
                          file=log, flush=True)
            if log:
                el = time.time() - t0
                n = idx[-1] - start + 1
                print(f"[{n}/{count}] {el:.0f}s {n / el:.0f}/s accepted={stats['accepted']} "
                      f"findings={len(stats['findings'])}", file=log, flush=True)
    finally:
        worker.stop()
    stats["seconds"] = round(time.time() - t0, 1)
    return stats


def check_files(paths: Sequence[str], features: str = "wasm2") -> int:
    """Judge each file (with feature set ``features``) and print whisk's verdict next to
    wasm-tools'; exit status 1 if any disagrees."""
    worker = Worker(features)
    bad = 0
    try:
        for p in paths:
            with open(p, "rb") as f:
                data = f.read()
            ref = common.validate_one(data, common.feature_set(features).validate)
            v = worker.judge(data)
            kind = finding_of(v, ref)
            if kind == "accepts-invalid" and gc_types_accepted(data, common.feature_set(features)):
                kind = None                      # the documented GC-types difference
            bad += kind is not None
            print(f"{p}: {kind or 'agree'}: whisk {json.dumps(v)[:300]}; wasm-tools "
                  f"{'valid' if ref is None else ref.splitlines()[-1]}")
    finally:
        worker.stop()
    return 1 if bad else 0


def main(argv: Sequence[str] | None = None) -> int:
    """Command line entry point (see the module docstring)."""
    p = common.campaign_parser(__doc__, 1000, "input")
    p.add_argument("--no-reduce", action="store_true")
    p.add_argument("--check", nargs="+", metavar="FILE")
    p.add_argument("--limits", action="store_true",
                   help="judge modules at and past wasmparser's implementation limits")
    p.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    a = p.parse_args(argv)
    if a.worker:
        return worker_main(a.features)
    if a.check:
        return check_files(a.check, a.features)
    if a.limits:
        found = limit_probes(log=sys.stdout)
        return 1 if any(k for _, _, k, _ in found) else 0
    return common.report_campaign(
        run_campaign(a.seed, a.count, a.keep, a.save, sys.stderr, a.start, not a.no_reduce,
                     a.features))


if __name__ == "__main__":
    sys.exit(main())
