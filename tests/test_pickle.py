"""Pickling (issue 14): a Module pickles as its binary and features, so it can go to worker
processes (multiprocessing, ProcessPoolExecutor, Dask); an Instance and the runtime objects
refuse, with a TypeError that says why."""

from __future__ import annotations

import copy
import pickle
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pytest

import whisk

ROOT = Path(__file__).resolve().parent.parent
SIEVE = (ROOT / "benchmarks" / "kernels" / "sieve.wasm").read_bytes()
COLLATZ = (ROOT / "examples" / "collatz.wasm").read_bytes()
PROTOCOLS = range(2, pickle.HIGHEST_PROTOCOL + 1)


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_module_roundtrip_behaves_the_same(protocol):
    m = whisk.Module(SIEVE)
    m2 = pickle.loads(pickle.dumps(m, protocol=protocol))
    assert type(m2) is whisk.Module and m2 is not m
    assert m2._binary == SIEVE
    assert m2.exports == m.exports and m2.imports == m.imports
    assert m2.features == whisk.Features.all()
    run1 = whisk.Instance(m).exports["run"]
    run2 = whisk.Instance(m2).exports["run"]
    assert run2(3) == run1(3) != 0


@pytest.mark.parametrize("features", [whisk.Features.wasm2(), whisk.Features(tail_call=False),
                                      whisk.Features.only([])])
def test_module_pickle_keeps_features(features):
    m2 = pickle.loads(pickle.dumps(whisk.Module(COLLATZ, features=features)))
    assert m2.features == features
    # and the features still apply: a 3.0 module is refused by the unpickled copy's features
    tail = bytes.fromhex("0061736d01000000010401600000030201000a0601040012000b")  # return_call 0
    whisk.Module(tail)
    if "tail_call" not in features:
        with pytest.raises(whisk.DecodeError, match="tail calls are not enabled"):
            whisk.Module(tail, features=m2.features)


def test_pickle_is_the_binary_plus_a_little():
    m = whisk.Module(SIEVE)
    data = pickle.dumps(m)
    assert SIEVE in data                       # the binary itself, not the lowered code
    assert len(data) < len(SIEVE) + 200


def test_module_from_bytearray_keeps_its_own_copy():
    source = bytearray(COLLATZ)
    m = whisk.Module(source)
    source[:4] = b"junk"
    assert pickle.loads(pickle.dumps(m))._binary == COLLATZ


def test_module_copy_and_deepcopy():
    m = whisk.Module(COLLATZ)
    for c in (copy.copy(m), copy.deepcopy(m)):
        assert whisk.Instance(c).exports["steps"](27) == 111


def test_instance_refuses_with_the_reason():
    inst = whisk.Instance(whisk.Module(SIEVE))
    with pytest.raises(TypeError, match=r"cannot pickle a whisk\.Instance: .*live memories.*"
                                        r"pickle the whisk\.Module instead"):
        pickle.dumps(inst)


def test_runtime_objects_refuse_with_the_reason():
    inst = whisk.Instance(whisk.Module(SIEVE))
    objects = {"Store": inst.store, "Func": inst.exports["run"],
               "Memory": inst.exports["memory"], "Global": whisk.Global("i32", 7),
               "Table": whisk.Table("funcref", 1),
               "Tag": whisk.Tag(whisk.FuncType(["i32"], []))}
    for name, obj in objects.items():
        for protocol in PROTOCOLS:
            with pytest.raises(TypeError, match=rf"cannot pickle a whisk\.{name}: it is live "
                                                r"runtime state.*pickle the whisk\.Module"):
                pickle.dumps(obj, protocol=protocol)
    with pytest.raises(TypeError, match=r"cannot pickle a whisk\.(Memory|Func)"):
        pickle.dumps(inst.exports)             # the mapping pickles its items: refused too


def _steps_in_worker(module, n):
    return whisk.Instance(module).exports["steps"](n)


def test_module_goes_to_a_process_pool():
    module = whisk.Module(COLLATZ)
    with ProcessPoolExecutor(max_workers=1) as pool:
        assert list(pool.map(_steps_in_worker, [module] * 3, [1, 27, 97])) == [0, 111, 118]


class MyModule(whisk.Module):
    """A subclass pickles as itself."""


def test_subclass_pickles_as_itself():
    m = pickle.loads(pickle.dumps(MyModule(COLLATZ, features=whisk.Features.wasm2())))
    assert type(m) is MyModule and m.features == whisk.Features.wasm2()
    m = pickle.loads(pickle.dumps(MyModule(COLLATZ)))
    assert type(m) is MyModule and m.features == whisk.Features.all()
