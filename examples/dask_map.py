"""Map a guest function over many inputs with Dask distributed (``pip install
'whisk-wasm[dask]'``).

The same work as ``process_pool.py``, on a Dask cluster: here a ``LocalCluster`` of two worker
processes; pointing the ``Client`` at a scheduler address runs it on many machines unchanged.
The ``whisk.Module`` pickles (as its binary and features): ``client.scatter`` sends it to every
worker once, and each task instantiates it and calls the export for its share of the inputs.
An ``Instance`` does not pickle; instantiate in the task (cheap next to loading).

    python examples/dask_map.py
"""

from __future__ import annotations

import importlib
import logging
from pathlib import Path
from typing import Any

import whisk

HERE = Path(__file__).resolve().parent


def steps_of(module: whisk.Module, chunk: range) -> list[int]:
    """One task: the guest's ``steps(n)`` for every ``n`` of ``chunk``."""
    steps = whisk.Instance(module).exports.steps
    return [steps(n) for n in chunk]


def main() -> None:
    distributed: Any = importlib.import_module("dask.distributed")   # the optional extra
    module = whisk.Module.from_file(HERE / "collatz.wasm")
    inputs = range(1, 30001)
    chunks = [inputs[i:i + 3000] for i in range(0, len(inputs), 3000)]
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None, silence_logs=logging.ERROR) as cluster, \
            distributed.Client(cluster) as client:
        remote_module = client.scatter(module, broadcast=True)    # pickled once per worker
        futures = client.map(steps_of, [remote_module] * len(chunks), chunks)
        steps = [s for part in client.gather(futures) for s in part]   # in input order
    longest = max(range(len(steps)), key=steps.__getitem__)
    print(f"{len(steps)} inputs in {len(chunks)} tasks")
    print(f"total steps: {sum(steps)}")
    print(f"longest: n={inputs[longest]} takes {steps[longest]} steps")


if __name__ == "__main__":      # required: the cluster's worker processes import this file
    main()
