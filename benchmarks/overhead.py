"""The overheads a user meets (issue 13): ``python benchmarks/overhead.py [--repeat N]``.

Prints, in microseconds (best of ``--repeat`` timeit rounds, each auto-ranged to >= 0.2 s):

* export lookup: ``inst.exports.run`` on ``benchmarks/kernels/fib.wasm`` (and ``exports.run``
  with the Exports object held);
* call overhead: a call from Python into a trivial export (``nop``: [] -> [], ``add``:
  [i32 i32] -> [i32]) of the harness's call module, for whisk and wasmtime-py;
* a WASI hello world (``examples/hello.wasm``) run to completion, stdout captured: whisk's
  ``whisk.run(module, stdout=io.BytesIO())`` against wasmtime-py (a new Store and WasiConfig
  per run, stdout to a temporary file; once with a new Linker per run, as ``whisk.run`` makes
  one, and once with one Linker reused), each with the compiled module reused and from the file.

wasmtime-py figures are skipped if it is not installed. Timings are wall-clock and include
the Python-level setup a user's own code would do; they are noisy on a loaded machine.
"""

from __future__ import annotations

import argparse
import io
import os
import sys
import tempfile
import timeit
from pathlib import Path
from typing import Any, Callable

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
FIB = HERE / "kernels" / "fib.wasm"
HELLO = ROOT / "examples" / "hello.wasm"

try:
    import whisk
except ModuleNotFoundError:
    sys.path.insert(0, str(ROOT / "src"))
    import whisk

sys.path.insert(0, str(HERE))
from wasmgen import call_module  # noqa: E402

try:
    import wasmtime
except ModuleNotFoundError:
    wasmtime = None


def best_us(fn: Callable[[], Any], repeat: int) -> float:
    """Microseconds per call of ``fn``: best of ``repeat`` auto-ranged timeit rounds."""
    timer = timeit.Timer(fn)
    number, _ = timer.autorange()
    return min(timer.repeat(repeat, number)) / number * 1e6


def best_stmt_us(stmt: str, env: dict[str, Any], repeat: int) -> float:
    """As ``best_us`` for a statement (no function-call overhead of its own)."""
    timer = timeit.Timer(stmt, globals=env)
    number, _ = timer.autorange()
    return min(timer.repeat(repeat, number)) / number * 1e6


def export_lookup(repeat: int) -> dict[str, float]:
    inst = whisk.Instance(whisk.Module.from_file(FIB))
    return {"inst.exports.run": best_stmt_us("i.exports.run", {"i": inst}, repeat),
            "exports.run": best_stmt_us("e.run", {"e": inst.exports}, repeat)}


def call_overhead(repeat: int) -> dict[str, float]:
    data = call_module()
    out = {}
    inst = whisk.Instance(whisk.Module(data))
    out["whisk nop()"] = best_stmt_us("f()", {"f": inst.exports.nop}, repeat)
    out["whisk add(1, 2)"] = best_stmt_us("f(1, 2)", {"f": inst.exports.add}, repeat)
    if wasmtime is not None:
        store = wasmtime.Store()
        wi = wasmtime.Instance(store, wasmtime.Module(store.engine, data), [])
        ex = wi.exports(store)
        out["wasmtime-py nop()"] = best_stmt_us("f(s)", {"f": ex["nop"], "s": store}, repeat)
        out["wasmtime-py add(1, 2)"] = best_stmt_us("f(s, 1, 2)", {"f": ex["add"], "s": store},
                                                    repeat)
    return out


def hello_runs(repeat: int) -> dict[str, float]:
    out: dict[str, float] = {}
    module = whisk.Module.from_file(HELLO)
    assert b"ello" in _whisk_hello(module)
    out["whisk.run(module)"] = best_us(lambda: whisk.run(module, stdout=io.BytesIO()), repeat)
    out["whisk.run(path)"] = best_us(lambda: whisk.run(HELLO, stdout=io.BytesIO()), repeat)
    if wasmtime is None:
        return out
    engine = wasmtime.Engine()
    wmodule = wasmtime.Module.from_file(engine, str(HELLO))
    shared = wasmtime.Linker(engine)
    shared.define_wasi()
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "stdout")

        def wt_run(mod: Any, linker: Any = None) -> None:
            if linker is None:
                linker = wasmtime.Linker(engine)
                linker.define_wasi()
            store = wasmtime.Store(engine)
            config = wasmtime.WasiConfig()
            config.argv = ("hello.wasm",)
            config.stdout_file = path
            store.set_wasi(config)
            instance = linker.instantiate(store, mod)
            try:
                instance.exports(store)["_start"](store)
            except wasmtime.ExitTrap as exc:
                assert exc.code == 0

        wt_run(wmodule)
        with open(path, "rb") as f:
            assert b"ello" in f.read()
        out["wasmtime-py (module, new linker)"] = best_us(lambda: wt_run(wmodule), repeat)
        out["wasmtime-py (module, shared linker)"] = best_us(lambda: wt_run(wmodule, shared),
                                                             repeat)
        out["wasmtime-py (path, new linker)"] = best_us(
            lambda: wt_run(wasmtime.Module.from_file(engine, str(HELLO))), repeat)
    return out


def _whisk_hello(module: Any) -> bytes:
    buf = io.BytesIO()
    assert whisk.run(module, stdout=buf) == 0
    return buf.getvalue()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="timeit rounds (best is kept)")
    args = parser.parse_args(argv)
    for title, figures in (("export lookup", export_lookup(args.repeat)),
                           ("call overhead", call_overhead(args.repeat)),
                           ("WASI hello world, run to completion", hello_runs(args.repeat))):
        print(f"{title}:")
        for name, us in figures.items():
            print(f"  {name:40s} {us:10.3f} us")


if __name__ == "__main__":
    main()
