"""The generated core files (ops.pxd, optable.pxi, loop.pxi, simd.pxi) match their sources."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_generated_files_are_current():
    r = subprocess.run([sys.executable, str(ROOT / "tools" / "gen_core.py"), "--check"],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr


def test_every_regular_table_op_has_a_dispatch_arm():
    sys.path.insert(0, str(ROOT / "tools"))
    try:
        import gen_core
    finally:
        sys.path.pop(0)
    regular, _ = gen_core.regular_ops()
    loop = (ROOT / "src" / "whisk" / "_core" / "loop.pxi").read_text()
    names = {op.name for op, _ in regular}
    # every numeric, conversion, load and store instruction of the table is a generated arm
    for op in gen_core.OPS:
        if op.prefix == gen_core.PREFIX_FD:
            continue
        if op.params is not None and op.imm in ("", "memarg") and op.results is not None \
                and len(op.params) in (1, 2) and len(op.results) <= 1 and op.name not in (
                    "memory.grow",):
            assert op.name in names, op.name
            assert f"op == OP_{op.ident}:" in loop


def test_every_simd_op_has_a_declaration_and_an_arm():
    sys.path.insert(0, str(ROOT / "tools"))
    try:
        import gen_core
    finally:
        sys.path.pop(0)
    simd = (ROOT / "src" / "whisk" / "_core" / "simd.pxi").read_text()
    ops = gen_core.simd_ops()
    assert len([op for op in ops if op.feature == "simd"]) == 236       # fixed-width SIMD of 2.0
    assert len([op for op in ops if op.feature == "relaxed_simd"]) == 20  # relaxed SIMD of 3.0
    for op in ops:
        # simd.h defines each one; a missing definition fails the build or the import
        assert f" {op.ident}(" in simd and f"op == OP_{op.ident}:" in simd, op.name
