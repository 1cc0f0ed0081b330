"""Spec test runner for whisk: runs the official WebAssembly ``.wast`` scripts.

Modules:

* :mod:`spectest.sexpr`   -- S-expression tokenizer/parser;
* :mod:`spectest.script`  -- script commands and value conversions (raw bits);
* :mod:`spectest.cache`   -- wat2wasm with an on-disk cache;
* :mod:`spectest.host`    -- the ``spectest`` host module;
* :mod:`spectest.engines` -- engine adapters (``whisk``, ``wasmtime``);
* :mod:`spectest.runner`  -- running scripts, isolation, reporting, command line.

Command line: ``python -m spectest FILES... [--engine whisk|wasmtime] [-v]``.
"""

from .runner import FileResult, main, run_file, run_files, run_script
from .script import parse_script

__all__ = ["FileResult", "main", "run_file", "run_files", "run_script", "parse_script"]
