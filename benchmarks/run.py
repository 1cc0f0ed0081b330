"""The whisk benchmark harness: ``python benchmarks/run.py [--quick] [--repeat N] [--kernels ...]``.

Runs the kernels of ``suite.py`` on whisk, wasm3, wasmtime and (at the small size) pywasm,
each kernel's clang/zig cc -O2/-Os builds of ``suite/`` and the real programs of ``programs.py``
(CoreMark, Lua; unless ``--no-suite``), checks every checksum and output, measures call overhead, the 1 MB load time, the ``hello.wasm`` command's
wall time, fuel overhead and two-thread throughput, prints the tables and writes
``benchmarks/RESULTS.md`` and ``benchmarks/results.svg``. See benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
SRC = HERE.parent / "src"


def ensure_whisk() -> None:
    """Make ``import whisk`` work from a source checkout whose core is built in place (when
    whisk is not installed), for this process and the subprocesses it starts."""
    try:
        import whisk  # noqa: F401
    except ModuleNotFoundError:
        sys.path.insert(0, str(SRC))
        os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(SRC), os.environ.get("PYTHONPATH")]))
        import whisk  # noqa: F401


ensure_whisk()

import measure  # noqa: E402  (needs whisk importable)
import report  # noqa: E402
from engines import ENGINES  # noqa: E402
import programs  # noqa: E402
from suite import BY_NAME, KERNELS, SUITE_KERNELS, Kernel  # noqa: E402

CALL_ENGINES = ["whisk", "wasm3", "wasmtime"]


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="small sizes for every engine, 1 repetition, no files written")
    parser.add_argument("--repeat", type=int, help="repetitions per kernel (default 5; 1 with --quick)")
    parser.add_argument("--kernels", type=lambda s: s.split(","),
                        help="comma-separated kernels (default: all of "
                        f"{','.join(k.name for k in KERNELS)}, and with the suite each as NAME.TOOLCHAIN)")
    parser.add_argument("--suite", action=argparse.BooleanOptionalAction, default=True,
                        help="also the toolchain builds of suite/ and the programs (default: yes)")
    parser.add_argument("--programs", type=lambda s: s.split(","),
                        help=f"comma-separated programs (default with the suite: {','.join(programs.BY_NAME)})")
    parser.add_argument("--engines", type=lambda s: s.split(","), default=list(ENGINES),
                        help="comma-separated engines (default: all installed of %(default)s)")
    parser.add_argument("--no-write", action="store_true", help="print only; do not write RESULTS.md/svg")
    args = parser.parse_args(argv)
    if args.kernels is None:
        args.kernels = [k.name for k in KERNELS + (SUITE_KERNELS if args.suite else [])]
    if args.programs is None:
        args.programs = list(programs.BY_NAME) if args.suite else []
    unknown = [k for k in args.kernels if k not in BY_NAME] + [p for p in args.programs if p not in programs.BY_NAME]
    unknown += [e for e in args.engines if e not in ENGINES]
    if unknown or "whisk" not in args.engines:
        parser.error(f"unknown kernels/programs/engines {unknown}" if unknown else "whisk must be among the engines")
    if args.repeat is None:
        args.repeat = 1 if args.quick else 5
    return args


def available(engines: list[str]) -> list[str]:
    """The engines that are installed; the others are reported and skipped."""
    present = [e for e in engines if ENGINES[e].available()]
    for engine in sorted(set(engines) - set(present)):
        print(f"note: {engine} is not installed; its figures will be n/a "
              "(pip install -r benchmarks/requirements.txt)", file=sys.stderr)
    return present


def sizes(kernel: Kernel, quick: bool) -> tuple[int, int]:
    """The kernel's (full, small) sizes for this run; --quick uses the small size throughout."""
    return (kernel.small if quick else kernel.size), kernel.small


def lanes(engines: list[str], size: int, small: int) -> list[measure.Lane]:
    """The timed (engine, size) pairs of one kernel: each engine at the full size except pywasm,
    and whisk and pywasm at the small size when pywasm runs."""
    full = [measure.Lane(e, size) for e in engines if e != "pywasm"]
    reduced = [measure.Lane(e, small) for e in ("whisk", "pywasm") if "pywasm" in engines]
    return list(dict.fromkeys(full + reduced))


def run_kernels(args: argparse.Namespace, results: report.Results) -> None:
    """Time every selected kernel into ``results``."""
    for name in args.kernels:
        kernel = BY_NAME[name]
        size, small = results.sizes[name] = sizes(kernel, args.quick)
        print(f"kernel {name}: n={size} (small {small}) ...", file=sys.stderr, flush=True)
        # pywasm runs only the six kernels of kernels/ (the toolchain builds would add minutes)
        engines = [e for e in results.engines if not (kernel.file and e == "pywasm")]
        results.kernels.append(measure.bench_kernel(kernel, lanes(engines, size, small), args.repeat))


def run_programs(args: argparse.Namespace, results: report.Results) -> None:
    """Time every selected program (whole runs, outputs checked) into ``results``."""
    for name in args.programs:
        print(f"program {name} ...", file=sys.stderr, flush=True)
        results.programs[name] = programs.bench_program(
            programs.BY_NAME[name], [e for e in results.engines if e in programs.RUNNERS],
            1 if args.quick else min(args.repeat, 3))


def run_others(args: argparse.Namespace, results: report.Results) -> None:
    """The non-kernel figures: call overhead, load time, hello wall time, fuel, threads."""
    print("call overhead, load time, hello, fuel, threads ...", file=sys.stderr, flush=True)
    for engine in (e for e in CALL_ENGINES if e in results.engines):
        results.call_us[engine] = {export: measure.call_overhead(engine, export) * 1e6
                                   for export in ("nop", "add")}
    small_repeat = 3 if args.quick else 10
    results.load = measure.load_time(3 if args.quick else 7)
    results.hello = measure.hello_wall(small_repeat)
    fib = BY_NAME["fib"]
    if args.quick:
        fib = dataclasses.replace(fib, size=fib.small)
    results.fuel = measure.fuel_overhead(fib, args.repeat)
    results.threads = measure.thread_speedup(fib, 3)


def main(argv: list[str] | None = None) -> int:
    """Run the harness; print the results and (unless --quick/--no-write) write the files."""
    args = parse_args(argv)
    results = report.Results(engines=available(args.engines))
    results.settings = (f"(`--repeat {args.repeat}`" + (", `--quick`" if args.quick else "")
                        + f", kernels {', '.join(args.kernels)}"
                        + (f", programs {', '.join(args.programs)}" if args.programs else "") + ")")
    run_kernels(args, results)
    run_programs(args, results)
    run_others(args, results)
    text = report.markdown(results)
    print(text)
    if not (args.quick or args.no_write):
        path = HERE / "RESULTS.md"
        old = path.read_text(encoding="utf-8") if path.exists() else ""
        gc = old.find("\n## GC: ")            # benchmarks/gc_bench.py's section: kept
        if gc >= 0:
            nxt = old.find("\n## ", gc + 1)
            text = text.rstrip("\n") + "\n" + old[gc:nxt if nxt >= 0 else len(old)].rstrip("\n") + "\n"
        path.write_text(text, encoding="utf-8")
        report.chart(results, HERE / "results.svg")
        print(f"wrote {HERE / 'RESULTS.md'} and {HERE / 'results.svg'}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
