"""Random operation sequences against the ownership model (issue 11, items 3 and 9): stores and
instances that share tables and globals, host functions and externref objects that only wasm
state holds, instances dropped and garbage collected, and a model that says what every table
slot and global must hold. Any freed-while-reachable reference shows up as a wrong value, a
wrong call result or a crash; each seed runs in a fresh interpreter."""

from __future__ import annotations

import pytest

from trustlib import run_isolated

PROGRAM = r'''
import random, weakref
rng = random.Random(SEED)
LIB = wat("""(module
  (type $v (func (result i32)))
  (table $t (export "t") 8 externref)
  (table $f (export "f") 8 funcref)
  (global $g (export "g") (mut externref) (ref.null extern))
  (global $gf (export "gf") (mut funcref) (ref.null func))
  (func (export "k") (result i32) (i32.const KVALUE))
  (func (export "set_t") (param i32 externref) (table.set $t (local.get 0) (local.get 1)))
  (func (export "get_t") (param i32) (result externref) (table.get $t (local.get 0)))
  (func (export "set_f") (param i32 funcref) (table.set $f (local.get 0) (local.get 1)))
  (func (export "call_f") (param i32) (result i32) (call_indirect $f (type $v) (local.get 0)))
  (func (export "set_g") (param externref) (global.set $g (local.get 0)))
  (func (export "set_gf") (param funcref) (global.set $gf (local.get 0)))
  (func (export "gf_to_f") (param i32) (table.set $f (local.get 0) (global.get $gf)))
  (func (export "pass") (param externref) (result externref) (local.get 0)))""")
USER = wat("""(module
  (type $v (func (result i32)))
  (import "lib" "t" (table $t 8 externref))
  (import "lib" "f" (table $f 8 funcref))
  (import "lib" "g" (global $g (mut externref)))
  (func (export "copy_t") (param i32 i32) (table.set $t (local.get 1) (table.get $t (local.get 0))))
  (func (export "g_to_t") (param i32) (table.set $t (local.get 0) (global.get $g)))
  (func (export "call_f") (param i32) (result i32) (call_indirect $f (type $v) (local.get 0))))""")

class Tag:
    def __init__(self, n): self.n = n

FT = whisk.FuncType([], ["i32"])
libs = []          # (instance or None once dropped, exports of tables/globals kept, model)
users = []
counter = [0]

def tag():
    counter[0] += 1
    return Tag(counter[0])

def func_value():
    # a fresh host function, or a wasm function of some lib (maybe dropped later)
    v = rng.randrange(10**6)
    alive = [lib for lib in libs if lib["k"] is not None]
    if rng.random() < 0.5 or not alive:
        return whisk.Func(FT, (lambda v: lambda: v)(v)), v
    lib = rng.choice(alive)
    return lib["k"], lib["kvalue"]

for step in range(STEPS):
    r = rng.random()
    if r < 0.08 or not libs:
        kvalue = rng.randrange(1000)
        m = whisk.Module(wasmtime.wat2wasm(LIB_TEXT.replace("KVALUE", str(kvalue))))
        stores = [lib["store"] for lib in libs if lib["store"] is not None]
        store = None if rng.random() < 0.5 or not stores else rng.choice(stores)
        inst = whisk.Instance(m, store=store)
        e = inst.exports
        libs.append({"inst": inst, "e": e, "t": e.t, "f": e.f, "g": e.g, "gf": e.gf,
                     "store": inst.store, "k": e.k, "kvalue": kvalue,
                     "mt": [None] * 8, "mf": [None] * 8, "mg": None, "mgf": None})
    elif r < 0.14:
        lib = rng.choice(libs)
        u = whisk.Instance(USER, {"lib": {"t": lib["t"], "f": lib["f"], "g": lib["g"]}})
        users.append((u, lib))
    elif r < 0.34:
        lib = rng.choice(libs)
        i = rng.randrange(8)
        v = tag() if rng.random() < 0.8 else None
        how = rng.randrange(3) if lib["e"] is not None else 1
        if how == 0:
            lib["e"].set_t(i, v)
        elif how == 1:
            lib["t"][i] = v
        else:
            lib["e"].set_t(i, lib["e"]["pass"](v))
        lib["mt"][i] = v
        del v
    elif r < 0.50:
        lib = rng.choice(libs)
        i = rng.randrange(8)
        f, val = func_value()
        how = rng.randrange(3) if lib["e"] is not None else 1
        if how == 0:
            lib["e"].set_f(i, f)
        elif how == 1:
            lib["f"][i] = f
        else:
            lib["e"].set_gf(f)
            lib["e"].gf_to_f(i)
            lib["mgf"] = val
        lib["mf"][i] = val
        del f
    elif r < 0.58:
        lib = rng.choice(libs)
        v = tag()
        if lib["e"] is not None and rng.random() < 0.5:
            lib["e"].set_g(v)
        else:
            lib["g"].value = v
        lib["mg"] = v
        del v
    elif r < 0.66 and users:
        u, lib = rng.choice(users)
        a, b = rng.randrange(8), rng.randrange(8)
        if rng.random() < 0.5:
            u.exports.copy_t(a, b)
            lib["mt"][b] = lib["mt"][a]
        else:
            u.exports.g_to_t(b)
            lib["mt"][b] = lib["mg"]
    elif r < 0.74:
        # drop an instance: its tables and globals stay reachable through the model
        lib = rng.choice(libs)
        lib["inst"] = lib["e"] = lib["k"] = lib["store"] = None
    elif r < 0.80:
        gc.collect()
        junk = [whisk.Func(whisk.FuncType(["i64"], []), lambda x: None) for _ in range(200)]
        junk += [Tag(-1) for _ in range(200)]
        del junk
    # check a random lib against the model
    lib = rng.choice(libs)
    for i in range(8):
        got = lib["t"][i]
        assert got is lib["mt"][i], (step, i, got, lib["mt"][i])
        want = lib["mf"][i]
        fv = lib["f"][i]
        if want is None:
            assert fv is None
        else:
            assert fv() == want, (step, i)
    assert lib["g"].value is lib["mg"]
    for u, ulib in users[-3:]:
        i = rng.randrange(8)
        if ulib["mf"][i] is not None:
            assert u.exports.call_f(i) == ulib["mf"][i]
print("steps", STEPS, "libs", len(libs), "users", len(users))
'''


@pytest.mark.parametrize("seed", range(6))
def test_random_ownership(seed):
    lib_text = PROGRAM.split('LIB = wat("""', 1)[1].split('""")', 1)[0]
    code = PROGRAM.replace("SEED", str(seed)).replace("STEPS", "1500")
    code = code.replace('LIB = wat("""', 'LIB_TEXT = """', 1).replace('""")\nUSER', '"""\nUSER', 1)
    out = run_isolated(code)
    assert "steps 1500" in out
