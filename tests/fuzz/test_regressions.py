"""Replays every finding saved in tests/fuzz/regressions/ by the fuzzers in tools/fuzz.

``diff-*.wasm`` (differential): whisk and wasmtime must agree on the module, linked to the
``.provider`` module of the same name if there is one (skipped without wasmtime). ``dec-*.wasm`` (decoder): whisk, in a subprocess, must accept exactly when
``wasm-tools validate --features wasm2`` does and raise nothing but DecodeError /
ValidationError (skipped without wasm-tools). A note whose text contains the line
``status: open`` marks a bug that is known and not fixed yet: its test is an expected failure.
A note's line ``features: <set>`` names the feature set (``common.FEATURE_SETS``) the finding
replays with: whisk's Features, wasmtime's Config and the wasm-tools oracle all follow it; without
one, ``wasm2``.
"""

from __future__ import annotations

import os

import pytest

import _fuzzpath  # noqa: F401
import common

FILES = sorted(f for f in os.listdir(common.REGRESSIONS)
               if f.endswith(".wasm") and not f.startswith(".")) \
    if os.path.isdir(common.REGRESSIONS) else []


def _note(name):
    path = os.path.join(common.REGRESSIONS, name[:-5] + ".txt")
    return open(path).read() if os.path.exists(path) else ""


def _features(name):
    for line in _note(name).splitlines():
        if line.startswith("features:"):
            return line.split(":", 1)[1].strip()
    return "wasm2"


def _params():
    for name in FILES:
        text = _note(name)
        marks = [pytest.mark.xfail(reason="known open bug (see the .txt note)", strict=False)] \
            if "status: open" in text.splitlines() else []
        yield pytest.param(name, marks=marks, id=name[:-5])


@pytest.mark.parametrize("name", list(_params()))
def test_regression(name):
    with open(os.path.join(common.REGRESSIONS, name), "rb") as f:
        wasm = f.read()
    if name.startswith("diff-"):
        if not common.have_wasmtime():
            pytest.skip("needs wasmtime")
        import differential
        provider = os.path.join(common.REGRESSIONS, name[:-5] + ".provider")
        linked = open(provider, "rb").read() if os.path.exists(provider) else None
        diff = differential.check(wasm, linked=linked,
                                  fs=common.feature_set(_features(name), differential=True))
        if diff == "skip":
            pytest.skip("wasmtime does not compile this module")
        assert diff is None, diff
    else:
        if common.wasm_tools() is None:
            pytest.skip("needs wasm-tools")
        import decoder
        features = _features(name)
        worker = decoder.Worker(features)
        try:
            verdict = worker.judge(wasm, timeout=60)
        finally:
            worker.stop()
        ref = common.validate_one(wasm, common.feature_set(features).validate)
        assert decoder.finding_of(verdict, ref) is None, (verdict, ref)
