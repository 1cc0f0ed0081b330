"""binary-trees on the GC (benchmarks/gc/binary_trees.wasm, benchmarks/gc_bench.py): the
program's output and ``run`` values against a plain-Python reference, on whisk (and on
wasmtime-py, if installed, which checks the program itself). No timing is asserted here.

The whisk tests are skipped only while whisk refuses the module for want of GC (its
``whisk.Module`` raises with a message naming garbage collection, or today's decoder's
"illegal opcode fb", the GC prefix); any other refusal or a wrong result fails."""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import whisk

BENCH = Path(__file__).resolve().parent.parent / "benchmarks"


def _load_bench():
    spec = importlib.util.spec_from_file_location("whisk_gc_bench", BENCH / "gc_bench.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


gc_bench = _load_bench()

#: Messages of a whisk that does not implement GC yet (and only those).
GC_UNSUPPORTED = ("garbage collection", "illegal opcode fb")


@pytest.fixture(scope="module")
def gc_whisk():
    """Skip unless this whisk loads the benchmark; a refusal for another reason fails."""
    why = gc_bench.whisk_unsupported()
    if why is not None:
        if any(m in why for m in GC_UNSUPPORTED):
            pytest.skip(f"whisk has no GC yet: {why}")
        pytest.fail(f"whisk refuses binary_trees.wasm: {why}")


def _lines(text: str) -> list[str]:
    assert text.endswith("\n")
    return text[:-1].split("\n")


def test_reference_matches_the_benchmarks_game():
    # the published output of binary-trees for N=10
    lines, total = gc_bench.reference(10)
    assert lines == ["stretch tree of depth 11\t check: 4095",
                     "1024\t trees of depth 4\t check: 31744",
                     "256\t trees of depth 6\t check: 32512",
                     "64\t trees of depth 8\t check: 32704",
                     "16\t trees of depth 10\t check: 32752",
                     "long lived tree of depth 10\t check: 2047"]
    assert total == 4095 + 31744 + 32512 + 32704 + 32752 + 2047


@pytest.mark.parametrize("n", [0, 5, 6, 7, 9, 12])
def test_closed_form_sum(n):
    assert gc_bench.reference_sum(n) == gc_bench.reference(n)[1]


def test_wasm_is_built_from_the_wat():
    exe = shutil.which("wasm-tools")
    if exe is None:
        pytest.skip("wasm-tools is not installed")
    built = subprocess.run([exe, "parse", gc_bench.WAT], capture_output=True, check=True).stdout
    assert built == gc_bench.wasm_bytes()


@pytest.mark.parametrize("n", [4, 7, 8])
def test_whisk_start_output(gc_whisk, n):
    assert _lines(gc_bench.whisk_output(n)) == gc_bench.reference(n)[0]


def test_whisk_cli_output(gc_whisk):
    assert _lines(gc_bench.whisk_cli_output(6)) == gc_bench.reference(6)[0]


def test_whisk_run_repeatedly(gc_whisk):
    # one instance, many trees: the values stay right while the heap is reused
    run = gc_bench.whisk_run()
    for n in (6, 8, 6, 9):
        assert run(n) == gc_bench.reference(n)[1]


def test_whisk_small_memory_limit_traps_cleanly(gc_whisk):
    # a store too small for the trees: a whisk error (a trap), in a subprocess so that a crash
    # shows as a negative exit status
    status, out = gc_bench.limit_check(1 << 20, 14)
    assert status == 0, out
    assert out.startswith("error "), out


def test_wasmtime_start_output():
    pytest.importorskip("wasmtime")
    assert _lines(gc_bench.wasmtime_output(8)) == gc_bench.reference(8)[0]
    assert gc_bench.wasmtime_run()(9) == gc_bench.reference(9)[1]
