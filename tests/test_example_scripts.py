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
        "embed_host_function.py", "numpy_view.py", "run_wasi.py"]


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
