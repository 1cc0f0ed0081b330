"""The benchmark kernels (benchmarks/): each ``.wasm`` runs on whisk at its small size and returns
the checksum the harness records, and the build script, sources and binaries agree. No timing
is asserted here; ``python benchmarks/run.py`` measures."""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path

import pytest

import whisk

BENCH = Path(__file__).resolve().parent.parent / "benchmarks"


def load(name: str):
    """Import ``benchmarks/NAME.py`` (a self-contained module) without touching sys.path."""
    spec = importlib.util.spec_from_file_location(f"whisk_bench_{name}", BENCH / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module             # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


suite = load("suite")


@pytest.mark.parametrize("kernel", suite.KERNELS, ids=lambda k: k.name)
def test_kernel_checksum_on_whisk(kernel):
    run = whisk.Instance(whisk.Module(kernel.wasm())).exports["run"]
    assert run(kernel.small) & 0xFFFFFFFF == kernel.expected(kernel.small)


def test_every_kernel_has_both_checksums():
    for kernel in suite.KERNELS:
        assert {kernel.size, kernel.small} <= set(kernel.checksums), kernel.name


def test_build_script_sources_and_binaries_match():
    script = (BENCH / "build.sh").read_text()
    built = set(re.search(r'^KERNELS="([^"]*)"', script, re.M).group(1).split())
    kernels = BENCH / "kernels"
    sources = {p.stem for p in kernels.glob("*.c")} - {"native_main"}
    binaries = {p.stem for p in kernels.glob("*.wasm")}
    assert built == sources == binaries == {k.name for k in suite.KERNELS}


def test_call_overhead_module():
    exports = whisk.Instance(whisk.Module(load("wasmgen").call_module())).exports
    assert exports["nop"]() is None
    assert exports["add"](2, 3) == 5


sys.modules.setdefault("engines", load("engines"))    # programs.py imports its sibling
programs = load("programs")


@pytest.mark.parametrize("program", programs.PROGRAMS, ids=lambda p: p.name)
def test_real_program_output_on_whisk(program):
    """Each real program of the suite (CoreMark, Lua, QuickJS) is committed and prints its
    expected lines on whisk (the same check run.py applies to every engine)."""
    wasm = program.wasm()
    assert wasm is not None, f"{program.name}: benchmarks/suite/{program.file}(.gz) missing"
    status, out, _ = programs.run_whisk(program, wasm)
    program.check("whisk", status, out)
