"""The dynamic instruction mix (whisk.opmix, run --op-mix): counted by a profile build only
(WHISK_PROFILE=1 python setup.py build_ext --inplace --force); the normal build's loop has no
counter. Each test runs against the build at hand; the other build's tests skip."""

from pathlib import Path

import pytest

import whisk
from whisk import cli, opmix
from whisk._core import runtime

ROOT = Path(__file__).resolve().parents[2]
COLLATZ = str(ROOT / "examples" / "collatz.wasm")
profile = pytest.mark.skipif(not opmix.available(), reason="not a profile build (WHISK_PROFILE=1)")
normal = pytest.mark.skipif(opmix.available(), reason="a profile build (WHISK_PROFILE=1)")


@normal
def test_the_normal_build_counts_nothing(capsys):
    assert runtime.op_counts() is None and runtime.op_counts(pairs=True) is None
    runtime.reset_op_counts()                       # a no-op
    with pytest.raises(RuntimeError, match="profile build"):
        opmix.counts()
    assert cli.main(["run", "--op-mix", "--invoke", "steps", COLLATZ, "27"]) == 1
    assert "--op-mix needs a profile build" in capsys.readouterr().err


@profile
def test_the_mix_of_collatz():
    """steps(27) takes 111 loop iterations (the Collatz sequence of 27: 111 steps to 1), each
    one i64.and / i64.eqz / br_eqz / i32.add / br; 70 of them halve, 41 take 3n + 1."""
    steps = whisk.Instance(whisk.Module.from_file(COLLATZ)).exports["steps"]
    opmix.reset()
    assert steps(27) == 111
    ops, pairs = opmix.counts(), opmix.pair_counts()
    assert ops["i64_and_ri"] == ops["i64_eqz"] == ops["br_eqz"] == ops["br_back"] == 111
    assert ops["br_i64_le_u_ri"] == 112 and ops["return"] == 1
    assert ops["i64_shr_u_ri"] == 70 and ops["i64_mul_ri"] == ops["i64_add_ri"] == 41
    assert pairs[("i64_eqz", "br_eqz")] == 111
    assert sum(pairs.values()) == sum(ops.values()) - 1  # each dispatch but the first ends one
    raw = runtime.op_counts(reset=True)
    assert sum(raw.values()) == sum(ops.values())
    assert opmix.counts() == {}


@profile
def test_run_op_mix(capsys):
    assert cli.main(["run", "--op-mix", "--op-mix-top", "3", "--invoke", "steps", COLLATZ,
                     "27"]) == 0
    out, err = capsys.readouterr()
    assert out == "111\n"
    lines = err.splitlines()
    assert lines[0] == "instruction mix: 1002 ops dispatched, 12 distinct"
    assert len(lines) == 1 + 3 + 1 + 3 and lines[4].startswith("op pairs")
    assert lines[1].split()[0] == "112"
