"""The package and the example scripts type-check with ``mypy --strict`` (the settings are
``[tool.mypy]`` in pyproject.toml); skipped where mypy is not installed."""

import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("mypy")

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def mypy(tmp_path_factory):
    cache = tmp_path_factory.mktemp("mypy_cache")

    def run(*paths: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "mypy", "--strict", "--cache-dir", str(cache),
                               *paths], cwd=ROOT, capture_output=True, text=True, timeout=600)
    return run


def test_examples_type_check(mypy):
    p = mypy(*sorted(str(x.relative_to(ROOT)) for x in (ROOT / "examples").glob("*.py")))
    assert p.returncode == 0, p.stdout + p.stderr


def test_host_function_annotations_type_check(mypy, tmp_path):
    # the value-type markers are plain int/float to a type checker; a wrong use is caught
    good = tmp_path / "good.py"
    good.write_text("import whisk\n"
                    "def add(a: whisk.i32, b: whisk.i32) -> tuple[whisk.i32, whisk.f64]:\n"
                    "    return a + b, a / 2\n"
                    "def log(caller: whisk.Caller, p: whisk.i32) -> None:\n"
                    "    print(caller.memory.read(p, 4))\n"
                    "linker = whisk.Linker()\n"
                    "linker.define('env', 'add', add)\n"
                    "linker.define('env', 'log', log)\n"
                    "ft: whisk.FuncType = whisk.func_type_of(add)\n")
    bad = tmp_path / "bad.py"
    bad.write_text("import whisk\n"
                   "def f(a: whisk.i32) -> whisk.i32:\n"
                   "    return a.upper()\n")
    assert mypy(str(good)).returncode == 0, mypy(str(good)).stdout
    out = mypy(str(bad)).stdout
    assert '"int" has no attribute "upper"' in out


def test_package_type_checks(mypy):
    p = mypy("src/whisk")
    assert p.returncode == 0, p.stdout + p.stderr
