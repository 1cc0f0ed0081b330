"""The measurements behind ``run.py``. Each function measures one thing and returns numbers;
``report.py`` formats them. Times are seconds.

Kernel timings are CPU time (``time.process_time``) of the ``run(n)`` call alone; the engines
alternate within each repetition (round-robin), so slow drifts in machine load hit all of them
alike. Every result is checked against the kernel's recorded checksum.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import threading
import time
import timeit
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from engines import ENGINES, Function, u32
from suite import Kernel
from wasmgen import call_module

ROOT = Path(__file__).resolve().parent.parent


class ChecksumError(AssertionError):
    """An engine returned a different checksum than the kernel's recorded one."""


@dataclass(frozen=True)
class Lane:
    """One timed configuration of a kernel: an engine at a size."""

    engine: str
    n: int


@dataclass
class KernelResult:
    """Median call times of one kernel per lane, and instantiation times per engine."""

    kernel: Kernel
    medians: dict[Lane, float] = field(default_factory=dict)
    instantiate: dict[str, float] = field(default_factory=dict)

    def time(self, engine: str, n: int) -> float | None:
        """The median time of ``engine`` at size ``n``, or None if it was not measured."""
        return self.medians.get(Lane(engine, n))


def cpu_time(fn: Callable[[], Any]) -> tuple[float, Any]:
    """CPU seconds ``fn()`` takes, and its result."""
    start = time.process_time()
    result = fn()
    return time.process_time() - start, result


def check(kernel: Kernel, lane: Lane, result: Any) -> None:
    """Raise ``ChecksumError`` unless ``result`` is the kernel's checksum for ``lane.n``."""
    got, want = u32(result), kernel.expected(lane.n)
    if got != want:
        raise ChecksumError(f"{kernel.name}: {lane.engine} run({lane.n}) returned {got}, expected {want}")


def instantiate(kernel: Kernel, engines: list[str]) -> tuple[dict[str, Function], dict[str, float]]:
    """Each engine's ``run`` export for ``kernel``, and the CPU time each instantiation took
    (module decode/compile included)."""
    wasm = kernel.wasm()
    functions, times = {}, {}
    for name in engines:
        times[name], exports = cpu_time(lambda: ENGINES[name].instantiate(wasm))
        functions[name] = exports("run")
    return functions, times


def bench_kernel(kernel: Kernel, lanes: list[Lane], repeat: int) -> KernelResult:
    """Time ``kernel`` in every lane, ``repeat`` rounds, the lanes alternating in each round."""
    functions, inst_times = instantiate(kernel, sorted({lane.engine for lane in lanes}))
    samples: dict[Lane, list[float]] = {lane: [] for lane in lanes}
    for _ in range(repeat):
        for lane in lanes:
            fn = functions[lane.engine]
            elapsed, result = cpu_time(lambda: fn(lane.n))
            check(kernel, lane, result)
            samples[lane].append(elapsed)
    medians = {lane: statistics.median(times) for lane, times in samples.items()}
    return KernelResult(kernel, medians, inst_times)


def call_overhead(engine: str, export: str = "add", repeat: int = 5) -> float:
    """Seconds per call from Python into a trivial export (timeit loop, best of ``repeat``)."""
    fn = ENGINES[engine].instantiate(call_module())(export)
    args = (1, 2) if export == "add" else ()
    timer = timeit.Timer("fn(*args)", globals={"fn": fn, "args": args})
    number, _ = timer.autorange()
    return min(timer.repeat(repeat, number)) / number


def load_time(repeat: int) -> tuple[float, int]:
    """Median wall time of ``whisk.Module(bytes)`` on the generated 1 MB-code module of
    ``load_1mb.py`` (decode + validate + pre-decode), and its code size in bytes."""
    import whisk
    from load_1mb import build

    data, code_size = build()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        whisk.Module(data)
        times.append(time.perf_counter() - start)
    return statistics.median(times), code_size


def wall_time(argv: list[str]) -> float:
    """Wall seconds a subprocess takes (run from the repository root; it must succeed)."""
    start = time.perf_counter()
    subprocess.run(argv, cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def hello_wall(repeat: int) -> tuple[float, float]:
    """Median wall times of ``python -m whisk examples/hello.wasm`` and of ``python -c pass``,
    alternating."""
    hello = [sys.executable, "-m", "whisk", "examples/hello.wasm"]
    bare = [sys.executable, "-c", "pass"]
    # pip byte-compiles an installed wheel; do the same for the source tree, so the figure does
    # not include compiling whisk's modules on every start (PYTHONDONTWRITEBYTECODE may be set)
    subprocess.run([sys.executable, "-m", "compileall", "-q", "src/whisk"], cwd=ROOT, check=True,
                   stdout=subprocess.DEVNULL)
    samples: tuple[list[float], list[float]] = ([], [])
    for _ in range(repeat):
        samples[0].append(wall_time(hello))
        samples[1].append(wall_time(bare))
    return statistics.median(samples[0]), statistics.median(samples[1])


def fuel_overhead(kernel: Kernel, repeat: int) -> tuple[float | None, str]:
    """CPU time ratio fuel-on / fuel-off of ``kernel`` on whisk, or None and the reason when
    whisk has no fuel. Assumes the API ``whisk.Store(fuel=N)`` and
    ``whisk.Instance(module, store=store)``; anything else is reported as unsupported."""
    import whisk

    store_type = getattr(whisk, "Store", None)
    if store_type is None:
        return None, "whisk.Store does not exist"
    module = whisk.Module(kernel.wasm())
    try:
        fueled = whisk.Instance(module, store=store_type(fuel=1 << 62)).exports["run"]
    except TypeError as exc:
        return None, f"no fuel API ({exc})"
    plain = whisk.Instance(module).exports["run"]
    times: tuple[list[float], list[float]] = ([], [])
    for _ in range(repeat):
        for fn, sink in ((plain, times[0]), (fueled, times[1])):
            elapsed, result = cpu_time(lambda: fn(kernel.size))
            check(kernel, Lane("whisk", kernel.size), result)
            sink.append(elapsed)
    return statistics.median(times[1]) / statistics.median(times[0]), ""


def thread_speedup(kernel: Kernel, repeat: int, rounds: int = 3) -> tuple[float, float, float]:
    """Run ``kernel`` at its full size ``rounds`` times on each of two whisk instances, one
    instance after the other and then in two Python threads. Returns the median wall times
    (sequential, threaded) and the speed-up sequential/threaded: near 2 when the core releases
    the GIL (on two free cores), near 1 when it does not. Several rounds per thread keep thread
    start-up and scheduling jitter out of the figure."""
    engine = ENGINES["whisk"]
    fns = [engine.instantiate(kernel.wasm())("run") for _ in range(2)]
    results: list[Any] = []

    def work(fn: Function) -> None:
        for _ in range(rounds):
            results.append(fn(kernel.size))

    def sequential() -> None:
        for fn in fns:
            work(fn)

    def threaded() -> None:
        threads = [threading.Thread(target=work, args=(fn,)) for fn in fns]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    times: tuple[list[float], list[float]] = ([], [])
    for _ in range(repeat):
        for mode, sink in ((sequential, times[0]), (threaded, times[1])):
            start = time.perf_counter()
            mode()
            sink.append(time.perf_counter() - start)
    for result in results:
        check(kernel, Lane("whisk", kernel.size), result)
    seq, par = statistics.median(times[0]), statistics.median(times[1])
    return seq, par, seq / par
