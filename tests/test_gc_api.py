"""WebAssembly 3.0 GC through the public API: handles (whisk.AnyRef, StructRef, ArrayRef,
I31Ref), host objects as anyref (any.convert_extern), the collector (cycles, roots, handles),
the store's memory limit, and references crossing stores.

Spec: 3.0 syntax/types (struct, array, i31), exec/instructions (struct.*, array.*, ref.i31,
ref.test, any.convert_extern / extern.convert_any), 4.2.13 (structure and array instances).
"""

import gc as pygc
import pickle

import pytest

wasmtime = pytest.importorskip("wasmtime")
import whisk  # noqa: E402

GC_WAT = """
(module
  (type $pair (struct (field $a (mut i32)) (field $b (mut anyref))))
  (type $bytes (array (mut i8)))
  (type $node (struct (field $next (mut (ref null $node))) (field $v i64)))
  (global $keep (mut anyref) (ref.null any))
  (func (export "make") (param i32 anyref) (result (ref $pair))
    (struct.new $pair (local.get 0) (local.get 1)))
  (func (export "first") (param (ref $pair)) (result i32)
    (struct.get $pair $a (local.get 0)))
  (func (export "second") (param (ref $pair)) (result anyref)
    (struct.get $pair $b (local.get 0)))
  (func (export "bytes") (param i32) (result (ref $bytes))
    (array.new $bytes (i32.const -1) (local.get 0)))
  (func (export "box") (param i32) (result i31ref) (ref.i31 (local.get 0)))
  (func (export "unbox") (param i31ref) (result i32) (i31.get_s (local.get 0)))
  (func (export "id") (param anyref) (result anyref) (local.get 0))
  (func (export "is_pair") (param anyref) (result i32) (ref.test (ref $pair) (local.get 0)))
  (func (export "ext") (param anyref) (result externref) (extern.convert_any (local.get 0)))
  (func (export "int") (param externref) (result anyref) (any.convert_extern (local.get 0)))
  (func (export "keep") (param anyref) (global.set $keep (local.get 0)))
  (func (export "kept") (result anyref) (global.get $keep))
  ;; n two-node cycles, each garbage once the next is made; returns the sum of their values
  (func (export "churn") (param $n i32) (result i64)
    (local $a (ref null $node)) (local $b (ref null $node)) (local $s i64)
    (block $done
      (loop $l
        (br_if $done (i32.eqz (local.get $n)))
        (local.set $a (struct.new $node (ref.null $node) (i64.extend_i32_u (local.get $n))))
        (local.set $b (struct.new $node (local.get $a) (i64.const 0)))
        (struct.set $node $next (ref.as_non_null (local.get $a)) (local.get $b))
        (local.set $s (i64.add (local.get $s)
          (struct.get $node $v (struct.get $node $next (struct.get $node $next (local.get $a))))))
        (local.set $n (i32.sub (local.get $n) (i32.const 1)))
        (br $l)))
    (local.get $s))
  ;; a list of n nodes kept alive in the global (all reachable)
  (func (export "hoard") (param $n i32)
    (local $cur (ref null $node))
    (local.set $cur (ref.cast (ref null $node) (global.get $keep)))
    (block $done
      (loop $l
        (br_if $done (i32.eqz (local.get $n)))
        (local.set $cur (struct.new $node (local.get $cur) (i64.const 1)))
        (global.set $keep (local.get $cur))
        (local.set $n (i32.sub (local.get $n) (i32.const 1)))
        (br $l))))
  (func (export "len") (param anyref) (result i32)
    (local $cur (ref null $node)) (local $k i32)
    (local.set $cur (ref.cast (ref null $node) (local.get 0)))
    (block $done
      (loop $l
        (br_if $done (ref.is_null (local.get $cur)))
        (local.set $k (i32.add (local.get $k) (i32.const 1)))
        (local.set $cur (struct.get $node $next (local.get $cur)))
        (br $l)))
    (local.get $k))
)
"""


@pytest.fixture(scope="module")
def module():
    return whisk.Module(wasmtime.wat2wasm(GC_WAT))


def inst(module, store=None):
    return whisk.Instance(module, store=store)


def test_struct_handles_round_trip(module):
    x = inst(module).exports
    host = object()
    s = x.make(7, host)
    assert isinstance(s, whisk.StructRef) and isinstance(s, whisk.AnyRef)
    assert len(s) == 2 and s[0] == 7 and s[1] is host
    assert x.first(s) == 7
    assert x.second(s) is host
    assert x.is_pair(s) == 1 and x.is_pair(host) == 0 and x.is_pair(None) == 0
    assert x.id(s) == s                      # ref.eq identity survives the round trip
    with pytest.raises(TypeError):
        x.first(None)                        # (ref $pair) is not nullable
    with pytest.raises(TypeError):
        x.first(whisk.I31Ref(1))
    with pytest.raises(TypeError):
        pickle.dumps(s)


def test_arrays_and_i31(module):
    x = inst(module).exports
    a = x.bytes(5)
    assert isinstance(a, whisk.ArrayRef)
    assert len(a) == 5 and list(a[i] for i in range(5)) == [-1] * 5   # packed i8, signed
    with pytest.raises(IndexError):
        a[5]
    r = x.box(-5)
    assert isinstance(r, whisk.I31Ref) and int(r) == -5 and r.unsigned == 0x7FFFFFFB
    assert x.box(0x40000000).value == -0x40000000          # the low 31 bits, sign bit 30
    assert x.unbox(whisk.I31Ref(123)) == 123
    assert x.id(whisk.I31Ref(9)) == whisk.I31Ref(9)
    with pytest.raises(ValueError):
        whisk.I31Ref(1 << 31)


def test_host_objects_cross_the_hierarchies(module):
    x = inst(module).exports
    host = {"k": 1}
    assert x.id(host) is host                # internalized and back
    assert x.int(host) is host               # any.convert_extern of a host externref
    s = x.make(1, None)
    e = x.ext(s)                             # extern.convert_any of a struct: the handle
    assert e == s and isinstance(e, whisk.StructRef)
    assert x.int(e) == s
    assert x.ext(whisk.I31Ref(3)) == whisk.I31Ref(3)


def test_collector_reclaims_cycles(module):
    store = whisk.Store()
    x = inst(module, store).exports
    n = 200_000                              # ~20 MB of nodes, several collections' worth
    assert x.churn(n) == n * (n + 1) // 2
    objects, nbytes = store.gc_heap
    assert objects < n                       # collections ran during the call
    assert nbytes < 12 << 20
    store.gc()
    assert store.gc_heap == (0, 0)           # the ring was garbage: nothing holds it


def test_roots_keep_objects(module):
    store = whisk.Store()
    x = inst(module, store).exports
    x.keep(None)
    x.hoard(1000)                            # reachable from the global
    held = x.make(42, None)                  # reachable from a Python handle only
    x.churn(200_000)
    store.gc()
    assert x.len(x.kept()) == 1000
    assert held[0] == 42
    objects, _ = store.gc_heap
    assert objects == 1001
    del held
    pygc.collect()
    store.gc()
    assert store.gc_heap[0] == 1000
    x.keep(None)
    store.gc()
    assert store.gc_heap == (0, 0)


def test_heap_counts_toward_the_memory_limit(module):
    store = whisk.Store(max_memory_bytes=2 << 20)
    x = inst(module, store).exports
    x.keep(None)
    with pytest.raises(whisk.Trap) as err:
        x.hoard(1_000_000)                   # all reachable: ~48 MB, beyond the limit
    assert err.value.code == whisk.TrapCode.ALLOCATION_TOO_LARGE
    assert "GC heap out of memory" in str(err.value)
    assert store.memory_bytes <= 2 << 20
    x.keep(None)
    store.gc()
    assert store.gc_heap == (0, 0)
    x.churn(100_000)                         # garbage is collected to make room
    with pytest.raises(whisk.Trap) as err:
        x.bytes(1 << 30)                     # a single 1 GiB array
    assert err.value.code == whisk.TrapCode.ALLOCATION_TOO_LARGE


def test_references_cross_stores(module):
    a = inst(module, whisk.Store())
    store_b = whisk.Store()
    b = inst(module, store_b)
    s = a.exports.make(5, None)
    b.exports.keep(s)                        # store a's struct held by store b's global
    del s
    pygc.collect()
    b.exports.churn(200_000)
    store_b.gc()
    assert b.exports.first(b.exports.kept()) == 5


def test_annotated_host_functions_receive_handles(module):
    seen = []

    def host(r: whisk.structref, i: whisk.i31ref, a: whisk.anyref) -> whisk.anyref:
        seen.append((r, i, a))
        return r

    ft = whisk.func_type_of(host)
    assert [str(p) for p in ft.params] == ["(ref null struct)", "(ref null i31)",
                                           "(ref null any)"]
    wat = """(module
      (type $p (struct (field i32)))
      (import "h" "f" (func $f (param structref i31ref anyref) (result anyref)))
      (func (export "go") (result i32)
        (struct.get $p 0 (ref.cast (ref $p)
          (call $f (struct.new $p (i32.const 11)) (ref.i31 (i32.const 4)) (ref.null any))))))"""
    i = whisk.Instance(whisk.Module(wasmtime.wat2wasm(wat)),
                       {"h": {"f": whisk.Func(ft, host)}})
    assert i.exports.go() == 11
    r, i31, a = seen[0]
    assert isinstance(r, whisk.StructRef) and r[0] == 11 and int(i31) == 4 and a is None


def test_host_objects_in_fields_survive_sweeps(module):
    # A host object held only by a struct's anyref field is kept by the heap's sweep (which
    # marks through GC objects' reference fields), not freed while the struct lives.
    store = whisk.Store()
    x = inst(module, store).exports

    class Marker:
        pass

    s = x.make(1, Marker())
    for _ in range(20_000):                  # enters thousands of host objects: sweeps run
        x.id(object())
    pygc.collect()
    assert type(s[1]).__name__ == "Marker"
    assert type(x.second(s)).__name__ == "Marker"


def test_threads_allocate_in_their_own_and_a_shared_store(module):
    import threading

    shared = whisk.Store()
    shared_x = inst(module, shared).exports
    results, errors = [], []

    def work(x):
        try:
            for _ in range(3):
                results.append(x.churn(50_000))
        except Exception as exc:             # noqa: BLE001 (reported below)
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(inst(module, whisk.Store()).exports,))
               for _ in range(2)]
    threads += [threading.Thread(target=work, args=(shared_x,)) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert results == [50_000 * 50_001 // 2] * 12
    shared.gc()
    assert shared.gc_heap == (0, 0)


def test_constant_expressions_allocate_like_the_instructions():
    # fuzz findings (tests/fuzz/regressions/diff-gc-const-*): array.new of 2**32-1 elements
    # in a constant expression traps as the instruction would; a field of a concrete
    # reference type holds a struct; array.new fills every element
    W = wasmtime.wat2wasm
    with pytest.raises(whisk.Trap) as err:
        whisk.Instance(whisk.Module(W('(module (type $a (array i8)) (global (export "g") '
                                      'arrayref (array.new $a (i32.const 0) (i32.const -1))))')))
    assert err.value.code == whisk.TrapCode.ALLOCATION_TOO_LARGE
    i = whisk.Instance(whisk.Module(W(
        '(module (type $s (struct (field i32))) (type $t (struct (field (ref null $s))))'
        ' (global (export "g") (ref null $t) (struct.new $t (struct.new_default $s))))')))
    inner = i.exports.g.value[0]
    assert isinstance(inner, whisk.StructRef) and inner[0] == 0
    i = whisk.Instance(whisk.Module(W('(module (type $a (array i32)) (global (export "g") '
                                      'arrayref (array.new $a (i32.const -7) (i32.const 1000))))')))
    a = i.exports.g.value
    assert len(a) == 1000 and a[0] == a[999] == -7


def test_none_matches_i31_in_type_and_segment_matching():
    # fuzz finding (dec-gc-nullref-matches-i31ref): none is the bottom of the any hierarchy
    whisk.Module(wasmtime.wat2wasm(
        '(module (type $a (sub (struct (field i31ref))))'
        ' (type $b (sub final $a (struct (field nullref))))'
        ' (table 1 i31ref) (elem (table 0) (i32.const 0) nullref))'))


def test_host_tables_and_globals_are_roots():
    from whisk.types import RefType
    wat = """(module
      (type $p (struct (field i32)))
      (import "h" "t" (table 4 anyref))
      (import "h" "g" (global (mut anyref)))
      (func (export "mk") (param i32) (result anyref) (struct.new $p (local.get 0)))
      (func (export "get") (param anyref) (result i32)
        (struct.get $p 0 (ref.cast (ref $p) (local.get 0))))
      (func (export "churn") (param $n i32)
        (loop $l (drop (struct.new $p (local.get $n)))
          (local.set $n (i32.sub (local.get $n) (i32.const 1)))
          (br_if $l (local.get $n)))))"""
    m = whisk.Module(wasmtime.wat2wasm(wat))
    anyref = RefType(True, "any")
    t, g, store = whisk.Table(anyref, 4), whisk.Global(anyref, None, True), whisk.Store()
    x = whisk.Instance(m, {"h": {"t": t, "g": g}}, store=store).exports
    t[1] = x.mk(11)
    g.value = x.mk(22)
    t[2] = "host"
    other = whisk.Store()                    # a struct of another store, held by t
    imports = {"h": {"t": whisk.Table(anyref, 4), "g": whisk.Global(anyref, None, True)}}
    y = whisk.Instance(m, imports, store=other).exports
    t[3] = y.mk(33)
    pygc.collect()
    x.churn(300_000)
    y.churn(300_000)
    store.gc()
    other.gc()
    assert (x.get(t[1]), x.get(g.value), t[2], x.get(t[3])) == (11, 22, "host", 33)
    assert store.gc_heap[0] == 3


def test_exceptions_carry_gc_references():
    wat = """(module
      (type $p (struct (field i32)))
      (tag $t (export "t") (param (ref $p)))
      (func (export "boom") (param i32) (throw $t (struct.new $p (local.get 0))))
      (func (export "catch") (param i32) (result i32)
        (block $h (result (ref $p))
          (try_table (catch $t $h) (call 0 (local.get 0)))
          (unreachable))
        (struct.get $p 0))
      (func (export "churn") (param $n i32)
        (loop $l (drop (struct.new $p (local.get $n)))
          (local.set $n (i32.sub (local.get $n) (i32.const 1)))
          (br_if $l (local.get $n)))))"""
    store = whisk.Store()
    x = whisk.Instance(whisk.Module(wasmtime.wat2wasm(wat)), store=store).exports
    with pytest.raises(whisk.WasmException) as err:
        x.boom(5)
    (s,) = err.value.payload
    assert isinstance(s, whisk.StructRef)
    pygc.collect()
    x.churn(400_000)                         # collections: the payload's struct stays
    store.gc()
    assert s[0] == 5 and x.catch(9) == 9
