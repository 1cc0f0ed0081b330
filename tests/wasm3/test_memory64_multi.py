"""memory64, table64 and multi-memory (WebAssembly 3.0) through the public API: address types,
i64 addresses with exact 64-bit bounds, several memories in one instance, imports that must
agree on the address type, and Memory slicing beyond 4 GiB."""

import pytest
import wasmtime

import whisk


def wat(text: str) -> whisk.Module:
    return whisk.Module(wasmtime.wat2wasm(text))


MEM64 = wat("""
(module
  (memory (export "memory") i64 1 70000)
  (func (export "load") (param i64) (result i32) (i32.load (local.get 0)))
  (func (export "load_off") (param i64) (result i64) (i64.load offset=0xFFFFFFFF (local.get 0)))
  (func (export "store") (param i64 i32) (i32.store (local.get 0) (local.get 1)))
  (func (export "size") (result i64) (memory.size))
  (func (export "grow") (param i64) (result i64) (memory.grow (local.get 0)))
  (func (export "fill") (param i64 i32 i64) (memory.fill (local.get 0) (local.get 1) (local.get 2)))
  (func (export "copy") (param i64 i64 i64) (memory.copy (local.get 0) (local.get 1) (local.get 2))))
""")


def test_memory64_reports_its_address_type_and_uses_i64_sizes():
    inst = whisk.Instance(MEM64)
    mem = inst.exports.memory
    assert mem.address_type == "i64"
    assert MEM64.exports[0].type.address == "i64"
    assert inst.exports.size() == 1
    assert inst.exports.grow(2) == 1
    assert inst.exports.size() == 3
    assert inst.exports.grow(1 << 40) == -1          # an i64 -1, beyond the maximum
    assert inst.exports.grow(0xFFFF_FFFF_FFFF_FFFF) == -1


def test_memory64_bounds_are_exact_at_64_bits():
    inst = whisk.Instance(MEM64)
    ex = inst.exports
    ex.store(65532, 0x12345678)
    assert ex.load(65532) == 0x12345678
    for addr in (65533, 1 << 32, (1 << 32) + 4, 1 << 63, 0xFFFF_FFFF_FFFF_FFFF):
        with pytest.raises(whisk.Trap, match="out of bounds memory access"):
            ex.load(addr)
    # address + offset wraps around 2^64: out of bounds, not address 3
    with pytest.raises(whisk.Trap, match="out of bounds memory access"):
        ex.load_off(0xFFFF_FFFF_0000_0004)
    with pytest.raises(whisk.Trap, match="out of bounds memory access"):
        ex.load_off(0)                                # 4 GiB into a 64 KiB memory
    with pytest.raises(whisk.Trap, match="out of bounds memory access"):
        ex.fill(65530, 1, 7)
    with pytest.raises(whisk.Trap, match="out of bounds memory access"):
        ex.copy(0, 0xFFFF_FFFF_FFFF_FFF0, 0x20)
    ex.fill(100, 0xAB, 4)
    assert inst.exports.memory[100:104] == b"\xab" * 4


def test_memory64_beyond_4_gib_through_slicing():
    # 65537 pages = 4 GiB + 64 KiB; committed lazily, so this touches only two pages
    inst = whisk.Instance(MEM64)
    assert inst.exports.grow(65536) == 1
    mem = inst.exports.memory
    assert len(mem) == 65537 * 65536
    far = (1 << 32) + 8
    mem[far:far + 4] = b"\x01\x02\x03\x04"
    assert inst.exports.load(far) == 0x04030201
    assert mem[far:far + 4] == b"\x01\x02\x03\x04"
    assert mem.read(far, 4) == b"\x01\x02\x03\x04"
    inst.exports.store(far + 4, 0x0A0B0C0D)
    assert mem[far + 4:far + 8] == b"\x0d\x0c\x0b\x0a"


def test_multi_memory_every_instruction_names_its_memory():
    m = wat("""
    (module
      (memory $a (export "a") 1)
      (memory $b (export "b") 2 3)
      (data (memory $b) (i32.const 8) "xyz")
      (func (export "load_b") (param i32) (result i32) (i32.load8_u $b (local.get 0)))
      (func (export "store_a") (param i32 i32) (i32.store8 $a (local.get 0) (local.get 1)))
      (func (export "sizes") (result i32 i32) (memory.size $a) (memory.size $b))
      (func (export "grow_b") (param i32) (result i32) (memory.grow $b (local.get 0)))
      (func (export "copy_b_to_a") (param i32 i32 i32)
        (memory.copy $a $b (local.get 0) (local.get 1) (local.get 2)))
      (func (export "v128_b") (param i32) (result i32)
        (i32x4.extract_lane 0 (v128.load $b (local.get 0)))))
    """)
    inst = whisk.Instance(m)
    ex = inst.exports
    assert ex.load_b(8) == ord("x")
    assert tuple(ex.sizes()) == (1, 2)
    assert ex.grow_b(1) == 2 and ex.grow_b(1) == -1
    ex.copy_b_to_a(0, 8, 3)
    assert ex.a[0:3] == b"xyz" and ex.b[0:3] == b"\0\0\0"
    ex.store_a(65535, 7)
    with pytest.raises(whisk.Trap, match="out of bounds"):
        ex.store_a(65536, 7)
    ex.b[100:104] = b"\x11\x22\x33\x44"
    assert ex.v128_b(100) == 0x44332211
    with pytest.raises(whisk.Trap, match="out of bounds"):
        ex.v128_b(3 * 65536 - 8)


def test_memory_imports_must_agree_on_the_address_type():
    m = wat('(module (import "env" "mem" (memory i64 1)))')
    whisk.Instance(m, imports={"env": {"mem": whisk.Memory(1, address_type="i64")}})
    with pytest.raises(whisk.LinkError, match="incompatible import type"):
        whisk.Instance(m, imports={"env": {"mem": whisk.Memory(1)}})
    m32 = wat('(module (import "env" "mem" (memory 1)))')
    with pytest.raises(whisk.LinkError, match="incompatible import type"):
        whisk.Instance(m32, imports={"env": {"mem": whisk.Memory(1, address_type="i64")}})


def test_table64_indices_are_i64_and_large_ones_are_out_of_bounds():
    m = wat("""
    (module
      (type $t (func (result i32)))
      (table $t64 (export "t") i64 4 funcref)
      (func $f (result i32) (i32.const 42))
      (elem (table $t64) (i64.const 1) func $f)
      (func (export "call") (param i64) (result i32) (call_indirect $t64 (type $t) (local.get 0)))
      (func (export "size") (result i64) (table.size $t64))
      (func (export "grow") (param i64) (result i64) (table.grow $t64 (ref.null func) (local.get 0))))
    """)
    inst = whisk.Instance(m)
    ex = inst.exports
    assert ex.t.address_type == "i64"
    assert ex.call(1) == 42
    assert ex.size() == 4
    for i in (4, 1 << 32, (1 << 32) + 1, 0xFFFF_FFFF_FFFF_FFFF):
        with pytest.raises(whisk.Trap, match="undefined element"):
            ex.call(i)
    assert ex.grow(0xFFFF_FFFF_FFFF_FFFF) == -1
    assert ex.grow(2) == 4 and ex.size() == 6


def test_memory_constructor_limits_per_address_type():
    with pytest.raises(ValueError):
        whisk.Memory(65537)
    big = whisk.Memory(0, 1 << 48, address_type="i64")   # reserves 16 GiB, commits nothing
    assert big.max_pages == 1 << 48 and len(big) == 0
    with pytest.raises(ValueError):
        whisk.Memory(0, (1 << 48) + 1, address_type="i64")
    with pytest.raises(ValueError):
        whisk.Memory(1, address_type="i16")


def test_wasi_uses_the_memory_exported_as_memory():
    # two memories; the one exported as "memory" is memory 1, and fd_write reads it
    import io
    m = wat("""
    (module
      (import "wasi_snapshot_preview1" "fd_write" (func $w (param i32 i32 i32 i32) (result i32)))
      (memory $scratch 1)
      (memory $mem (export "memory") 1)
      (data (memory $scratch) (i32.const 0) "\\10\\00\\00\\00\\05\\00\\00\\00wrong")
      (data (memory $mem) (i32.const 0) "\\08\\00\\00\\00\\03\\00\\00\\00hi\\n")
      (func (export "_start") (drop (call $w (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 64)))))
    """)
    out = io.BytesIO()
    assert whisk.run(m, stdout=out) == 0
    assert out.getvalue() == b"hi\n"
