"""Spec test runner for whisk: runs the official WebAssembly ``.wast`` scripts.

Modules:

* :mod:`spectest.convert` -- ``.wast`` -> JSON + module binaries (wasm-tools, WABT), cached;
* :mod:`spectest.script`  -- the script commands, read from that JSON;
* :mod:`spectest.values`  -- values (raw bits) and result patterns;
* :mod:`spectest.host`    -- the ``spectest`` host module;
* :mod:`spectest.engines` -- engine adapters (``whisk``, ``wasmtime``);
* :mod:`spectest.runner`  -- running scripts, isolation, reporting, command line.

Command line: ``python -m spectest FILES_OR_DIRS... [--engine whisk|wasmtime] [-v] [--by-folder]``.
"""

from .runner import FileResult, main, run_file, run_files, run_script
from .script import load_script

__all__ = ["FileResult", "main", "run_file", "run_files", "run_script", "load_script"]
