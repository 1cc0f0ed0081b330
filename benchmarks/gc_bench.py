"""binary-trees on the WebAssembly 3.0 GC: whisk against wasmtime, CPU time and peak RSS.

``benchmarks/gc/binary_trees.wasm`` (built from ``binary_trees.wat`` by ``wasm-tools parse``)
allocates every tree node as a GC struct (``struct.new``) and never frees one: the engine's
collector must reclaim the short-lived trees. This script

1. checks the output: ``_start`` (WASI, N from argv[1]) on whisk (``whisk.run``) and on
   wasmtime (wasmtime-py with ``Config.wasm_gc``; the ``wasmtime`` CLI equivalent is
   ``wasmtime run -W gc=y,function-references=y binary_trees.wasm N``, run too if a ``wasmtime``
   executable is on PATH) prints the same lines as :func:`reference` (and ``python -m whisk run``
   the same, in a subprocess);
2. times ``run(N)`` (the same work without output; returns the sum of the check values) on each
   engine in turn, ``--repeat`` rounds, CPU time (``time.process_time``) of the call only,
   instantiation excluded; prints per engine the median and the ratio whisk/wasmtime;
3. peak RSS over a long run: for each engine a fresh subprocess calls ``run(N)`` ``--rounds``
   times in one instance and prints VmRSS and VmHWM (``/proc/self/status``, KiB) after each
   round; flat figures mean the collector reclaims what the rounds allocate;
4. with ``--limit-check``: ``run(N)`` in a store with a small ``max_memory_bytes`` must end in a
   ``whisk`` error (a trap), not a crash of the process (run in a subprocess; the exit status
   and the error are printed).

Usage::

    python benchmarks/gc_bench.py [--depth 14] [--repeat 5] [--rounds 30] [--rss-depth 14]
                                  [--engines whisk,wasmtime] [--limit-check] [--quick]

Engines that are not installed (or a whisk without GC: its ``whisk.Module`` refuses the module)
are reported as "n/a".
"""

from __future__ import annotations

import argparse
import io
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from typing import Any, Callable

HERE = os.path.dirname(os.path.abspath(__file__))
WAT = os.path.join(HERE, "gc", "binary_trees.wat")
WASM = os.path.join(HERE, "gc", "binary_trees.wasm")
MIN_DEPTH = 4


# ------------------------------------------------------------------------------ the reference
def reference(n: int) -> tuple[list[str], int]:
    """The Benchmarks Game's binary-trees in plain Python, on real trees (a node is a
    ``(left, right)`` tuple, a leaf ``(None, None)``): the lines ``_start`` prints for argument
    ``n`` (without newlines) and the value ``run(n)`` returns (every check summed, mod 2^32)."""
    def bottom_up(depth: int) -> tuple:
        if depth == 0:
            return (None, None)
        return (bottom_up(depth - 1), bottom_up(depth - 1))

    def check(tree: tuple) -> int:
        left, right = tree
        return 1 if left is None else 1 + check(left) + check(right)

    max_depth = max(MIN_DEPTH + 2, n)
    lines = []
    c = check(bottom_up(max_depth + 1))
    total = c
    lines.append(f"stretch tree of depth {max_depth + 1}\t check: {c}")
    long_lived = bottom_up(max_depth)
    for d in range(MIN_DEPTH, max_depth + 1, 2):
        iterations = 1 << (max_depth - d + MIN_DEPTH)
        c = sum(check(bottom_up(d)) for _ in range(iterations))
        total += c
        lines.append(f"{iterations}\t trees of depth {d}\t check: {c}")
    c = check(long_lived)
    lines.append(f"long lived tree of depth {max_depth}\t check: {c}")
    return lines, (total + c) & 0xFFFFFFFF


def reference_sum(n: int) -> int:
    """``run(n)``'s value in closed form (a tree of depth d has 2^(d+1) - 1 nodes), for depths
    too large for :func:`reference`."""
    max_depth = max(MIN_DEPTH + 2, n)
    nodes = lambda d: (1 << (d + 1)) - 1  # noqa: E731
    total = nodes(max_depth + 1) + nodes(max_depth)
    for d in range(MIN_DEPTH, max_depth + 1, 2):
        total += (1 << (max_depth - d + MIN_DEPTH)) * nodes(d)
    return total & 0xFFFFFFFF


def wasm_bytes() -> bytes:
    """The committed binary."""
    with open(WASM, "rb") as f:
        return f.read()


# ------------------------------------------------------------------------------ whisk
def whisk_unsupported() -> str | None:
    """None if this whisk loads the benchmark, else why not (its error message)."""
    import whisk
    try:
        whisk.Module(wasm_bytes())
    except whisk.WasmError as e:
        return f"{type(e).__name__}: {e}"
    return None


def whisk_output(n: int) -> str:
    """What ``_start`` prints on whisk (``whisk.run``) with argument ``n``."""
    import whisk
    out = io.BytesIO()
    whisk.run(WASM, [str(n)], argv0="binary_trees.wasm", stdout=out)
    return out.getvalue().decode()


def whisk_cli_output(n: int) -> str:
    """What ``python -m whisk run binary_trees.wasm n`` prints (a subprocess of this Python,
    with this process's ``sys.path`` so that the same whisk is run)."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
    proc = subprocess.run([sys.executable, "-m", "whisk", "run", WASM, str(n)],
                          capture_output=True, env=env, timeout=600)
    if proc.returncode != 0:
        raise RuntimeError(f"python -m whisk run failed ({proc.returncode}): "
                           f"{proc.stderr.decode(errors='replace').strip()}")
    return proc.stdout.decode()


def whisk_run(store: Any = None) -> Callable[[int], int]:
    """An instance of the benchmark on whisk (WASI imports bound, ``store`` or a new one); its
    ``run`` export as ``run(n) -> int`` (unsigned)."""
    import whisk
    from whisk.run import instantiate_wasi
    from whisk.wasi import WasiConfig
    instance, _env = instantiate_wasi(whisk.Module(wasm_bytes()),
                                      WasiConfig(argv=("binary_trees.wasm",)), store)
    run = instance.exports["run"]
    return lambda n: run(n) & 0xFFFFFFFF


# ------------------------------------------------------------------------------ wasmtime
def wasmtime_engine() -> Any:
    """A wasmtime Engine with GC (and typed function references, which GC needs) enabled."""
    import wasmtime
    cfg = wasmtime.Config()
    cfg.wasm_gc = True
    cfg.wasm_function_references = True
    return wasmtime.Engine(cfg)


def _wasmtime_instance(argv: list[str], stdout_path: str | None = None) -> tuple[Any, Any]:
    import wasmtime
    engine = wasmtime_engine()
    module = wasmtime.Module(engine, wasm_bytes())
    linker = wasmtime.Linker(engine)
    linker.define_wasi()
    store = wasmtime.Store(engine)
    wasi = wasmtime.WasiConfig()
    wasi.argv = argv
    if stdout_path is not None:
        wasi.stdout_file = stdout_path
    store.set_wasi(wasi)
    return store, linker.instantiate(store, module)


def wasmtime_output(n: int) -> str:
    """What ``_start`` prints on wasmtime-py (WASI, GC enabled) with argument ``n``."""
    with tempfile.TemporaryDirectory(prefix="gc-bench-") as tmp:
        path = os.path.join(tmp, "stdout")
        store, inst = _wasmtime_instance(["binary_trees.wasm", str(n)], path)
        inst.exports(store)["_start"](store)
        with open(path, "rb") as f:
            return f.read().decode()


def wasmtime_cli_output(n: int) -> str | None:
    """What the wasmtime CLI prints (``wasmtime run -W gc=y,function-references=y``), or None
    if no ``wasmtime`` executable is on PATH."""
    exe = shutil.which("wasmtime")
    if exe is None:
        return None
    proc = subprocess.run([exe, "run", "-W", "gc=y,function-references=y", WASM, str(n)],
                          capture_output=True, timeout=600)
    if proc.returncode != 0:
        raise RuntimeError(f"wasmtime run failed: {proc.stderr.decode(errors='replace')}")
    return proc.stdout.decode()


def wasmtime_run() -> Callable[[int], int]:
    """The benchmark's ``run`` export on wasmtime-py, as ``run(n) -> int`` (unsigned)."""
    store, inst = _wasmtime_instance(["binary_trees.wasm"])
    run = inst.exports(store)["run"]
    return lambda n: run(store, n) & 0xFFFFFFFF


ENGINES: dict[str, Callable[[], Callable[[int], int]]] = {"whisk": whisk_run,
                                                          "wasmtime": wasmtime_run}


def available(engine: str) -> str | None:
    """None if ``engine`` can run the benchmark here, else why not."""
    try:
        if engine == "whisk":
            return whisk_unsupported()
        wasmtime_engine()
    except ImportError as e:
        return f"not installed ({e})"
    return None


# ------------------------------------------------------------------------------ measuring
def rss_kib() -> tuple[int, int]:
    """(VmRSS, VmHWM) of this process in KiB, from /proc/self/status (Linux); elsewhere
    (ru_maxrss, ru_maxrss) from getrusage."""
    try:
        with open("/proc/self/status") as f:
            fields = dict(line.split(":", 1) for line in f if ":" in line)
        return int(fields["VmRSS"].split()[0]), int(fields["VmHWM"].split()[0])
    except OSError:
        import resource
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return peak, peak


def time_engines(engines: list[str], depth: int, repeat: int) -> dict[str, list[float]]:
    """CPU seconds of ``run(depth)``, ``repeat`` rounds, the engines alternating within each
    round; each result is checked against :func:`reference_sum`."""
    runs = {e: ENGINES[e]() for e in engines}
    want = reference_sum(depth)
    times: dict[str, list[float]] = {e: [] for e in engines}
    for _ in range(repeat):
        for e, run in runs.items():
            t0 = time.process_time()
            got = run(depth)
            times[e].append(time.process_time() - t0)
            if got != want:
                raise SystemExit(f"{e}: run({depth}) = {got}, expected {want}")
    return times


def rss_child(engine: str, depth: int, rounds: int) -> int:
    """(In a subprocess.) ``rounds`` calls of ``run(depth)`` in one instance; after each, one
    line "round VmRSS VmHWM cpu_seconds"."""
    run = ENGINES[engine]()
    want = reference_sum(depth)
    print("start", *rss_kib(), 0.0, flush=True)
    for i in range(rounds):
        t0 = time.process_time()
        got = run(depth)
        dt = time.process_time() - t0
        if got != want:
            print(f"error run({depth}) = {got}, expected {want}", flush=True)
            return 1
        print(i + 1, *rss_kib(), round(dt, 3), flush=True)
    return 0


def rss_series(engine: str, depth: int, rounds: int) -> list[tuple[str, int, int, float]]:
    """Run :func:`rss_child` in a fresh Python (this one's sys.path); its lines as
    (round, VmRSS KiB, VmHWM KiB, CPU s)."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
    proc = subprocess.run([sys.executable, os.path.abspath(__file__), "--rss-child", engine,
                           "--rss-depth", str(depth), "--rounds", str(rounds)],
                          capture_output=True, text=True, env=env)
    rows = []
    for line in proc.stdout.splitlines():
        parts = line.split()
        if parts[0] == "error":
            raise SystemExit(f"{engine}: {line}")
        rows.append((parts[0], int(parts[1]), int(parts[2]), float(parts[3])))
    if proc.returncode != 0:
        raise SystemExit(f"{engine} RSS run failed ({proc.returncode}): {proc.stderr.strip()}")
    return rows


def limit_child(limit: int, depth: int) -> int:
    """(In a subprocess.) ``run(depth)`` on whisk in ``whisk.Store(max_memory_bytes=limit)``:
    prints "ok <value>" or "error <exception type>: <message>"."""
    import whisk
    try:
        value = whisk_run(whisk.Store(max_memory_bytes=limit))(depth)
    except whisk.WasmError as e:
        print(f"error {type(e).__name__}: {e}", flush=True)
        return 0
    print(f"ok {value}", flush=True)
    return 0


def limit_check(limit: int, depth: int) -> tuple[int, str]:
    """Run :func:`limit_child` in a subprocess: (its exit status, its output): status 0 with
    "error Trap..." is a clean trap; a negative status a crash (a signal)."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
    proc = subprocess.run([sys.executable, os.path.abspath(__file__), "--limit-child",
                           str(limit), "--rss-depth", str(depth)],
                          capture_output=True, text=True, env=env, timeout=900)
    return proc.returncode, (proc.stdout + proc.stderr).strip()


# ------------------------------------------------------------------------------ RESULTS.md
RESULTS = os.path.join(HERE, "RESULTS.md")
SECTION = "## GC: binary-trees"


def replace_section(text: str, section: str) -> str:
    """``text`` (RESULTS.md) with its SECTION (up to the next ``## `` heading) replaced by
    ``section``, or with ``section`` appended. ``run.py`` keeps this section when it rewrites
    the file."""
    start = text.find(SECTION)
    if start < 0:
        return text.rstrip("\n") + "\n\n" + section
    nxt = text.find("\n## ", start + len(SECTION))
    rest = text[nxt + 1:] if nxt >= 0 else ""
    return text[:start] + section + ("\n" + rest if rest else "")


def markdown(a: argparse.Namespace, times: dict[str, list[float]],
             series: dict[str, list[tuple[str, int, int, float]]], limit: str | None) -> str:
    """The RESULTS.md section of one run."""
    import platform
    med = {e: statistics.median(ts) for e, ts in times.items()}
    vers = {}
    try:
        import whisk
        vers["whisk"] = getattr(whisk, "__version__", "?")
    except ImportError:
        pass
    try:
        import wasmtime  # noqa: F401
        from importlib.metadata import version
        vers["wasmtime"] = version("wasmtime")
    except Exception:
        pass
    commit = subprocess.run(["git", "-C", HERE, "rev-parse", "--short", "HEAD"],
                            capture_output=True, text=True).stdout.strip() or "?"
    out = [SECTION, "",
           f"Generated by `python benchmarks/gc_bench.py --write` (`--depth {a.depth} --repeat "
           f"{a.repeat} --rounds {a.rounds} --rss-depth {a.rss_depth}`), whisk checkout {commit}, "
           f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, CPython "
           f"{platform.python_version()}, load average {os.getloadavg()[0]:.1f} on "
           f"{os.cpu_count()} cores, "
           + ", ".join(f"{k} {v}" for k, v in vers.items()) + ". "
           "[benchmarks/gc/binary_trees.wat](gc/binary_trees.wat): the Benchmarks Game's "
           "binary-trees, every node a GC struct (`struct.new`, two `(ref null $tree)` fields), "
           "checked by recursion (`struct.get`, `br_on_null`). `run(N)` builds a stretch tree of "
           "depth N+1, a long-lived tree of depth N and 2^(N-d+4) trees of each depth d = 4, "
           "6, ..., N; the output of `_start` is checked against a Python reference on every "
           "engine. wasmtime: wasmtime-py, `Config.wasm_gc = True` (its default collector and "
           "Cranelift settings).", "",
           f"### CPU time of `run({a.depth})` (s, median of {a.repeat}; instantiation excluded)",
           "", "| engine | median | rounds |", "|---|---|---|"]
    for e, ts in times.items():
        out.append(f"| {e} | {med[e]:.3f} | {' '.join(f'{t:.3f}' for t in ts)} |")
    if "whisk" in med and "wasmtime" in med and med["wasmtime"] > 0:
        out.append(f"| whisk/wasmtime | {med['whisk'] / med['wasmtime']:.1f} | |")
    out += ["", f"### RSS over {a.rounds} calls of `run({a.rss_depth})` in one instance "
                "(KiB, `/proc/self/status` after each call; a fresh process per engine)", ""]
    engines = list(series)
    out.append("| after call | " + " | ".join(f"{e} VmRSS | {e} VmHWM" for e in engines) + " |")
    out.append("|---|" + "---|---|" * len(engines))
    n = max((len(r) for r in series.values()), default=0)
    for i in range(n):
        cells = []
        for e in engines:
            r = series[e][i] if i < len(series[e]) else None
            cells += [str(r[1]), str(r[2])] if r else ["", ""]
        label = series[engines[0]][i][0] if i < len(series[engines[0]]) else ""
        out.append(f"| {label} | " + " | ".join(cells) + " |")
    for e, rows in series.items():
        after = rows[1:]
        if after:
            rss = [r[1] for r in after]
            out.append("")
            out.append(f"{e}: VmRSS {min(rss)} to {max(rss)} KiB after the calls (start "
                       f"{rows[0][1]}), peak (VmHWM) {after[0][2]} KiB after call 1 and "
                       f"{after[-1][2]} KiB after call {len(after)}: "
                       f"{'flat' if after[-1][2] - after[0][2] < 0.1 * after[0][2] else 'growing'}.")
    if limit is not None:
        out += ["", "### Memory limit", "", limit]
    return "\n".join(out) + "\n"


# ------------------------------------------------------------------------------ main
def check_outputs(engines: list[str], n: int) -> None:
    """Every engine's ``_start`` output for ``n`` must be the reference's."""
    want = "".join(line + "\n" for line in reference(n)[0])
    outs: dict[str, Callable[[int], str | None]] = {}
    if "whisk" in engines:
        outs["whisk.run"] = whisk_output
        outs["python -m whisk run"] = whisk_cli_output
    if "wasmtime" in engines:
        outs["wasmtime-py"] = wasmtime_output
        outs["wasmtime CLI"] = wasmtime_cli_output
    for name, fn in outs.items():
        got = fn(n)
        if got is None:
            print(f"output check, {name}: not installed")
            continue
        if got != want:
            raise SystemExit(f"{name}: output for N={n} differs from the reference:\n{got}")
        print(f"output check, {name}, N={n}: matches the reference ({len(want.splitlines())} lines)")


def main(argv: list[str] | None = None) -> int:
    """Command line entry point (see the module docstring)."""
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--depth", type=int, default=14, help="N of the timed run(N) (default 14)")
    p.add_argument("--repeat", type=int, default=5, help="timed rounds (default 5)")
    p.add_argument("--rounds", type=int, default=30, help="run(N) calls of the RSS series")
    p.add_argument("--rss-depth", type=int, default=14, help="N of the RSS series (default 14)")
    p.add_argument("--check-depth", type=int, default=10, help="N of the output check")
    p.add_argument("--engines", default="whisk,wasmtime")
    p.add_argument("--limit-check", action="store_true",
                   help="also run whisk under a small max_memory_bytes (must trap cleanly)")
    p.add_argument("--limit-bytes", type=int, default=4 << 20)
    p.add_argument("--quick", action="store_true", help="small sizes, for a smoke test")
    p.add_argument("--write", action="store_true",
                   help=f"write the results into {SECTION!r} of benchmarks/RESULTS.md")
    p.add_argument("--rss-child", metavar="ENGINE", help=argparse.SUPPRESS)
    p.add_argument("--limit-child", type=int, metavar="BYTES", help=argparse.SUPPRESS)
    a = p.parse_args(argv)
    if a.rss_child:
        return rss_child(a.rss_child, a.rss_depth, a.rounds)
    if a.limit_child is not None:
        return limit_child(a.limit_child, a.rss_depth)
    if a.quick:
        a.depth, a.repeat, a.rounds, a.rss_depth, a.check_depth = 8, 1, 3, 8, 6
    engines = []
    for e in a.engines.split(","):
        why = available(e)
        if why is None:
            engines.append(e)
        else:
            print(f"{e}: n/a ({why})")
    check_outputs(engines, a.check_depth)
    times = time_engines(engines, a.depth, a.repeat)
    med = {e: statistics.median(ts) for e, ts in times.items()}
    print(f"\nrun({a.depth}): CPU seconds, median of {a.repeat} "
          f"(checked: {reference_sum(a.depth)})")
    for e, ts in times.items():
        print(f"  {e:9s} {med[e]:8.3f}   rounds: {' '.join(f'{t:.3f}' for t in ts)}")
    if "whisk" in med and "wasmtime" in med and med["wasmtime"] > 0:
        print(f"  whisk/wasmtime {med['whisk'] / med['wasmtime']:.1f}")
    series = {}
    for e in engines:
        rows = series[e] = rss_series(e, a.rss_depth, a.rounds)
        print(f"\n{e}: RSS over {a.rounds} calls of run({a.rss_depth}) in one instance (KiB)")
        print("  round   VmRSS   VmHWM   CPU s")
        for r in rows:
            print(f"  {r[0]:>5} {r[1]:7d} {r[2]:7d} {r[3]:7.3f}")
    if a.limit_check and "whisk" in engines:
        status, out = limit_check(a.limit_bytes, a.rss_depth)
        verdict = "clean" if status == 0 and out.startswith("error ") else \
            "CRASH" if status < 0 else "no trap" if out.startswith("ok") else "unexpected"
        limit = (f"whisk, `Store(max_memory_bytes={a.limit_bytes})`, `run({a.rss_depth})`: "
                 f"{verdict} (exit status {status}): `{out.splitlines()[0] if out else ''}`")
        print("\n" + limit)
    else:
        limit = None
    if a.write and not a.quick:
        with open(RESULTS, encoding="utf-8") as f:
            text = f.read()
        with open(RESULTS, "w", encoding="utf-8") as f:
            f.write(replace_section(text, markdown(a, times, series, limit)))
        print(f"wrote {SECTION!r} into {RESULTS}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
