"""Exception handling through the API (3.0 spec: tags, throw, throw_ref, try_table, exnref; the
legacy try/catch/delegate/rethrow): whisk.Tag, whisk.WasmException, exceptions crossing host
frames in both directions, exnref values, and the ownership of exception instances."""

from __future__ import annotations

import gc
import weakref

import pytest

wasmtime = pytest.importorskip("wasmtime")
import whisk  # noqa: E402

I32 = whisk.FuncType(["i32"], [])


def load(wat: str) -> whisk.Module:
    return whisk.Module(wasmtime.wat2wasm(wat))


GUEST = """(module
  (tag $e (export "e") (param i32))
  (tag $f (export "f") (param i64 f64))
  (tag $x (export "x") (param externref))
  (func (export "throw") (param i32) (throw $e (local.get 0)))
  (func (export "throw2") (throw $f (i64.const -3) (f64.const 1.5)))
  (func (export "throwx") (param externref) (throw $x (local.get 0)))
  (func (export "catch") (param i32) (result i32)
    (block $h (result i32)
      (try_table (catch $e $h) (throw $e (local.get 0)))
      (i32.const -1)))
  (func (export "catch_ref") (param i32) (result exnref)
    (block $h (result i32 exnref)
      (try_table (catch_ref $e $h) (throw $e (local.get 0)))
      (unreachable))
    (local.set 0 (i32.const 0)) (return))
  (func (export "rethrow") (param exnref) (throw_ref (local.get 0)))
  (func (export "trap_in_try") (result i32)
    (block $h
      (try_table (catch_all $h) (unreachable)))
    (i32.const 7)))"""


def test_guest_exception_reaches_python_with_tag_and_payload():
    e = whisk.Instance(load(GUEST)).exports
    with pytest.raises(whisk.WasmException) as info:
        e.throw(-5)
    assert info.value.tag is e.e
    assert info.value.payload == [-5]
    assert isinstance(info.value, whisk.WasmError) and not isinstance(info.value, whisk.Trap)
    with pytest.raises(whisk.WasmException) as info:
        e.throw2()
    assert info.value.tag is e.f and info.value.payload == [-3, 1.5]
    assert e.catch(9) == 9


def test_exported_tags_are_tags_with_their_types():
    m = load(GUEST)
    types = {x.name: x.type for x in m.exports}
    assert types["e"] == whisk.TagType(I32)
    e = whisk.Instance(m).exports
    assert isinstance(e.e, whisk.Tag) and e.e.type == I32
    assert e.e is not whisk.Instance(m).exports.e      # each instance has its own tags


def test_tag_type_checks():
    with pytest.raises(ValueError, match="non-empty tag result type"):
        whisk.Tag(whisk.FuncType([], ["i32"]))
    with pytest.raises(TypeError):
        whisk.Tag(("i32",))
    t = whisk.Tag(I32)
    with pytest.raises(TypeError):
        whisk.WasmException(t, [])                    # one value expected
    with pytest.raises(TypeError):
        whisk.WasmException(t, ["x"])
    with pytest.raises(TypeError):
        whisk.WasmException("not a tag", [])


def test_traps_are_not_caught():
    e = whisk.Instance(load(GUEST)).exports
    with pytest.raises(whisk.Trap, match="unreachable"):
        e.trap_in_try()


HOST = """(module
  (import "env" "tag" (tag $t (param i32)))
  (import "env" "host" (func $host (param i32)))
  (func (export "call_host") (param i32) (result i32)
    (block $h (result i32)
      (try_table (catch $t $h) (call $host (local.get 0)))
      (i32.const -1)))
  (func (export "uncaught") (param i32) (call $host (local.get 0))))"""


def test_host_throws_guest_catches():
    tag = whisk.Tag(I32)

    def host(x):
        if x > 0:
            raise whisk.WasmException(tag, [x * 10])

    e = whisk.Instance(load(HOST), {"env": {"tag": tag, "host": host}}).exports
    assert e.call_host(4) == 40
    assert e.call_host(0) == -1
    # another tag of the same type is another tag: not caught, passes through unchanged
    other = whisk.WasmException(whisk.Tag(I32), [1])

    def host2(x):
        raise other

    e2 = whisk.Instance(load(HOST), {"env": {"tag": tag, "host": host2}}).exports
    with pytest.raises(whisk.WasmException) as info:
        e2.call_host(1)
    assert info.value is other


def test_uncaught_host_exception_passes_through_unchanged():
    tag = whisk.Tag(I32)
    exc = whisk.WasmException(tag, [3])

    def host(x):
        raise exc

    e = whisk.Instance(load(HOST), {"env": {"tag": tag, "host": host}}).exports
    with pytest.raises(whisk.WasmException) as info:
        e.uncaught(1)
    assert info.value is exc and info.value.payload == [3]


def test_tag_import_is_checked_and_linker_accepts_tags():
    bad = whisk.Tag(whisk.FuncType(["i64"], []))
    with pytest.raises(whisk.LinkError, match="incompatible import type"):
        whisk.Instance(load(HOST), {"env": {"tag": bad, "host": lambda x: None}})
    tag = whisk.Tag(I32)
    linker = whisk.Linker()
    linker.define("env", "tag", tag)

    def host(x):
        raise whisk.WasmException(tag, [x + 1])

    linker.define("env", "host", host)
    assert linker.instantiate(load(HOST)).exports.call_host(1) == 2


def test_exception_crosses_host_frames_between_guest_frames():
    # outer guest -> host -> inner guest, which throws: the host does not catch it, the outer
    # guest does; and a host that catches and re-raises the WasmException gives the same one
    inner = whisk.Instance(load(GUEST))
    seen = []

    def host(x):
        try:
            inner.exports.throw(x)
        except whisk.WasmException as exc:
            seen.append(exc)
            raise

    outer = whisk.Instance(load(HOST), {"env": {"tag": inner.exports.e, "host": host}})
    assert outer.exports.call_host(6) == 6
    assert seen[0].tag is inner.exports.e
    with pytest.raises(whisk.WasmException) as info:
        outer.exports.uncaught(8)
    assert info.value is seen[1]


def test_exnref_roundtrip():
    e = whisk.Instance(load(GUEST)).exports
    ref = e.catch_ref(12)
    assert isinstance(ref, whisk.WasmException)
    assert ref.tag is e.e and ref.payload == [12]
    with pytest.raises(whisk.WasmException) as info:
        e.rethrow(ref)                         # throw_ref: the same exception instance
    assert info.value is ref
    with pytest.raises(whisk.Trap, match="null exception reference"):
        e.rethrow(None)
    with pytest.raises(TypeError):
        e.rethrow(42)
    # an exception made in Python is an exnref value too
    mine = whisk.WasmException(e.e, [1])
    with pytest.raises(whisk.WasmException) as info:
        e.rethrow(mine)
    assert info.value is mine


LEGACY = """(module
  (tag $e (export "e") (param i32))
  (import "env" "host" (func $host (param i32)))
  (func (export "f") (param i32) (result i32)
    try (result i32)
      try
        local.get 0
        call $host
      delegate 0
      i32.const 0
    catch $e
      i32.const 100
      i32.add
    end)
  (func (export "re") (param i32) (result i32)
    try (result i32)
      try (result i32)
        local.get 0
        throw $e
      catch_all
        local.get 0
        call $host
        rethrow 0
      end
    catch $e
    end))"""


def test_legacy_try_delegate_and_rethrow_across_host_frames():
    tags = []

    def host(x):
        if x:
            raise whisk.WasmException(tags[0], [x])

    inst = whisk.Instance(load(LEGACY), {"env": {"host": host}})
    tags.append(inst.exports.e)
    assert inst.exports.f(5) == 105
    assert inst.exports.f(0) == 0
    # the host throws a new exception inside catch_all, the outer catch gets that one
    assert inst.exports.re(3) == 3
    assert inst.exports.re(0) == 0             # host returns: rethrow 0 rethrows the first


OWN = """(module
  (tag $x (param externref))
  (global $g (export "g") (mut exnref) (ref.null exn))
  (table $t (export "t") 2 exnref)
  (func (export "make") (param externref) (result exnref)
    (block $h (result exnref)
      (try_table (catch_all_ref $h) (throw $x (local.get 0)))
      (unreachable)))
  (func (export "keepg") (param externref)
    (global.set $g (call 0 (local.get 0))))
  (func (export "keept") (param i32 externref)
    (table.set $t (local.get 0) (call 0 (local.get 1))))
  (func (export "cleart") (param i32) (table.set $t (local.get 0) (ref.null exn)))
  (func (export "clearg") (global.set $g (ref.null exn)))
  (global $h (export "h") (mut externref) (ref.null extern))
  (func (export "unpackg")
    (block $l (result externref)
      (try_table (catch $x $l) (throw_ref (global.get $g)))
      (unreachable))
    (global.set $h))
  (func (export "pass") (param externref) (result externref) (local.get 0)))"""


class Obj:
    pass


def churn(e):
    for _ in range(20_000):                    # enough for several sweeps of the store
        e["pass"](Obj())
    gc.collect()


def test_exnref_in_global_and_table_keeps_the_exception_alive_until_dropped():
    e = whisk.Instance(load(OWN)).exports
    a, b = Obj(), Obj()
    e.keepg(a)
    e.keept(1, b)
    wa, wb = weakref.ref(a), weakref.ref(b)
    del a, b
    churn(e)
    assert wa() is not None and wb() is not None
    assert e.g.value.payload == [wa()]         # the exception and its payload survived
    assert e.t[1].payload == [wb()]
    e.cleart(1)
    e.clearg()
    churn(e)
    assert wa() is None and wb() is None       # dropped: freed at a later sweep


def test_payload_taken_out_of_a_kept_exception_outlives_it():
    # the payload of an exception that only a global holds stays owned by the store, so it
    # can be caught out of it, stored elsewhere, and survive the exception
    e = whisk.Instance(load(OWN)).exports
    o = Obj()
    w = weakref.ref(o)
    e.keepg(o)
    del o
    churn(e)
    e.unpackg()                                # catch it again, payload into global $h
    e.clearg()
    churn(e)
    assert w() is not None and e.h.value is w()


def test_exception_held_by_python_keeps_its_payload_for_rethrow():
    e = whisk.Instance(load(OWN)).exports
    o = Obj()
    w = weakref.ref(o)
    exc = e.make(o)
    del o
    churn(e)                                   # the store no longer holds the exception
    assert w() is not None and exc.payload == [w()]
    e.keepg(None)                              # (another exception in the global)
    e.g.value = exc                            # back into the guest's global
    del exc
    churn(e)
    assert e.g.value.payload == [w()]
    e.clearg()
    churn(e)
    assert w() is None


def test_exnref_global_and_table_from_python():
    t = whisk.Tag(I32)
    g = whisk.Global("exnref", None, True)
    exc = whisk.WasmException(t, [5])
    g.value = exc
    assert g.value is exc
    tab = whisk.Table("exnref", 2)
    tab[0] = exc
    assert tab[0] is exc and tab[1] is None
    with pytest.raises(TypeError):
        tab[1] = object()


def test_exnref_annotation_types_a_host_function():
    def f(x: whisk.exnref) -> whisk.exnref:
        return x
    assert whisk.func_type_of(f) == whisk.FuncType(["exnref"], ["exnref"])


def test_a_throw_catch_loop_does_not_accumulate_exceptions():
    # plain catches of exceptions nothing else saw: each is freed during the call
    import tracemalloc

    m = load("""(module (tag $e (param i32))
      (func (export "spin") (param i32) (result i32) (local i32)
        (loop $l
          (block $h (result i32)
            (try_table (catch $e $h) (throw $e (local.get 0)))
            (i32.const 0))
          (local.set 1 (i32.add (local.get 1)))
          (br_if $l (local.tee 0 (i32.sub (local.get 0) (i32.const 1)))))
        (local.get 1)))""")
    spin = whisk.Instance(m).exports.spin
    spin(10)
    tracemalloc.start()
    try:
        assert spin(100_000) == sum(range(1, 100_001)) - (1 << 32)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 1_000_000, f"{peak} bytes traced during 100,000 throws"


def test_feature_switches():
    # exceptions off: what a 2.0 decoder reports first, with the feature named in words
    off = whisk.Features(exceptions=False, legacy_exceptions=False)
    with pytest.raises(whisk.DecodeError,
                       match=r"^malformed section id: exception handling is not enabled"):
        whisk.Module(wasmtime.wat2wasm("(module (tag))"), features=off)
    with pytest.raises(whisk.DecodeError, match=r"^malformed import kind: exception handling"):
        whisk.Module(wasmtime.wat2wasm('(module (import "m" "t" (tag)))'), features=off)
    with pytest.raises(whisk.DecodeError, match=r"^malformed value type: exception handling"):
        whisk.Module(wasmtime.wat2wasm("(module (func (param exnref)))"), features=off)
    with pytest.raises(whisk.DecodeError, match=r"exception handling is not enabled \(exnref local"):
        whisk.Module(wasmtime.wat2wasm("(module (func (local exnref)))"), features=off)
    with pytest.raises(whisk.DecodeError,
                       match=r"^illegal opcode 1f: exception handling is not enabled \(try_table\)"):
        whisk.Module(wasmtime.wat2wasm("(module (func (try_table)))"), features=off)
    # legacy off alone: try is refused, try_table is fine
    legacy_off = whisk.Features(legacy_exceptions=False)
    whisk.Module(wasmtime.wat2wasm("(module (func (try_table)))"), features=legacy_off)
    with pytest.raises(whisk.DecodeError,
                       match=r"^illegal opcode 06: legacy exception handling is not enabled"):
        whisk.Module(wasmtime.wat2wasm("(module (func try end))"), features=legacy_off)
    with pytest.raises(ValueError, match="legacy_exceptions"):
        whisk.Features(exceptions=False)          # legacy exceptions need tags


def test_a_tail_called_host_function_throws_past_the_frame_it_replaced():
    # return_call replaces g's frame (3.0 spec 4.4.8): g's try_table no longer applies, so the
    # host's exception reaches f's handler (f returns 2), not g's (which would return 1)
    import wasmtime
    tag = whisk.Tag(whisk.FuncType([], []))

    def host() -> whisk.i32:
        raise whisk.WasmException(tag, [])

    m = whisk.Module(wasmtime.wat2wasm("""
    (module
      (import "env" "host" (func $host (result i32)))
      (func $g (result i32)
        (block $h
          (try_table (catch_all $h) (return_call $host)))
        (i32.const 1))
      (func (export "f") (result i32)
        (block $h
          (try_table (catch_all $h) (return (call $g))))
        (i32.const 2)))
    """))
    inst = whisk.Instance(m, imports={"env": {"host": host}})
    assert inst.exports.f() == 2
