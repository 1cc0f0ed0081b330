"""The benchmark kernels: what each computes, its sizes, and the checksums it must return.

Each kernel is ``kernels/NAME.wasm`` (built from ``kernels/NAME.c`` by ``build.sh``) and exports
``run(n) -> checksum``. ``size`` is the full run (about 0.3 s on wasm3); ``small`` is the reduced
run used for pywasm (about 1 s there), ``--quick`` and the unit test. The checksums were computed
by the same C built natively (``sh benchmarks/build.sh --native NAME SIZE``); every engine must
return them.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

KERNEL_DIR = Path(__file__).resolve().parent / "kernels"
SUITE_DIR = Path(__file__).resolve().parent / "suite"
TOOLCHAINS = ["clang-Os", "zig-O2", "zig-Os"]
"""The other builds of each kernel, in ``suite/`` (``build_suite.sh``): Debian clang
``-mcpu=mvp -Os`` and zig cc (default features) at ``-O2`` and ``-Os``; files
``suite/NAME.TOOLCHAIN.wasm``. The clang ``-mcpu=mvp -O2`` build is ``kernels/NAME.wasm``."""


@dataclass(frozen=True)
class Kernel:
    """A benchmark kernel and its expected ``run(n)`` results."""

    name: str
    what: str
    size: int
    small: int
    checksums: dict[int, int]
    file: str = ""
    """For a toolchain build in ``suite/``, its file name there; empty for ``kernels/NAME.wasm``."""

    @property
    def path(self) -> Path:
        """The kernel's ``.wasm`` file."""
        return SUITE_DIR / self.file if self.file else KERNEL_DIR / f"{self.name}.wasm"

    def wasm(self) -> bytes:
        """The kernel's module binary."""
        return self.path.read_bytes()

    def expected(self, n: int) -> int:
        """The checksum ``run(n)`` must return (unsigned 32-bit)."""
        return self.checksums[n]


KERNELS = [
    Kernel("fib", "recursive calls: fib(n)", 34, 20, {34: 5702887, 20: 6765}),
    Kernel("sieve", "integer byte array: n sieves of ~8K", 800, 1, {800: 211829803, 1: 7163}),
    Kernel("nbody", "f64 arithmetic + sqrt: n-body, n steps", 200000, 100,
           {200000: 1143426964, 100: 740314846}),
    Kernel("matmul", "f64 loads/stores: n 24x24 matrix products", 1000, 1,
           {1000: 2857090200, 1: 4195048510}),
    Kernel("sha256", "32-bit rotates/shifts: SHA-256 of n KiB", 1500, 1,
           {1500: 3255260221, 1: 2327282580}),
    Kernel("vm", "bytecode interpreter (switch -> br_table), n loops", 300000, 300,
           {300000: 25928607, 300: 2284732840}),
]

SUITE_KERNELS = [replace(kernel, name=f"{kernel.name}.{tool}", file=f"{kernel.name}.{tool}.wasm")
                 for tool in TOOLCHAINS for kernel in KERNELS]
"""Every kernel built by every toolchain (``--suite``), named ``NAME.TOOLCHAIN``; same checksums."""

BY_NAME = {kernel.name: kernel for kernel in KERNELS + SUITE_KERNELS}
