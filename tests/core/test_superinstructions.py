"""The superinstructions the lowering fuses from two wasm instructions (shr_u+and, shl+add,
a branch on and, a single result written by its producer or copied by return1): each must
compute what the two instructions compute, and the lowered code must use it."""

import wasmtime

import whisk
from whisk import disasm  # noqa: F401  (the module the inspect tool prints with)

WAT = """(module
  (func (export "shr_and") (param i32 i32) (result i32)
    local.get 0 local.get 1 i32.shr_u i32.const 0xff i32.and)
  (func (export "shr_and_k") (param i32) (result i32)
    local.get 0 i32.const 35 i32.shr_u i32.const 0x1f i32.and)
  (func (export "shl_add") (param i32 i32) (result i32)
    local.get 0 i32.const 3 i32.shl local.get 1 i32.add)
  (func (export "add_shl") (param i32 i32) (result i32)
    local.get 1 local.get 0 i32.const 34 i32.shl i32.add)
  (func (export "if_and") (param i32) (result i32)
    local.get 0 i32.const 0x80000001 i32.and
    if (result i32) i32.const 1 else i32.const 2 end)
  (func (export "br_if_and") (param i32) (result i32)
    block (result i32)
      i32.const 7
      local.get 0 i32.const 0x10 i32.and
      br_if 0
      drop i32.const 9
    end)
  (func (export "br_if_and2") (param i32) (result i32)
    block
      local.get 0 i32.const 0x10 i32.and
      br_if 0
      i32.const 9 return
    end
    i32.const 7)
  (func (export "and_eqz") (param i32) (result i32)
    local.get 0 i32.const 0xf0 i32.and i32.eqz)
  (func (export "if_and_eqz") (param i32) (result i32)
    local.get 0 i32.const 0x3 i32.and i32.eqz
    if (result i32) i32.const 1 else i32.const 2 end)
  (func (export "br_if_not_and") (param i32) (result i32)
    block
      local.get 0 i32.const 6 i32.and
      i32.eqz
      br_if 0
      i32.const 5 return
    end
    i32.const 6)
  (func (export "switch") (param i32) (result i32)
    block block block block
      local.get 0 i32.const -3 i32.add
      br_table 0 1 2 3
    end i32.const 10 return
    end i32.const 11 return
    end i32.const 12 return
    end i32.const 13)
  (func $add3 (param i32 i32 i32) (result i32)
    local.get 0 local.get 1 i32.sub local.get 2 i32.mul)
  (func (export "moves") (param i32 i32) (result i32)
    local.get 0 i32.const 7 local.get 1 call $add3
    i32.const 3 local.get 0 local.get 1 call $add3 i32.add
    i32.const 5 i32.const -6 local.get 1 call $add3 i32.add
    local.get 1 local.get 0 i32.const 9 call $add3 i32.add)
  (func (export "rot_xor") (param i32 i32) (result i32)
    local.get 0 i32.const 7 i32.rotl local.get 1 i32.xor
    local.get 1 local.get 0 i32.const 35 i32.shr_u i32.xor
    local.get 0 i32.const 3 i32.shl local.get 1 i32.xor
    i32.add i32.add)
  (func (export "ret_local") (param i32 i32) (result i32)
    local.get 1)
  (func (export "ret_reads_slot0") (param i32 i32) (result i32)
    local.get 1 local.get 0 i32.sub)
  (func (export "ret_i64") (param i64) (result i64)
    local.get 0 i64.const 3 i64.mul)
  (func (export "ret_early") (param i32) (result i32)
    local.get 0 i32.const 10 i32.gt_u
    if local.get 0 i32.const 1 i32.add return end
    local.get 0)
)"""

CASES = [
    ("shr_and", [(0xDEADBEEF, 4), (0xDEADBEEF, 36), (0x80000000, 31), (1, 0)]),
    ("shr_and_k", [(0xFFFFFFFF,), (0x12345678,)]),
    ("shl_add", [(1, 2), (0xFFFFFFFF, 0xFFFFFFFF), (0x20000000, 5)]),
    ("add_shl", [(1, 2), (0xFFFFFFFF, 1), (3, 0xFFFFFFF0)]),
    ("if_and", [(0,), (1,), (0x80000000,), (2,)]),
    ("br_if_and", [(0,), (0x10,), (0xFFFFFFEF,)]),
    ("br_if_not_and", [(0,), (2,), (9,)]),
    ("br_if_and2", [(0,), (0x10,), (0xFFFFFFEF,)]),
    ("and_eqz", [(0,), (0x10,), (0xFFFFFF0F,)]),
    ("if_and_eqz", [(0,), (1,), (4,)]),
    ("switch", [(0,), (2,), (3,), (4,), (5,), (6,), (0xFFFFFFFF,)]),
    ("moves", [(1, 2), (0xFFFFFFFF, 100)]),
    ("rot_xor", [(0x80000001, 0x12345678), (0xDEADBEEF, 0xFFFFFFFF), (0, 0)]),
    ("ret_local", [(1, 2)]),
    ("ret_reads_slot0", [(5, 3), (0, 0xFFFFFFFF)]),
    ("ret_i64", [(0x7FFFFFFFFFFFFFFF,), (5,)]),
    ("ret_early", [(3,), (11,), (0xFFFFFFFF,)]),
]


def _wasmtime_results(wasm):
    store = wasmtime.Store()
    inst = wasmtime.Instance(store, wasmtime.Module(store.engine, wasm), [])
    out = {}
    for name, args in CASES:
        f = inst.exports(store)[name]
        out[name] = [f(store, *[a - (1 << 32) if a >= 1 << 31 and name != "ret_i64" else a
                                for a in arg]) for arg in args]
    return out


def test_superinstructions_compute_what_the_pairs_compute():
    wasm = wasmtime.wat2wasm(WAT)
    expected = _wasmtime_results(wasm)
    inst = whisk.Instance(whisk.Module(wasm))
    for name, args in CASES:
        got = [getattr(inst.exports, name)(*arg) for arg in args]
        want = expected[name]
        mask = (1 << 64) - 1 if name == "ret_i64" else (1 << 32) - 1
        assert [g & mask for g in got] == [w & mask for w in want], name


def test_the_lowering_uses_them():
    from whisk._core import lower as _lower  # noqa: F401
    import subprocess
    import sys
    import tempfile
    with tempfile.NamedTemporaryFile(suffix=".wasm", delete=False) as f:
        f.write(wasmtime.wat2wasm(WAT))
    text = subprocess.run([sys.executable, "-m", "whisk", "inspect", "--lowered", f.name],
                          capture_output=True, text=True, check=True).stdout
    for op in ("i32_shr_u_and_ri", "i32_shl_add_ri", "br_and_eqz_ri", "br_and_nez_ri",
               "return1", "i32_and_eqz_ri", "br_table_add", "copy_const", "const_copy",
               "const_pair", "copy_pair", "i32_rotl_xor_ri", "i32_shr_u_xor_ri",
               "i32_shl_xor_ri"):
        assert op in text, op


MEM_WAT = """(module (memory (export "m") 1)
  (func (export "abs_load") (result i64) i32.const 8 i64.load offset=4)
  (func (export "abs_load_oob") (result i32) i32.const 65532 i32.load offset=2)
  (func (export "abs_store") (param f64) i32.const 100 local.get 0 f64.store offset=8)
  (func (export "abs_store_oob") (param i32) i32.const -1 local.get 0 i32.store8 offset=1)
  (func (export "imm_store") (param i32) local.get 0 i32.const 0x1234 i32.store16 offset=3)
  (func (export "imm_store64") (param i32) local.get 0 i64.const -2 i64.store)
  (func (export "imm_store_f32") (param i32) local.get 0 f32.const 1.5 f32.store)
  (func (export "add_imm_store") (param i32) local.get 0 i32.const 5 i32.add i32.const 0x1ff i32.store8 offset=1)
  (func (export "add_imm_wraps") (param i32) local.get 0 i32.const 16 i32.add i32.const 7 i32.store8)
  (func (export "idx_load") (param i32) (result i32)
    local.get 0 i32.const 2 i32.shl i32.const 8 i32.add i32.load offset=4)
  (func (export "idx_load_k") (param i32) (result i32)
    local.get 0 i32.const 33 i32.shl i32.const -4 i32.add i32.load16_u)
  (func (export "idx_tee") (param i32) (result i32) (local i32)
    local.get 0 i32.const 2 i32.shl local.tee 1 i32.const 8 i32.add i32.load
    local.get 1 i32.add))
"""


def _both(wasm):
    store = wasmtime.Store()
    wt = wasmtime.Instance(store, wasmtime.Module(store.engine, wasm), [])
    wh = whisk.Instance(whisk.Module(wasm))
    return store, wt.exports(store), wh.exports


def test_memory_variants_match_wasmtime():
    store, wt, wh = _both(wasmtime.wat2wasm(MEM_WAT))
    wmem, hmem = wt["m"], wh.m
    for k in range(64):
        wmem.write(store, bytes([k * 7 & 0xFF]), k)
    hmem[0:64] = bytes(k * 7 & 0xFF for k in range(64))
    assert wh.abs_load() & (2**64 - 1) == wt["abs_load"](store) & (2**64 - 1)
    calls = [("abs_store", 2.25), ("imm_store", 40), ("imm_store64", 48), ("imm_store_f32", 56),
             ("add_imm_store", 10), ("add_imm_wraps", 0xFFFFFFF8 - (1 << 32))]
    for name, arg in calls:
        wt[name](store, arg)
        getattr(wh, name)(arg & 0xFFFFFFFF if isinstance(arg, int) else arg)
    assert bytes(hmem[0:128]) == wmem.read(store, 0, 128)
    for name, arg in (("idx_load", 3), ("idx_load", 0x40000001), ("idx_load_k", 5),
                      ("idx_load_k", 2), ("idx_tee", 4)):
        got = getattr(wh, name)(arg)
        want = wt[name](store, arg - (1 << 32) if arg >= 1 << 31 else arg)
        assert got & 0xFFFFFFFF == want & 0xFFFFFFFF, (name, arg)
    text = whisk.disasm.listing(whisk.Module(wasmtime.wat2wasm(MEM_WAT)))
    assert "i32_load_idx" in text and "i32_load16_u_idx" in text
    for name, args in (("abs_load_oob", ()), ("abs_store_oob", (1,)), ("idx_load", (0x4000,))):
        try:
            wt[name](store, *args)
            raise AssertionError("wasmtime did not trap")
        except wasmtime.Trap:
            pass
        try:
            getattr(wh, name)(*args)
            raise AssertionError(f"{name} did not trap")
        except whisk.Trap as e:
            assert "out of bounds memory access" in str(e)


F64_WAT = """(module
  (func (export "mul_mul") (param f64 f64 f64) (result f64)
    local.get 0 local.get 1 f64.mul local.get 2 f64.mul)
  (func (export "r_mul_mul") (param f64 f64 f64) (result f64)
    local.get 2 local.get 0 local.get 1 f64.mul f64.mul)
  (func (export "sub_rsub") (param f64 f64 f64) (result f64)
    local.get 2 local.get 0 local.get 1 f64.sub f64.sub)
  (func (export "add_sub") (param f64 f64 f64) (result f64)
    local.get 0 local.get 1 f64.add local.get 2 f64.sub)
  (func (export "sub_mul") (param f64 f64 f64) (result f64)
    local.get 0 local.get 1 f64.sub local.get 2 f64.mul)
  (func (export "const_rmul") (param f64 f64 f64) (result f64)
    f64.const 0.5 local.get 0 local.get 1 f64.add f64.mul)
  (func (export "mul_add") (param f64 f64 f64) (result f64)
    local.get 0 local.get 1 f64.mul local.get 2 f64.add))
"""


def test_f64_pairs_round_like_two_ops():
    import math
    import struct
    wasm = wasmtime.wat2wasm(F64_WAT)
    store, wt, wh = _both(wasm)
    vals = [(0.1, 0.2, 0.3), (1e308, 10.0, 0.1), (1.0 + 2**-52, 1.0 - 2**-53, 3.0),
            (float("inf"), 0.0, 1.0), (-0.0, 5.0, -0.0), (3.0, 1 / 3, 1e-320)]
    for name in ("mul_mul", "r_mul_mul", "sub_rsub", "add_sub", "sub_mul", "mul_add",
                 "const_rmul"):
        for v in vals:
            a, b = getattr(wh, name)(*v), wt[name](store, *v)
            assert (math.isnan(a) and math.isnan(b)) or struct.pack("<d", a) == struct.pack("<d", b), (name, v)
    text = __import__("whisk").disasm.listing(whisk.Module(wasm))
    for op in ("f64_mul_mul", "f64_mul_rmul", "f64_sub_rsub", "f64_add_sub", "f64_sub_mul"):
        assert op in text, op
    assert "f64_mul_add" not in text        # left as two ops (no fused multiply-add)
