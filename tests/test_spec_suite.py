"""The official WebAssembly spec tests against whisk: one test per ``.wast`` file.

* WebAssembly 2.0 (SIMD included): every ``wasm-2.0/*.wast``; all must pass.
* WebAssembly 3.0: every ``.wast`` under ``wasm-3.0/`` (GC's ``core/gc/`` included).
  Files listed in ``tests/spec3_known_failures.txt`` (3.0 is being implemented) run as
  ``xfail(strict=True)``: a listed file that passes fails the test until it is removed from the
  list; every other file must pass.  ``python tests/test_spec_suite.py --update-known-failures``
  rewrites the list from a run of the suite.

The suites: ``$WHISK_TESTSUITE`` (default: ``../shared/wasm-testsuite`` relative to the
repository root) holds ``wasm-2.0/`` and ``wasm-3.0/``; a checkout of WebAssembly/testsuite at
the 2.0 tag holds the 2.0 scripts at its top level instead.  ``$WHISK_TESTSUITE_3`` overrides
the 3.0 folder (e.g. the ``test/`` folder of a WebAssembly/spec checkout: the same layout,
``core/``, ``legacy/``, ``custom/``).  Tests skip when a suite is not there.

Each file runs in its own subprocess (``$WHISK_SPEC_TIMEOUT`` seconds, default 120) so that a
hang or a crash fails only that file.  Skipped commands (text-format errors, see
``spectest.runner``) do not fail a file.
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
WAST2_DIR = SUITE / "wasm-2.0" if (SUITE / "wasm-2.0").is_dir() else SUITE
WAST3_DIR = Path(os.environ.get("WHISK_TESTSUITE_3") or (SUITE / "wasm-3.0"))
KNOWN_FAILURES = Path(__file__).with_name("spec3_known_failures.txt")
EXCLUDED_3: tuple[str, ...] = ()      # folders of wasm-3.0/ not run (none)
TIMEOUT = float(os.environ.get("WHISK_SPEC_TIMEOUT", "120"))
SHOWN = 25


def _files3():
    if not (WAST3_DIR / "core").is_dir():
        return []
    rel = (p.relative_to(WAST3_DIR).as_posix() for p in WAST3_DIR.rglob("*.wast"))
    return sorted(r for r in rel if not r.startswith(EXCLUDED_3))


def _known_failures():
    lines = KNOWN_FAILURES.read_text("utf-8").splitlines()
    return [s for s in (line.strip() for line in lines) if s and not s.startswith("#")]


FILES2 = sorted(WAST2_DIR.glob("*.wast")) if WAST2_DIR.is_dir() else []
FILES3 = _files3()
KNOWN = set(_known_failures())


def _run(path: Path) -> None:
    [result] = run_files([str(path)], "whisk", jobs=1, timeout=TIMEOUT)
    if not result.ok:
        lines = [result.summary()]
        lines += [f"  line {line}: {kind}: {reason}" for line, kind, reason in result.failures[:SHOWN]]
        more = result.failed - (1 if result.error else 0) - min(SHOWN, len(result.failures))
        if more > 0:
            lines.append(f"  ... {more} more failures")
        pytest.fail("\n".join(lines), pytrace=False)


@pytest.mark.skipif(not FILES2, reason=f"spec test suite 2.0 not found at {WAST2_DIR} (set WHISK_TESTSUITE "
                                       f"to a checkout of WebAssembly/testsuite)")
@pytest.mark.parametrize("path", FILES2 or [None], ids=lambda p: p.stem if p else "none")
def test_spec_2_0(path):
    _run(path)


_XFAIL = pytest.mark.xfail(strict=True, reason="listed in tests/spec3_known_failures.txt (3.0 is "
                                               "being implemented; remove the line once it passes)")


@pytest.mark.skipif(not FILES3, reason=f"spec test suite 3.0 not found at {WAST3_DIR} (set "
                                       f"WHISK_TESTSUITE_3 to the test/ folder of WebAssembly/spec)")
@pytest.mark.parametrize("rel", [pytest.param(r, marks=_XFAIL) if r in KNOWN else r for r in FILES3] or [None],
                         ids=lambda r: r[:-5] if r else "none")
def test_spec_3_0(rel):
    _run(WAST3_DIR / rel)


@pytest.mark.skipif(not FILES3, reason="spec test suite 3.0 not found")
def test_known_failures_list_names_existing_files():
    """Every line of the list names a 3.0 file that the suite runs (no stale or misspelt entries)."""
    listed = _known_failures()
    assert sorted(set(listed) - set(FILES3)) == []
    assert len(listed) == len(set(listed)), "duplicate lines"


def update_known_failures() -> int:
    """Run the 3.0 files (not the excluded ones) and rewrite the list with those that fail."""
    header = [line for line in KNOWN_FAILURES.read_text("utf-8").splitlines() if line.startswith("#")]
    failing = []
    for rel, result in zip(FILES3, run_files([str(WAST3_DIR / r) for r in FILES3], "whisk", jobs=1,
                                             timeout=TIMEOUT)):
        print(result.summary(), flush=True)
        if not result.ok:
            failing.append(rel)
    KNOWN_FAILURES.write_text("\n".join(header + failing) + "\n", "utf-8")
    print(f"{len(failing)} of {len(FILES3)} files fail; wrote {KNOWN_FAILURES}")
    return 0


if __name__ == "__main__":
    if sys.argv[1:] != ["--update-known-failures"]:
        sys.exit(f"usage: python {sys.argv[0]} --update-known-failures")
    sys.exit(update_known_failures())
