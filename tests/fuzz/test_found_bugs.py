"""Regression tests for bugs the fuzzers in tools/fuzz found and that were fixed (the inputs
themselves are too large to keep in tests/fuzz/regressions/)."""

from __future__ import annotations

import pytest
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


#: Modules whose repeated loading corrupted the heap (differential seed 4 case 2004, shrunk;
#: seed 401 case 3316).
_HEAP = ("dec-58a02c73aa8f", "dec-329537f48e21")


def _open(name):
    # whether the finding's note in tests/fuzz/regressions marks it as a known, unfixed bug
    import os
    note = os.path.join(os.path.dirname(os.path.abspath(__file__)), "regressions", name + ".txt")
    return "status: open" in open(note).read().splitlines()


@pytest.mark.parametrize("name", [
    pytest.param(n, marks=[pytest.mark.xfail(reason=f"known open bug (tests/fuzz/regressions/"
                                                    f"{n}.txt)", strict=False)] if _open(n) else [])
    for n in _HEAP])
def test_repeated_loads_do_not_corrupt_the_heap(name):
    # differential.py --features wasm3 (seed 4, case 2004): the campaign process aborted with
    # glibc's "corrupted size vs. prev_size". Loading the shrunk module (a 2.0 + memory64 module)
    # repeatedly aborts the process: heap memory is overwritten while a module is loaded (since
    # the merge of feat-ref; main before it loads it cleanly). The loads run in a subprocess, with
    # Python's allocations on glibc malloc (PYTHONMALLOC=malloc) so that its checks see the damage
    # reliably, and an abort fails this test instead of ending pytest.
    import os
    import subprocess
    import sys

    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "regressions", name + ".wasm")
    code = ("import gc, sys, whisk\n"
            "data = open(sys.argv[1], 'rb').read()\n"
            "for _ in range(100):\n"
            "    whisk.Module(data)\n"
            "    gc.collect()\n"
            "print('loaded')\n")
    proc = subprocess.run([sys.executable, "-c", code, path], capture_output=True, timeout=300,
                          env={**os.environ, "PYTHONMALLOC": "malloc"})
    assert proc.returncode == 0 and proc.stdout.strip() == b"loaded", \
        (proc.returncode, proc.stderr[-500:])


def test_i31ref_value_of_a_negative_i31():
    # found by differential.py --features gc (on main e357146): repr() of an i31ref result
    # raised OverflowError, as I31Ref.value converted through int32_t from a value above
    # INT32_MAX (src/whisk/_core/gcref.pxi); fixed in 01e7853.
    # I31Ref(-1).value (i31.get_s) must be -1, .unsigned (i31.get_u) 0x7FFFFFFF.
    if not hasattr(whisk, "I31Ref"):
        pytest.skip("whisk has no GC handles")
    r = whisk.I31Ref(-1)
    assert r.unsigned == 0x7FFFFFFF
    assert r.value == -1 and int(r) == -1 and repr(r) == "<whisk.I31Ref -1>"
    assert whisk.I31Ref(-(1 << 30)).value == -(1 << 30)
    assert whisk.I31Ref(0x40000000).value == -(1 << 30)      # the low 31 bits, sign-extended
    assert whisk.I31Ref((1 << 30) - 1).value == (1 << 30) - 1
