"""Shared helpers for the hostile-input tests: WAT assembly and running a snippet in a fresh
interpreter, so that a crash (a segfault of a regression) fails one test instead of the run."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

wasmtime = pytest.importorskip("wasmtime")
import whisk  # noqa: E402


def wat(text: str) -> whisk.Module:
    """A whisk Module from WebAssembly text (assembled by wasmtime's wat2wasm)."""
    return whisk.Module(wasmtime.wat2wasm(text))


def run_isolated(*parts: str, timeout: float = 120) -> str:
    """Run the code ``parts`` (each dedented on its own, then joined) in a new Python process;
    fail (with its output) unless it exits with 0 and printed "ok" last. The snippet gets
    ``whisk``, ``wasmtime`` and ``wat`` predefined. Returns its stdout."""
    prelude = ("import gc, sys, threading, whisk, wasmtime\n"
               "def wat(t): return whisk.Module(wasmtime.wat2wasm(t))\n")
    p = subprocess.run([sys.executable, "-c", prelude + "\n".join(textwrap.dedent(p) for p in parts)
                        + "\nprint('ok')\n"],
                       capture_output=True, text=True, timeout=timeout)
    assert p.returncode == 0, f"exit status {p.returncode}\n{p.stdout}\n{p.stderr}"
    assert p.stdout.rstrip().endswith("ok"), p.stdout
    return p.stdout
