"""Regression tests for bugs the fuzzers in tools/fuzz found and that were fixed (the inputs
themselves are too large to keep in tests/fuzz/regressions/)."""

from __future__ import annotations

import whisk
from whisk.structure import ModuleStruct

import _fuzzpath  # noqa: F401
from common import section as _section, uleb as _leb


def test_constant_expressions_do_not_rebuild_the_global_types(monkeypatch):
    # decoder.py (limit probe, 1 000 000 globals): loading took more than 120 s, because every
    # constant expression (global initialiser, element item, offset) rebuilt the list of global
    # types: quadratic in globals x (globals + element items); 40 000 globals took 73 s.
    calls = []
    original = ModuleStruct.global_types

    def counting(self):
        calls.append(1)
        return original(self)

    monkeypatch.setattr(ModuleStruct, "global_types", counting)
    n = 2000
    globals_ = _section(6, _leb(n) + b"\x7f\x00\x41\x00\x0b" * n)              # i32 = 0
    table = _section(4, b"\x01\x70\x00" + _leb(n))
    elems = _section(9, b"\x01\x05\x70" + _leb(n) + b"\xd0\x70\x0b" * n)       # passive, exprs
    module = whisk.Module(b"\0asm\1\0\0\0" + table + globals_ + elems)
    assert len(module.exports) == 0
    assert len(calls) < 10, len(calls)
