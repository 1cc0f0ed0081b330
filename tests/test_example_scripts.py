"""The example scripts (examples/*.py) run as a user would run them, output checked."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

import whisk

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def run_script(name: str) -> str:
    """Run ``python examples/NAME`` with the whisk under test importable; returns its stdout."""
    src = str(Path(whisk.__file__).resolve().parent.parent)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        [src] + ([os.environ["PYTHONPATH"]] if os.environ.get("PYTHONPATH") else [])))
    p = subprocess.run([sys.executable, str(EXAMPLES / name)], capture_output=True, text=True,
                       env=env, timeout=120)
    assert (p.returncode, p.stderr) == (0, ""), p.stderr
    return p.stdout


def test_every_script_is_tested():
    assert sorted(p.name for p in EXAMPLES.glob("*.py")) == [
        "dask_map.py", "embed_host_function.py", "numpy_view.py", "process_pool.py",
        "run_wasi.py"]


def test_embed_host_function():
    assert run_script("embed_host_function.py") == (
        "imports: [('env', 'log', '[i32 i32] -> []')]\n"
        "log's type: [i32 i32] -> []\n"
        "guest says: Hello from the guest!\n"
        "div(7, 2) = 3\n"
        "trap: integer divide by zero\n")


@pytest.mark.skipif(importlib.util.find_spec("numpy") is None, reason="numpy is not installed")
def test_numpy_view():
    assert run_script("numpy_view.py") == (
        "memory: 1 page(s), 65536 bytes\n"
        "after fill: [0, 0, 7, 7, 7, 7, 7, 7, 7, 7, 0, 0]\n"
        "guest sum: 100\n"
        "old view after grow: 255 size 65536 | memory now 131072 bytes\n")


def test_run_wasi():
    assert run_script("run_wasi.py") == (
        "hello.wasm exited 0: 'Hello, world!\\n'\n"
        "sha256.wasm exited 0: 6da027a5d1c812f4c8fec3dd7076cb7b5cd9bb24d1d6ee8209aac2232c194262\n"
        "args.wasm exited 0:\n"
        "argc=2\nargv[0]=args.wasm\nargv[1]=one\nGREETING=hi\n"
        "--- /data/input.txt ---\na file on the host\n--- end ---\n")


def collatz_steps(n: int) -> int:
    steps = 0
    while n > 1:
        n = n // 2 if n % 2 == 0 else 3 * n + 1
        steps += 1
    return steps


def expected_map_output() -> str:
    """process_pool.py and dask_map.py: the guest's steps(n) for n in 1..30000, checked here
    against the same count in Python."""
    steps = [collatz_steps(n) for n in range(1, 30001)]
    longest = max(range(len(steps)), key=steps.__getitem__)
    return (f"30000 inputs in 10 tasks\ntotal steps: {sum(steps)}\n"
            f"longest: n={longest + 1} takes {steps[longest]} steps\n")


def test_process_pool():
    assert expected_map_output() == (
        "30000 inputs in 10 tasks\ntotal steps: 2864311\nlongest: n=26623 takes 307 steps\n")
    assert run_script("process_pool.py") == expected_map_output()


def test_dask_map():
    pytest.importorskip("dask.distributed", reason="dask[distributed] is not installed "
                                                   "(pip install 'whisk-wasm[dask]')")
    assert run_script("dask_map.py") == expected_map_output()
