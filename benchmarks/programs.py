"""The real programs of the suite (``run.py --suite``): WASI commands built by ``build_suite.sh``
into ``suite/``, run to completion on each engine with their output checked.

Each program's time is the CPU time (``time.process_time``) of one whole run: decoding (and,
for wasmtime, compiling), instantiation and ``_start``; the load part (building the module
object: ``whisk.Module``, ``wasmtime.Module``, wasm3's ``parse_module`` + ``load``) is also
reported on its own. pywasm3 has no WASI, so wasm3 runs them
through ``Wasm3Wasi``, a minimal WASI preview 1 written here on its ``link_function`` (args,
environment, stdin/stdout/stderr, clocks, exit; every other call fails with ENOSYS/EBADF).
"""

from __future__ import annotations

import gzip
import io
import os
import struct
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from engines import ENGINES

SUITE_DIR = Path(__file__).resolve().parent / "suite"


class OutputError(AssertionError):
    """A program's output lacked a line it must print, or it exited with a non-zero status."""


@dataclass(frozen=True)
class Program:
    """A WASI command: its file in ``suite/``, argv after argv[0], stdin file, environment, and
    the substrings its stdout must contain. ``work`` is the number of iterations a run does (for
    a rate such as CoreMark's iterations/s), or 0."""

    name: str
    what: str
    file: str
    args: tuple[str, ...] = ()
    stdin: str = ""
    env: dict[str, str] = field(default_factory=dict)
    expect: tuple[str, ...] = ()
    work: int = 0

    def wasm(self) -> bytes | None:
        """The module binary (from ``FILE`` or ``FILE.gz``), or None if it was not built."""
        path = SUITE_DIR / self.file
        if path.exists():
            return path.read_bytes()
        gz = path.with_name(path.name + ".gz")
        return gzip.decompress(gz.read_bytes()) if gz.exists() else None

    def stdin_bytes(self) -> bytes:
        """What the program reads on stdin."""
        return (SUITE_DIR / self.stdin).read_bytes() if self.stdin else b""

    def check(self, engine: str, status: int, out: bytes) -> None:
        """Raise ``OutputError`` unless the run exited 0 and printed every expected line."""
        text = out.decode("utf-8", "replace")
        missing = [e for e in self.expect if e not in text]
        if status != 0 or missing:
            raise OutputError(f"{self.name} on {engine}: exit status {status}, missing {missing}; "
                              f"output:\n{text[-2000:]}")


COREMARK_ITERATIONS = 400
PROGRAMS = [
    # The performance-run seeds 0,0,0x66 (2K data); the per-algorithm CRCs are CoreMark's known
    # values for them; crcfinal depends on the iteration count. A run this short prints
    # "ERROR! Must execute for at least 10 secs" and so "Errors detected" rather than "Correct
    # operation validated": the CRC lines are the correctness check.
    Program("coremark", f"CoreMark 1.0 (posix port), {COREMARK_ITERATIONS} iterations",
            "coremark.wasm", ("0", "0", "0x66", str(COREMARK_ITERATIONS)),
            expect=("seedcrc          : 0xe9f5", "[0]crclist       : 0xe714",
                    "[0]crcmatrix     : 0x1fd7", "[0]crcstate      : 0x8e3a",
                    "[0]crcfinal      : 0x25b5"),
            work=COREMARK_ITERATIONS),
    Program("lua", "Lua 5.5 running bench.lua (recursion, strings, sort, tables)",
            "lua.wasm", ("-",), stdin="bench.lua", env={"BENCH_N": "1"},
            expect=("fib\t10946\n", "strings\t401961103\n", "sort\ttrue\t8246\t1073811337\t2147403034\n",
                    "tables\t997\t300000\n")),
    Program("quickjs", "QuickJS running bench.js (recursion, strings, sort, Map, regexp)",
            "quickjs.wasm", stdin="bench.js",
            expect=("fib 6765\n", "strings 252818824\n", "sort true 20736 1048397568 2147470080\n",
                    "maps 997 150003\n", "regexp 600 16\n")),
]
BY_NAME = {p.name: p for p in PROGRAMS}


def run_whisk(program: Program, wasm: bytes) -> tuple[int, bytes, float]:
    """Run on whisk (``whisk.run``); the exit status, stdout and the load's CPU seconds."""
    import whisk
    out = io.BytesIO()
    start = time.process_time()
    module = whisk.Module(wasm)
    load = time.process_time() - start
    status = whisk.run(module, list(program.args), argv0=program.name, env=program.env,
                       stdin=program.stdin_bytes(), stdout=out, stderr=io.BytesIO())
    return status, out.getvalue(), load


def run_wasmtime(program: Program, wasm: bytes) -> tuple[int, bytes, float]:
    """Run on wasmtime-py (its WASI; stdin/stdout through temporary files)."""
    import wasmtime
    with tempfile.TemporaryDirectory() as tmp:
        stdin, stdout = os.path.join(tmp, "in"), os.path.join(tmp, "out")
        Path(stdin).write_bytes(program.stdin_bytes())
        config = wasmtime.WasiConfig()
        config.argv = [program.name, *program.args]
        config.env = list(program.env.items())
        config.stdin_file, config.stdout_file = stdin, stdout
        engine = wasmtime.Engine()
        store = wasmtime.Store(engine)
        store.set_wasi(config)
        linker = wasmtime.Linker(engine)
        linker.define_wasi()
        start = time.process_time()
        module = wasmtime.Module(engine, wasm)
        load = time.process_time() - start
        instance = linker.instantiate(store, module)
        try:
            instance.exports(store)["_start"](store)
            status = 0
        except wasmtime.ExitTrap as exit_:
            status = exit_.code
        return status, Path(stdout).read_bytes(), load


class _Exit(Exception):
    """proc_exit in Wasm3Wasi."""

    def __init__(self, code: int):
        super().__init__(code)
        self.code = code


class Wasm3Wasi:
    """Just enough WASI preview 1 for the suite's programs on pywasm3 (which has none).

    ``link(module)`` links every ``wasi_snapshot_preview1`` function a program may import;
    ``bind(runtime)`` gives it the memory. Errno values are WASI's (8 EBADF, 52 ENOSYS)."""

    EBADF, ENOSYS = 8, 52

    def __init__(self, argv: list[str], env: dict[str, str], stdin: bytes):
        self.args = [a.encode() + b"\0" for a in argv]
        self.environ = [f"{k}={v}".encode() + b"\0" for k, v in env.items()]
        self.stdin = io.BytesIO(stdin)
        self.out = {1: io.BytesIO(), 2: io.BytesIO()}
        self.runtime = None

    def mem(self):
        return self.runtime.get_memory(0)

    def _put_strings(self, strings: list[bytes], ptrs: int, buf: int) -> int:
        m = self.mem()
        for s in strings:
            struct.pack_into("<I", m, ptrs, buf)
            m[buf:buf + len(s)] = s
            ptrs, buf = ptrs + 4, buf + len(s)
        return 0

    def _sizes(self, strings: list[bytes], count_ptr: int, size_ptr: int) -> int:
        m = self.mem()
        struct.pack_into("<I", m, count_ptr, len(strings))
        struct.pack_into("<I", m, size_ptr, sum(map(len, strings)))
        return 0

    def fd_write(self, fd, iovs, count, nwritten):
        if fd not in self.out:
            return self.EBADF
        m, total = self.mem(), 0
        for i in range(count):
            ptr, size = struct.unpack_from("<II", m, iovs + 8 * i)
            self.out[fd].write(bytes(m[ptr:ptr + size]))
            total += size
        struct.pack_into("<I", m, nwritten, total)
        return 0

    def fd_read(self, fd, iovs, count, nread):
        if fd != 0:
            return self.EBADF
        m, total = self.mem(), 0
        for i in range(count):
            ptr, size = struct.unpack_from("<II", m, iovs + 8 * i)
            data = self.stdin.read(size)
            m[ptr:ptr + len(data)] = data
            total += len(data)
            if len(data) < size:
                break
        struct.pack_into("<I", m, nread, total)
        return 0

    def fd_fdstat_get(self, fd, ptr):
        if fd > 2:
            return self.EBADF
        m = self.mem()
        m[ptr:ptr + 24] = bytes(24)
        m[ptr] = 2  # character device
        struct.pack_into("<QQ", m, ptr + 8, (1 << 64) - 1, (1 << 64) - 1)
        return 0

    def clock_time_get(self, clock_id, precision, ptr):
        ns = time.time_ns() if clock_id == 0 else time.perf_counter_ns() if clock_id == 1 \
            else time.process_time_ns()
        struct.pack_into("<Q", self.mem(), ptr, ns)
        return 0

    def clock_res_get(self, clock_id, ptr):
        struct.pack_into("<Q", self.mem(), ptr, 1000)
        return 0

    def proc_exit(self, code):
        raise _Exit(code)

    def link(self, module) -> None:
        """Link the WASI functions into ``module`` (imports it lacks are skipped)."""
        ns = "wasi_snapshot_preview1"
        funcs = {
            "args_get": ("i(ii)", lambda p, b: self._put_strings(self.args, p, b)),
            "args_sizes_get": ("i(ii)", lambda c, s: self._sizes(self.args, c, s)),
            "environ_get": ("i(ii)", lambda p, b: self._put_strings(self.environ, p, b)),
            "environ_sizes_get": ("i(ii)", lambda c, s: self._sizes(self.environ, c, s)),
            "clock_time_get": ("i(iIi)", self.clock_time_get),
            "clock_res_get": ("i(ii)", self.clock_res_get),
            "fd_write": ("i(iiii)", self.fd_write),
            "fd_read": ("i(iiii)", self.fd_read),
            "fd_fdstat_get": ("i(ii)", self.fd_fdstat_get),
            "fd_fdstat_set_flags": ("i(ii)", lambda fd, f: self.ENOSYS),
            "fd_close": ("i(i)", lambda fd: 0),
            "fd_prestat_get": ("i(ii)", lambda fd, p: self.EBADF),
            "fd_prestat_dir_name": ("i(iii)", lambda fd, p, n: self.EBADF),
            "fd_renumber": ("i(ii)", lambda a, b: self.EBADF),
            "fd_seek": ("i(iIii)", lambda fd, off, wh, p: self.ENOSYS),
            "path_open": ("i(iiiiiIIii)", lambda *a: self.ENOSYS),
            "path_remove_directory": ("i(iii)", lambda *a: self.ENOSYS),
            "path_rename": ("i(iiiiii)", lambda *a: self.ENOSYS),
            "path_unlink_file": ("i(iii)", lambda *a: self.ENOSYS),
            "proc_exit": ("v(i)", self.proc_exit),
        }
        for name, (signature, function) in funcs.items():
            try:
                module.link_function(ns, name, signature, function)
            except RuntimeError:
                pass  # not imported by this module


def run_wasm3(program: Program, wasm: bytes) -> tuple[int, bytes, float]:
    """Run on wasm3 (pywasm3) with ``Wasm3Wasi``."""
    import wasm3
    wasi = Wasm3Wasi([program.name, *program.args], program.env, program.stdin_bytes())
    env = wasm3.Environment()
    runtime = env.new_runtime(1 << 20)
    start = time.process_time()
    module = env.parse_module(wasm)
    runtime.load(module)
    load = time.process_time() - start
    wasi.runtime = runtime
    wasi.link(module)
    try:
        runtime.find_function("_start")()
        status = 0
    except _Exit as exit_:
        status = exit_.code
    except RuntimeError as error:           # pywasm3 reports a host exception as a trap
        if not isinstance(error.__cause__ or error.__context__, _Exit):
            raise
        status = (error.__cause__ or error.__context__).code
    return status, wasi.out[1].getvalue(), load


RUNNERS = {"whisk": run_whisk, "wasm3": run_wasm3, "wasmtime": run_wasmtime}


def _median(values: list[float]) -> float | None:
    return sorted(values)[len(values) // 2] if values else None


def bench_program(program: Program, engines: list[str], repeat: int) -> dict[str, dict[str, float | None]]:
    """Median CPU seconds of a whole run of ``program`` on each engine (engines alternating in
    each round), every run's output checked, as ``{"run": {engine: s}, "load": {engine: s}}``;
    None for an engine without a runner or when the program was not built."""
    wasm = program.wasm()
    runnable = [e for e in engines if e in RUNNERS and ENGINES[e].available()] if wasm else []
    samples: dict[str, list[float]] = {e: [] for e in runnable}
    loads: dict[str, list[float]] = {e: [] for e in runnable}
    for _ in range(repeat):
        for engine in runnable:
            start = time.process_time()
            status, out, load = RUNNERS[engine](program, wasm)
            samples[engine].append(time.process_time() - start)
            loads[engine].append(load)
            program.check(engine, status, out)
    return {"run": {e: _median(samples.get(e, [])) for e in engines},
            "load": {e: _median(loads.get(e, [])) for e in engines}}
