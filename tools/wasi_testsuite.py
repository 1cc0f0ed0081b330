"""Run the official WASI test suite (github.com/WebAssembly/wasi-testsuite) against whisk.

The suite's prebuilt tests live on its ``prod/testsuite-base`` branch::

    git clone -b prod/testsuite-base https://github.com/WebAssembly/wasi-testsuite /tmp/wasi-testsuite
    python tools/wasi_testsuite.py /tmp/wasi-testsuite            # every wasm32-wasip1 folder
    python tools/wasi_testsuite.py /tmp/wasi-testsuite/tests/rust/testsuite/wasm32-wasip1 -k path_open
    python tools/wasi_testsuite.py -v /tmp/wasi-testsuite         # show why each failure failed

CI runs it on a pinned commit of that branch (9f80ca35: 46 Rust, 14 C and 12 AssemblyScript
tests, 72 in all, all passing; the suite's own runner with this adapter agrees).

Each ``NAME.wasm`` runs as ``python -m whisk run [--env K=V]... [--dir ROOT::/] NAME.wasm
ARGS...`` according to ``NAME.json`` (the suite's test-runner reads the same files; this is its
``adapters/wasmtime.py`` spelled for whisk): ``args``, ``env``, ``root`` (a directory next to the
test, preopened as ``/``), the expected ``exit_code`` (default 0) and ``stdout`` / ``stderr``
prefixes; or the newer ``operations`` list, of which ``run``, ``read`` and ``wait`` are supported
(tests needing sockets or HTTP are reported as skipped). Files and directories named
``*.cleanup`` under the root are removed before and after each test, as the suite's runner does.

The report is one line per folder: ``passed/total`` (and the skipped ones), then the failed test
names. The exit status is 1 if any test failed.

The file is also a runtime adapter for the suite's own runner (the functions ``get_name``,
``get_version``, ``get_wasi_versions``, ``get_wasi_worlds``, ``compute_argv`` of its
``adapters/*.py``)::

    cd /tmp/wasi-testsuite && python test-runner/wasi_test_runner.py \
        -t tests/rust/testsuite/wasm32-wasip1 -r /path/to/whisk/tools/wasi_testsuite.py

(that runner first runs the adapter as ``python ADAPTER --version`` and expects no output, to
tell module adapters from old script ones: so ``--version`` alone does nothing here). It needs
Python 3.12 or later; set ``WHISK="/path/to/python -m whisk"`` when that is not the Python
whisk is installed in.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, NamedTuple

#: Seconds a test may run before it counts as failed.
TIMEOUT = 60
#: The WASI version whose folders are run.
VERSION = "wasm32-wasip1"
#: How to start whisk: ``$WHISK`` if set (like the suite's ``$WASMTIME``), else this Python.
WHISK = shlex.split(os.environ.get("WHISK", ""), posix=os.name != "nt") or [
    sys.executable, "-m", "whisk"]


class Outcome(NamedTuple):
    name: str
    status: str             # "pass", "fail" or "skip"
    detail: str = ""


def whisk_argv(wasm: Path | str, args: list[str], env: dict[str, str],
               root: Path | str | None) -> list[str]:
    """The command line that runs ``wasm`` under whisk (the adapter)."""
    argv = [*WHISK, "run"]
    for key, value in env.items():
        argv += ["--env", f"{key}={value}"]
    if root is not None:
        argv += ["--dir", f"{root}::/"]
    return argv + [str(wasm), *args]


# --- the adapter interface of the suite's test-runner (see its adapters/wasmtime.py) ----------

def get_name() -> str:
    return "whisk"


def get_version() -> str:
    out = subprocess.run([WHISK[0], "-c", "import whisk; print(whisk.__version__)"],
                         capture_output=True, text=True)
    return out.stdout.strip() if out.returncode == 0 else "?"


def get_wasi_versions() -> list[str]:
    return [VERSION]


def get_wasi_worlds() -> list[str]:
    return ["wasi:cli/command"]


def get_timeout_seconds() -> float:
    return float(TIMEOUT)


def compute_argv(test_path: str, args_env_root: tuple[list[str], dict[str, str], Any],
                 proposals: list[str], wasi_world: str, wasi_version: str) -> list[str]:
    args, env, root = args_env_root
    return whisk_argv(test_path, list(args), dict(env), root)


def operations(spec: dict[str, Any]) -> list[dict[str, Any]] | None:
    """The test's operations (the legacy keys turned into run/read/wait), or None if it needs
    an operation this runner does not do."""
    if "operations" in spec or "proposals" in spec or "servers" in spec:
        ops = spec.get("operations") or [{"type": "run"}, {"type": "wait"}]
        if spec.get("proposals") or spec.get("servers"):
            return None
        if any(op.get("type") not in ("run", "read", "wait") for op in ops):
            return None
        return ops
    ops = [{"type": "run", **{k: spec[k] for k in ("args", "env", "root") if k in spec}}]
    for stream in ("stdout", "stderr"):
        if spec.get(stream) is not None:
            ops.append({"type": "read", "id": stream, "payload": spec[stream]})
    ops.append({"type": "wait", "exit_code": spec.get("exit_code", 0)})
    return ops


def cleanup(root: Path) -> None:
    """Remove the ``*.cleanup`` files and directories a test left under ``root``."""
    for path in root.glob("**/*.cleanup"):
        if path.is_symlink():
            path.unlink()
        elif path.is_dir():
            shutil.rmtree(path)
        elif path.exists():
            path.unlink()


def run_test(wasm: Path) -> Outcome:
    """Run one test as its .json says."""
    name = wasm.stem
    spec_file = wasm.with_suffix(".json")
    spec = json.loads(spec_file.read_text(encoding="utf-8")) if spec_file.exists() else {}
    ops = operations(spec)
    if ops is None:
        return Outcome(name, "skip", "needs sockets or HTTP")
    failures: list[str] = []
    out = err = ""
    reads = {"stdout": 0, "stderr": 0}
    code: int | None = None
    roots: list[Path] = []
    try:
        for op in ops:
            kind = op["type"]
            if kind == "run":
                root = wasm.parent / op["root"] if op.get("root") else None
                if root is not None:
                    cleanup(root)
                    roots.append(root)
                argv = whisk_argv(wasm, list(op.get("args", [])), dict(op.get("env", {})), root)
                try:
                    proc = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True,
                                          timeout=TIMEOUT)
                except subprocess.TimeoutExpired:
                    return Outcome(name, "fail", f"timeout after {TIMEOUT}s")
                out = proc.stdout.decode("utf-8", "replace")
                err = proc.stderr.decode("utf-8", "replace")
                code = proc.returncode
                reads = {"stdout": 0, "stderr": 0}
            elif kind == "read":
                stream = op.get("id", "stdout")
                payload = op.get("payload", "")
                text = out if stream == "stdout" else err
                got = text[reads[stream]:reads[stream] + len(payload)]
                reads[stream] += len(payload)
                if got != payload:
                    failures.append(f"{stream}: expected {payload!r}, got {got!r}")
            elif kind == "wait":
                expected = op.get("exit_code", 0)
                if code != expected:
                    failures.append(f"exit code: expected {expected}, got {code}")
    finally:
        for root in roots:
            cleanup(root)
    if failures:
        detail = "; ".join(failures)
        if out.strip():
            detail += f"\n      stdout: {out.strip()[-400:]}"
        if err.strip():
            detail += f"\n      stderr: {err.strip()[-800:]}"
        return Outcome(name, "fail", detail)
    return Outcome(name, "pass")


def folders(path: Path) -> list[Path]:
    """The test folders under ``path``: ``path`` itself if it holds .wasm files, else every
    ``*/testsuite/wasm32-wasip1`` below it."""
    if any(path.glob("*.wasm")):
        return [path]
    return sorted(p for p in path.glob(f"**/testsuite/{VERSION}") if p.is_dir())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("path", type=Path, help="a wasi-testsuite checkout, or one test folder")
    parser.add_argument("-k", metavar="TEXT", help="run only the tests whose name contains TEXT")
    parser.add_argument("-v", "--verbose", action="store_true", help="print why tests failed")
    opts = parser.parse_args(argv)
    found = folders(opts.path)
    if not found:
        parser.error(f"no {VERSION} test folders under {opts.path}")
    any_failed = False
    total_passed = total_ran = 0
    for folder in found:
        start = time.monotonic()
        results = [run_test(wasm) for wasm in sorted(folder.glob("*.wasm"))
                   if opts.k is None or opts.k in wasm.stem]
        passed = [r for r in results if r.status == "pass"]
        failed = [r for r in results if r.status == "fail"]
        skipped = [r for r in results if r.status == "skip"]
        ran = len(passed) + len(failed)
        label = folder.relative_to(opts.path) if folder != opts.path else folder
        extra = f", {len(skipped)} skipped" if skipped else ""
        print(f"{label}: {len(passed)}/{ran} passed{extra} ({time.monotonic() - start:.0f}s)")
        for r in failed:
            print(f"  FAIL {r.name}" + (f": {r.detail}" if opts.verbose else ""))
        for r in skipped:
            if opts.verbose:
                print(f"  skip {r.name}: {r.detail}")
        any_failed = any_failed or bool(failed)
        total_passed += len(passed)
        total_ran += ran
    if len(found) > 1:
        print(f"total: {total_passed}/{total_ran} passed")
    return 1 if any_failed else 0


if __name__ == "__main__":
    if sys.argv[1:] == ["--version"]:      # the suite runner's probe for module adapters
        sys.exit(0)
    sys.exit(main())
