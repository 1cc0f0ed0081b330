"""Issue 11, items 8 and 10: store-level resource limits (bytes of memories and tables, elements
per table, counts of instances, tables and memories), growth beyond them returning -1, and
every resource failure raised as a WasmError subclass (whisk.ResourceError)."""

from __future__ import annotations

import sys
import time

import pytest

from trustlib import run_isolated, wat
import whisk


def tables_module(n: int, size: int) -> whisk.Module:
    return wat("(module " + f"(table {size} funcref) " * n + ")")


def test_a_table_bomb_is_refused_by_the_memory_limit():
    store = whisk.Store(max_memory_bytes=1 << 20)
    t0 = time.perf_counter()
    with pytest.raises(whisk.ResourceError) as info:
        whisk.Instance(tables_module(100, 10_000_000), store=store)
    assert isinstance(info.value, whisk.WasmError)
    assert time.perf_counter() - t0 < 2
    assert "table" in str(info.value)
    whisk.Instance(tables_module(12, 10_000), store=store)   # 12 * 80 KB fits in 1 MiB


def test_table_memory_and_linear_memory_share_the_byte_limit():
    store = whisk.Store(max_memory_bytes=3 * 65536)
    whisk.Instance(wat("(module (memory 2))"), store=store)
    with pytest.raises(whisk.ResourceError):
        whisk.Instance(wat("(module (table 10000 funcref))"), store=store)   # 80 KB > 64 KiB left
    whisk.Instance(wat("(module (table 8000 funcref))"), store=store)       # 64,000 bytes


def test_the_default_table_bomb_is_cheap():
    # 100 tables of 10M elements (the default per-table limit): committed lazily, so it is fast
    # and costs almost no resident memory
    run_isolated("""
    import resource, time
    t0 = time.perf_counter()
    inst = whisk.Instance(wat("(module " + "(table 10000000 funcref) " * 100 + ")"))
    assert time.perf_counter() - t0 < 5
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss   # KiB (bytes on macOS)
    assert rss < (400 << 20 if sys.platform == "darwin" else 400 << 10), rss
    """) if sys.platform != "win32" else None


GROW = """(module (table $t (export "t") 1 externref) (memory (export "m") 1)
  (func (export "tgrow") (param i32) (result i32) (table.grow $t (ref.null extern) (local.get 0)))
  (func (export "mgrow") (param i32) (result i32) (memory.grow (local.get 0))))"""


def test_growth_beyond_a_limit_returns_minus_one():
    store = whisk.Store(max_memory_bytes=65536 + 8 * 1000, max_table_elements=500)
    e = whisk.Instance(wat(GROW), store=store).exports
    assert e.tgrow(499) == 1
    assert e.tgrow(1) == -1                   # 501 elements > max_table_elements
    assert e.mgrow(1) == -1                   # 2 pages + 4 KB of table > the byte limit
    assert len(e.t) == 500 and e.m.pages == 1
    with pytest.raises(whisk.ResourceError):
        e.t.grow(1)
    with pytest.raises(whisk.ResourceError):
        e.m.grow(1)


def test_element_limit_at_instantiation():
    store = whisk.Store(max_table_elements=100)
    whisk.Instance(wat("(module (table 100 funcref))"), store=store)
    with pytest.raises(whisk.ResourceError, match="table"):
        whisk.Instance(wat("(module (table 101 funcref))"), store=store)


def test_count_limits():
    store = whisk.Store(max_instances=3, max_tables=2, max_memories=1)
    m = wat("(module)")
    whisk.Instance(wat("(module (table 1 funcref) (memory 1))"), store=store)
    with pytest.raises(whisk.ResourceError, match="memories"):
        whisk.Instance(wat("(module (memory 1))"), store=store)
    with pytest.raises(whisk.ResourceError, match="tables"):
        whisk.Instance(wat("(module (table 1 funcref) (table 1 funcref))"), store=store)
    whisk.Instance(m, store=store)
    with pytest.raises(whisk.ResourceError, match="instances"):
        whisk.Instance(m, store=store)
        whisk.Instance(m, store=store)


def test_limits_are_readable_and_checked():
    s = whisk.Store()
    assert s.max_memory_bytes is None and s.max_table_elements == 10_000_000
    assert s.max_instances == s.max_tables == s.max_memories == 10_000
    for bad in ({"max_table_elements": -1}, {"max_instances": 0}, {"max_tables": -1},
                {"max_memories": -2}):
        with pytest.raises(ValueError):
            whisk.Store(**bad)
    with pytest.raises(TypeError):
        whisk.Store(max_tables=1.5)


def test_huge_declared_table_minimum_is_a_wasm_error():
    # above the default limit of 10M elements: a ResourceError, not a bare MemoryError
    with pytest.raises(whisk.ResourceError):
        whisk.Instance(wat("(module (table 10000001 funcref))"))
    with pytest.raises(whisk.ResourceError):
        whisk.Instance(wat("(module (table 4294967295 externref))"))
    with pytest.raises(whisk.ResourceError):
        whisk.Table("funcref", 20_000_000)
    with pytest.raises(whisk.ResourceError):
        whisk.Instance(wat("(module (memory 65536))"), store=whisk.Store(max_memory_bytes=1 << 20))
