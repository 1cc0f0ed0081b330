"""Pickling a whisk.Module: pickle size against the binary's, and unpickling time against
loading time (``whisk.Module(bytes)``), for the kernels and the generated ~1 MB module of
``load_1mb.py``. A Module pickles as its binary and features, so unpickling *is* loading:
the two times should agree within noise. Prints the best of several interleaved runs (the
minimum: the least disturbed by other load on the machine).
Run: python benchmarks/pickle_module.py
"""

import pickle
import time
from pathlib import Path

import whisk
from load_1mb import build

HERE = Path(__file__).resolve().parent


def best_times(fns, repeat: int) -> list[float]:
    """The best (minimum) time of each of ``fns``, run interleaved (so that warm-up, allocator and
    cache effects fall on all of them alike)."""
    times: list[list[float]] = [[] for _ in fns]
    for _ in range(repeat):
        for fn, out in zip(fns, times):
            t0 = time.perf_counter()
            fn()
            out.append(time.perf_counter() - t0)
    return [min(t) for t in times]


def main() -> None:
    cases = [(p.name, p.read_bytes()) for p in sorted((HERE / "kernels").glob("*.wasm"))]
    cases.append(("generated 1 MB (load_1mb.py)", build()[0]))
    print(f"{'module':30} {'binary B':>10} {'pickle B':>10} {'load ms':>9} {'unpickle ms':>12}")
    for name, data in cases:
        repeat = 25 if len(data) > 100_000 else 500
        module = whisk.Module(data)
        blob = pickle.dumps(module, protocol=pickle.HIGHEST_PROTOCOL)
        load, unpickle = best_times([lambda: whisk.Module(data), lambda: pickle.loads(blob)],
                                    repeat)
        print(f"{name:30} {len(data):10} {len(blob):10} {load * 1e3:9.3f} {unpickle * 1e3:12.3f}")


if __name__ == "__main__":
    main()
