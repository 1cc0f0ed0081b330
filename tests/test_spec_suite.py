"""The official WebAssembly 2.0 spec tests against whisk: one test per ``.wast`` file (SIMD included).

The test suite directory is ``$WHISK_TESTSUITE`` (default: ``../shared/wasm-testsuite`` relative
to the repository root); its ``wasm-2.0/`` folder holds the scripts.  Each file runs in its own
subprocess (``$WHISK_SPEC_TIMEOUT`` seconds, default 120) so that a hang or a crash fails only
that file.  Skipped commands (text-format errors, see ``spectest.runner``) do not fail a file.
"""

import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from spectest.runner import run_files  # noqa: E402

SUITE = Path(os.environ.get("WHISK_TESTSUITE") or (ROOT.parent / "shared" / "wasm-testsuite"))
# ../shared/wasm-testsuite keeps the 2.0 scripts in wasm-2.0/; a checkout of WebAssembly/testsuite
# holds them at its top level
WAST_DIR = SUITE / "wasm-2.0" if (SUITE / "wasm-2.0").is_dir() else SUITE
TIMEOUT = float(os.environ.get("WHISK_SPEC_TIMEOUT", "120"))
FILES = sorted(WAST_DIR.glob("*.wast")) if WAST_DIR.is_dir() else []
SHOWN = 25


@pytest.mark.skipif(not FILES, reason=f"spec test suite not found at {WAST_DIR} (set WHISK_TESTSUITE "
                                      f"to a checkout of WebAssembly/testsuite)")
@pytest.mark.parametrize("path", FILES or [None], ids=lambda p: p.stem if p else "none")
def test_spec_file(path):
    [result] = run_files([str(path)], "whisk", jobs=1, timeout=TIMEOUT)
    if not result.ok:
        lines = [result.summary()]
        lines += [f"  line {line}: {kind}: {reason}" for line, kind, reason in result.failures[:SHOWN]]
        more = result.failed - (1 if result.error else 0) - min(SHOWN, len(result.failures))
        if more > 0:
            lines.append(f"  ... {more} more failures")
        pytest.fail("\n".join(lines), pytrace=False)
