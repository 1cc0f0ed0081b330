"""Formats the harness's measurements: the console/markdown tables (``RESULTS.md``), the
machine description and the bar chart (``results.svg``)."""

from __future__ import annotations

import datetime
import math
import os
import platform
import statistics
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from engines import ENGINES
from measure import KernelResult

NA = "n/a"
#: (label, numerator engine, denominator engine, "size" or "small") for the kernel ratios.
RATIOS = [
    ("whisk/wasm3", "whisk", "wasm3", "size"),
    ("whisk/wasmtime", "whisk", "wasmtime", "size"),
    ("pywasm/whisk", "pywasm", "whisk", "small"),
]
CHART_ENGINES = ["whisk", "wasm3", "wasmtime"]
KERNEL_HEADER = (["kernel", "n"] + [f"{e} ms" for e in CHART_ENGINES]
                 + ["small n", "whisk ms (small)", "pywasm ms (small)"] + [spec[0] for spec in RATIOS])


@dataclass
class Results:
    """Everything one harness run measured; None (or missing keys) means not measured."""

    kernels: list[KernelResult] = field(default_factory=list)
    sizes: dict[str, tuple[int, int]] = field(default_factory=dict)   # kernel -> (size, small)
    engines: list[str] = field(default_factory=list)
    call_us: dict[str, dict[str, float]] = field(default_factory=dict)  # engine -> export -> µs
    load: tuple[float, int] | None = None          # seconds, code bytes
    hello: tuple[float, float] | None = None       # whisk wall s, python -c pass wall s
    fuel: tuple[float | None, str] = (None, "not measured")
    threads: tuple[float, float, float] | None = None   # sequential s, threaded s, speed-up
    # program -> {"run" | "load": {engine: s}} (programs.bench_program)
    programs: dict[str, dict[str, dict[str, float | None]]] = field(default_factory=dict)
    settings: str = ""


def ratio(a: float | None, b: float | None) -> float | None:
    """a / b, or None if either is missing."""
    return None if a is None or b is None or b == 0 else a / b


def geomean(values: list[float | None]) -> float | None:
    """Geometric mean of the values present, or None if there are none."""
    present = [v for v in values if v is not None]
    return math.exp(statistics.fmean(math.log(v) for v in present)) if present else None


def kernel_ratio(result: KernelResult, spec: tuple[str, str, str, str], sizes: tuple[int, int]) -> float | None:
    """One of ``RATIOS`` for one kernel."""
    _, top, bottom, which = spec
    n = sizes[0] if which == "size" else sizes[1]
    return ratio(result.time(top, n), result.time(bottom, n))


def fmt(value: float | None, scale: float = 1.0, digits: int = 2) -> str:
    """A number scaled and rounded, or "n/a"."""
    return NA if value is None else f"{value * scale:.{digits}f}"


def table(header: list[str], rows: list[list[str]]) -> list[str]:
    """A markdown table."""
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    return lines + ["| " + " | ".join(row) + " |" for row in rows]


def cpu_model() -> str:
    """The CPU's model name from /proc/cpuinfo, else what ``platform`` knows."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def git_revision() -> str:
    """The checkout's commit (``git describe --always --dirty``), or "?" outside a checkout."""
    try:
        out = subprocess.run(["git", "describe", "--always", "--dirty"], cwd=Path(__file__).parent,
                             capture_output=True, text=True, check=True)
    except (OSError, subprocess.CalledProcessError):
        return "?"
    return out.stdout.strip()


def machine(engines: list[str]) -> list[tuple[str, str]]:
    """(label, value) rows describing the machine, software versions and date."""
    rows = [
        ("CPU", cpu_model()),
        ("Cores", str(os.cpu_count())),
        ("OS", platform.platform()),
        ("Python", f"{platform.python_implementation()} {platform.python_version()}"),
    ]
    for name in engines:
        rows.append((name, ENGINES[name].version()))
        if name == "whisk":
            rows.append(("whisk checkout", git_revision()))
    rows.append(("Date", datetime.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z")))
    return rows


def kernel_rows(results: Results) -> list[list[str]]:
    """One row per kernel (median ms per engine, then the ratios) and the geometric means."""
    rows, columns = [], {spec[0]: [] for spec in RATIOS}
    for result in results.kernels:
        size, small = results.sizes[result.kernel.name]
        ratios = [kernel_ratio(result, spec, (size, small)) for spec in RATIOS]
        for spec, value in zip(RATIOS, ratios):
            columns[spec[0]].append(value)
        rows.append([result.kernel.name, str(size)]
                    + [fmt(result.time(e, size), 1e3, 1) for e in CHART_ENGINES]
                    + [str(small), fmt(result.time("whisk", small), 1e3, 2),
                       fmt(result.time("pywasm", small), 1e3, 0)]
                    + [fmt(v) for v in ratios])
    blanks = len(KERNEL_HEADER) - 1 - len(RATIOS)
    rows.append(["**geomean**"] + [""] * blanks + [f"**{fmt(geomean(columns[spec[0]]))}**" for spec in RATIOS])
    return rows


def kernel_table(results: Results) -> list[str]:
    """The kernel timings table."""
    return table(KERNEL_HEADER, kernel_rows(results))


def instantiate_table(results: Results) -> list[str]:
    """CPU ms to build each kernel's instance (module decode/compile included)."""
    rows = [[r.kernel.name] + [fmt(r.instantiate.get(e), 1e3, 2) for e in results.engines]
            for r in results.kernels]
    return table(["kernel"] + [f"{e} ms" for e in results.engines], rows)


def program_table(results: Results) -> list[str]:
    """The real programs (``programs.py``): median CPU seconds of a whole run per engine, the
    ratios, and CoreMark-style iterations/s where the program counts its work."""
    import programs

    header = (["program", "what"] + [f"{e} s" for e in CHART_ENGINES]
              + [spec[0] for spec in RATIOS if spec[3] == "size"] + ["iterations/s (whisk, wasm3, wasmtime)"])
    rows = []
    for name, measured in results.programs.items():
        times = measured["run"]
        program = programs.BY_NAME[name]
        rates = ", ".join(fmt(ratio(program.work, times.get(e)), 1, 0) for e in CHART_ENGINES) \
            if program.work else ""
        rows.append([name, program.what] + [fmt(times.get(e), 1, 3) for e in CHART_ENGINES]
                    + [fmt(ratio(times.get(top), times.get(bottom)))
                       for _, top, bottom, which in RATIOS if which == "size"] + [rates])
    return table(header, rows)


def program_load_table(results: Results) -> list[str]:
    """CPU ms of each program's load (module object built) per engine, within the run time."""
    rows = [[name] + [fmt(measured["load"].get(e), 1e3, 1) for e in CHART_ENGINES]
            for name, measured in results.programs.items()]
    return table(["program"] + [f"{e} load ms" for e in CHART_ENGINES], rows)


def other_rows(results: Results) -> list[list[str]]:
    """Rows of the table of non-kernel figures."""
    rows = []
    for engine, exports in results.call_us.items():
        for export, us in exports.items():
            rows.append([f"call overhead, {engine}, `{export}`", f"{us:.3f} µs"])
    if results.load:
        seconds, code = results.load
        rows.append([f"load 1 MB module (code {code / 1e6:.2f} MB), whisk.Module(bytes)",
                     f"{seconds * 1e3:.0f} ms"])
    if results.hello:
        hello, bare = results.hello
        rows.append(["`python -m whisk examples/hello.wasm` wall", f"{hello * 1e3:.0f} ms"])
        rows.append(["`python -c pass` wall", f"{bare * 1e3:.0f} ms"])
        rows.append(["hello / bare python", f"{hello / bare:.2f}"])
    fuel, reason = results.fuel
    rows.append(["fuel on / fuel off (whisk)", fmt(fuel) if fuel is not None else f"{NA} ({reason})"])
    if results.threads:
        seq, par, speedup = results.threads
        rows.append(["fib on 2 instances, 3 runs each: sequential / 2 threads (wall)",
                     f"{seq * 1e3:.0f} ms / {par * 1e3:.0f} ms = **{speedup:.2f}x**"])
    else:
        rows.append(["2-thread speed-up (whisk)", NA])
    return rows


def markdown(results: Results) -> str:
    """The whole RESULTS.md text."""
    lines = ["# whisk benchmark results", "",
             "Generated by `python benchmarks/run.py` " + results.settings + ". Kernel times: median "
             "CPU time (`time.process_time`) of one `run(n)` call, instantiation excluded; engines "
             "alternate within each repetition. Ratios below 1 favour the numerator. `pywasm/whisk` "
             "compares both at the small size.", "", "## Machine", ""]
    lines += table(["", ""], [list(row) for row in machine(results.engines)])
    lines += ["", "## Kernels", ""] + kernel_table(results)
    lines += ["", "![CPU time per kernel, normalised to wasm3](results.svg)", ""]
    if results.programs:
        lines += ["## Programs", "", "Whole runs of WASI commands built from upstream sources by "
                  "`build_suite.sh` (decode, compile, instantiation and `_start`; median CPU time; "
                  "output checked). n/a: not built, or the engine cannot run it.", ""]
        lines += program_table(results) + ["", "Of which loading the module (whisk: "
                  "decode + validate + lower; wasmtime: compile; wasm3: parse + load), CPU ms:", ""]
        lines += program_load_table(results) + [""]
    lines += ["## Other figures", ""] + table(["measure", "value"], other_rows(results))
    lines += ["", "## Instantiation (CPU ms, once per kernel)", ""] + instantiate_table(results)
    return "\n".join(lines) + "\n"


def chart(results: Results, path: Path) -> None:
    """A grouped bar chart of whisk/wasm3/wasmtime CPU time per kernel, normalised to wasm3
    (log scale), saved as SVG (or any format matplotlib infers from the suffix)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import matplotlib.ticker

    matplotlib.rcParams["svg.hashsalt"] = "whisk"        # stable ids: reproducible files
    names = [r.kernel.name for r in results.kernels] + list(results.programs)
    engines = [e for e in CHART_ENGINES if e in results.engines]
    width = 0.8 / max(len(engines), 1)
    fig, ax = plt.subplots(figsize=(max(8, 0.45 * len(names)), 4))
    for i, engine in enumerate(engines):
        values = [ratio(r.time(engine, results.sizes[r.kernel.name][0]),
                        r.time("wasm3", results.sizes[r.kernel.name][0])) for r in results.kernels]
        values += [ratio(t["run"].get(engine), t["run"].get("wasm3")) for t in results.programs.values()]
        offset = (i - (len(engines) - 1) / 2) * width
        bars = ax.bar([k + offset for k in range(len(names))],
                      [math.nan if v is None else v for v in values], width, label=engine)
        ax.bar_label(bars, fmt="%.2g", fontsize=7)
    ax.set_yscale("log")
    ax.yaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda v, _: f"{v:g}"))
    ax.axhline(1.0, color="gray", linewidth=0.8)
    ax.set_xticks(range(len(names)), names, rotation=60 if len(names) > 10 else 0,
                  ha="right" if len(names) > 10 else "center", fontsize=7 if len(names) > 10 else None)
    ax.set_ylabel("CPU time relative to wasm3 (lower is faster)")
    ax.set_title("whisk benchmark kernels" + (" and programs" if results.programs else ""))
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, metadata={"Date": None} if path.suffix == ".svg" else None)
    plt.close(fig)
