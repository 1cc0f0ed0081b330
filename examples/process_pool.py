"""Map a guest function over many inputs in worker processes with concurrent.futures.

A ``whisk.Module`` pickles (as its binary and features), so a ``ProcessPoolExecutor`` can send
it to its workers; each worker instantiates it once (the pool's ``initializer``) and calls the
export for its share of the inputs. An ``Instance`` does not pickle: its memories, tables and
host functions live in one process. The guest is ``collatz.wasm`` (source: ``collatz.wat``):
``steps(n)`` counts the Collatz steps from ``n`` to 1.

    python examples/process_pool.py
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import whisk

HERE = Path(__file__).resolve().parent

_steps: Callable[[int], int]     # in each worker: the "steps" export of its own instance


def start_worker(module: whisk.Module) -> None:
    """Pool initializer: runs once per worker process, with the Module unpickled there."""
    global _steps
    _steps = whisk.Instance(module).exports.steps


def steps_of(chunk: range) -> list[int]:
    """One task: the guest's ``steps(n)`` for every ``n`` of ``chunk``."""
    return [_steps(n) for n in chunk]


def main() -> None:
    module = whisk.Module.from_file(HERE / "collatz.wasm")
    inputs = range(1, 30001)
    chunks = [inputs[i:i + 3000] for i in range(0, len(inputs), 3000)]
    with ProcessPoolExecutor(max_workers=2, initializer=start_worker,
                             initargs=(module,)) as pool:
        steps = [s for part in pool.map(steps_of, chunks) for s in part]   # in input order
    longest = max(range(len(steps)), key=steps.__getitem__)
    print(f"{len(steps)} inputs in {len(chunks)} tasks")
    print(f"total steps: {sum(steps)}")
    print(f"longest: n={inputs[longest]} takes {steps[longest]} steps")


if __name__ == "__main__":      # needed where workers start by "spawn" (macOS, Windows)
    main()
