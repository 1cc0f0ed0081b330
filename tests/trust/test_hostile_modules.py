"""Hostile modules (issue 11): deep recursion, huge locals, deep nesting and huge br_tables,
memory and table bombs under limits. Each must load and run, or fail with a WasmError
subclass, in bounded time and memory; never crash the process."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import pytest

from trustlib import run_isolated, wat
import whisk

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "binary"))
from leb128 import uleb as leb  # noqa: E402


def section(sid: int, payload: bytes) -> bytes:
    return bytes([sid]) + leb(len(payload)) + payload


def one_func_module(locals_: bytes, body: bytes, params: bytes = b"", results: bytes = b"") -> bytes:
    """A module with one exported function "f" of type [params] -> [results]."""
    functype = b"\x60" + leb(len(params)) + params + leb(len(results)) + results
    code = locals_ + body + b"\x0b"
    return (b"\0asm\1\0\0\0" + section(1, b"\x01" + functype) + section(3, b"\x01\x00")
            + section(7, b"\x01\x01f\x00\x00") + section(10, b"\x01" + leb(len(code)) + code))


def test_deep_recursion_is_exhaustion():
    m = wat('(module (func $f (export "f") (param i32) (result i32) (call $f (local.get 0))))')
    with pytest.raises(whisk.Exhaustion, match="call stack exhausted"):
        whisk.Instance(m).exports.f(0)


def test_recursion_with_big_frames_is_exhaustion():
    # 20,000 locals per frame: the value stack, not the frame count, runs out first
    body = b"\x20\x00\x10\x00"                   # local.get 0, call 0
    m = whisk.Module(one_func_module(b"\x01" + leb(20_000) + b"\x7e", body, b"\x7f"))
    with pytest.raises(whisk.Exhaustion):
        whisk.Instance(m).exports.f(1)


@pytest.mark.parametrize("count", [50_000, 1_000_000, 0xFFFFFFFF])
def test_huge_locals(count):
    # a function declaring `count` i64 locals: either it loads and its call fails cleanly, or
    # the module is rejected; neither takes long
    t0 = time.perf_counter()
    data = one_func_module(b"\x01" + leb(count) + b"\x7e", b"")
    try:
        m = whisk.Module(data)
    except (whisk.DecodeError, whisk.ValidationError):
        pass
    else:
        f = whisk.Instance(m).exports.f
        try:
            f()
        except whisk.Exhaustion:
            pass
    assert time.perf_counter() - t0 < 10


def test_too_many_locals_in_total():
    # two declarations whose sum passes 2**32: malformed ("too many locals")
    data = one_func_module(b"\x02" + leb(0xFFFFFFFF) + b"\x7e" + leb(0xFFFFFFFF) + b"\x7e", b"")
    with pytest.raises((whisk.DecodeError, whisk.ValidationError)):
        whisk.Module(data)


@pytest.mark.parametrize("depth", [1_000, 100_000])
def test_deep_block_nesting(depth):
    body = b"\x02\x40" * depth + b"\x0b" * depth
    m = whisk.Module(one_func_module(b"\x00", body))
    assert whisk.Instance(m).exports.f() is None


def test_huge_br_table():
    n = 200_000
    body = (b"\x02\x40" + b"\x20\x00" + b"\x0e" + leb(n) + b"\x00" * n + b"\x00" + b"\x0b"
            + b"\x41\x07")
    m = whisk.Module(one_func_module(b"\x00", body, b"\x7f", b"\x7f"))
    assert whisk.Instance(m).exports.f(12345) == 7


def test_memory_bomb_under_a_limit():
    m = wat('''(module (memory (export "m") 1)
      (func (export "bomb") (result i32) (local i32)
        (loop $l (br_if $l (i32.ne (memory.grow (i32.const 1)) (i32.const -1))))
        (memory.size)))''')
    store = whisk.Store(max_memory_bytes=64 << 20)
    e = whisk.Instance(m, store=store).exports
    assert e.bomb() == 1024 and store.memory_bytes == 64 << 20


def test_table_bomb_in_a_loop_under_a_limit():
    m = wat('''(module (table 0 externref)
      (func (export "bomb") (result i32)
        (loop $l (br_if $l (i32.ne (table.grow (ref.null extern) (i32.const 100000)) (i32.const -1))))
        (table.size)))''')
    store = whisk.Store(max_table_elements=1_000_000)
    assert whisk.Instance(m, store=store).exports.bomb() == 1_000_000


def test_many_instances_under_a_limit():
    m = wat("(module (memory 1) (table 10 funcref))")
    store = whisk.Store(max_instances=50)
    for _ in range(50):
        whisk.Instance(m, store=store)
    with pytest.raises(whisk.ResourceError):
        whisk.Instance(m, store=store)


def test_many_data_segments_and_a_huge_memory_init():
    # a data segment that would write past memory: a trap at instantiation, nothing written
    m = wat('(module (memory (export "m") 1) (data (i32.const 65530) "0123456789"))')
    with pytest.raises(whisk.Trap, match="out of bounds memory access"):
        whisk.Instance(m)


def test_interrupt_races_with_grow_and_calls():
    run_isolated("""
    import random
    m = wat('''(module (memory 1) (table 1 externref)
      (func (export "work") (param i32) (result i32) (local i32)
        (loop $l
          (drop (memory.grow (i32.const 0)))
          (drop (table.grow (ref.null extern) (i32.const 1)))
          (local.set 1 (i32.add (local.get 1) (i32.const 1)))
          (br_if $l (i32.lt_u (local.get 1) (local.get 0))))
        (local.get 1)))''')
    store = whisk.Store(max_table_elements=10**7)
    insts = [whisk.Instance(m, store=store) for _ in range(4)]
    results = []
    def run(inst):
        for _ in range(5):
            try:
                results.append(inst.exports.work(200_000))
            except whisk.Interrupted:
                results.append("interrupted")
    ts = [threading.Thread(target=run, args=(i,)) for i in insts]
    for t in ts: t.start()
    for _ in range(20):
        store.interrupt()
        __import__("time").sleep(0.005)
    for t in ts: t.join()
    assert len(results) == 20 and set(results) <= {200_000, "interrupted"}
    """)
