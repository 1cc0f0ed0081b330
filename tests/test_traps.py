"""Traps a program can act on: ``Trap.code`` (whisk.TrapCode, wasmtime's names) and
``Trap.frames`` (whisk.Frame: func_index, func_name, module_name, module_offset), checked
against the byte offsets wasm-tools reports."""

import re
import shutil
import subprocess
import threading

import pytest

wasmtime = pytest.importorskip("wasmtime")
import whisk  # noqa: E402
from whisk import TrapCode  # noqa: E402

KINDS = """(module
  (type $v (func))
  (type $i (func (result i32)))
  (memory 1)
  (table $t 2 funcref)
  (table $u 1 externref)
  (elem (table $t) (i32.const 0) func $ok)
  (func $ok)
  (func (export "div") (param i32) (result i32) (i32.div_s (i32.const 1) (local.get 0)))
  (func (export "overflow") (result i32) (i32.div_s (i32.const 0x80000000) (i32.const -1)))
  (func (export "conversion") (result i32) (i32.trunc_f32_s (f32.const nan)))
  (func (export "unreachable") unreachable)
  (func (export "memory") (result i32) (i32.load (i32.const 65536)))
  (func (export "table") (result externref) (table.get $u (i32.const 5)))
  (func (export "undefined") (call_indirect $t (type $v) (i32.const 9)))
  (func (export "uninitialized") (call_indirect $t (type $v) (i32.const 1)))
  (func (export "signature") (result i32) (call_indirect $t (type $i) (i32.const 0)))
  (func (export "null") (call_ref $v (ref.null $v)))
  (func (export "as_non_null") (param externref) (drop (ref.as_non_null (local.get 0))))
  (func $rec (export "recurse") (call $rec))
  (func (export "forever") (loop $l (br $l))))"""


@pytest.fixture(scope="module")
def kinds():
    return whisk.Module(wasmtime.wat2wasm(KINDS))


@pytest.mark.parametrize("name, args, code, message", [
    ("div", (0,), TrapCode.INTEGER_DIVISION_BY_ZERO, "integer divide by zero"),
    ("overflow", (), TrapCode.INTEGER_OVERFLOW, "integer overflow"),
    ("conversion", (), TrapCode.BAD_CONVERSION_TO_INTEGER, "invalid conversion to integer"),
    ("unreachable", (), TrapCode.UNREACHABLE, "unreachable"),
    ("memory", (), TrapCode.MEMORY_OUT_OF_BOUNDS, "out of bounds memory access"),
    ("table", (), TrapCode.TABLE_OUT_OF_BOUNDS, "out of bounds table access"),
    ("undefined", (), TrapCode.TABLE_OUT_OF_BOUNDS, "undefined element"),
    ("uninitialized", (), TrapCode.INDIRECT_CALL_TO_NULL, "uninitialized element"),
    ("signature", (), TrapCode.BAD_SIGNATURE, "indirect call type mismatch"),
    ("null", (), TrapCode.NULL_REFERENCE, "null function reference"),
    ("as_non_null", (None,), TrapCode.NULL_REFERENCE, "null reference"),
    ("recurse", (), TrapCode.STACK_OVERFLOW, "call stack exhausted"),
])
def test_each_trap_kind_has_its_code(kinds, name, args, code, message):
    e = whisk.Instance(kinds).exports
    with pytest.raises(whisk.Trap) as info:
        e[name](*args)
    assert info.value.code is code and info.value.message.startswith(message)
    assert info.value.frames and isinstance(info.value.frames[0], whisk.Frame)


def test_codes_share_wasmtimes_names_and_values():
    for code in TrapCode:
        if code.name in wasmtime.TrapCode.__members__:
            assert wasmtime.TrapCode[code.name].value == code.value
        else:
            assert code.value >= 100                 # whisk-only kinds
    assert isinstance(TrapCode.UNREACHABLE, int)


def test_fuel_interrupt_and_timeout_codes(kinds):
    store = whisk.Store(fuel=1000)
    e = whisk.Instance(kinds, store=store).exports
    with pytest.raises(whisk.Exhaustion) as info:
        e.forever()
    assert info.value.code is TrapCode.OUT_OF_FUEL and info.value.frames[0].func_index == 13
    e = whisk.Instance(kinds).exports
    with pytest.raises(whisk.Interrupted) as info:
        e.forever(timeout=0.02)
    assert info.value.code is TrapCode.TIMEOUT
    inst = whisk.Instance(kinds)
    timer = threading.Timer(0.05, inst.interrupt)
    timer.start()
    with pytest.raises(whisk.Interrupted) as info:
        inst.exports.forever()
    timer.join()
    assert info.value.code is TrapCode.INTERRUPT


def test_traps_outside_wasm_code_have_codes_too():
    m = whisk.Module(wasmtime.wat2wasm(
        '(module (memory 1) (data (i32.const 65535) "ab"))'))
    with pytest.raises(whisk.Trap) as info:
        whisk.Instance(m)                            # segment initialisation (spec 4.5.4)
    assert info.value.code is TrapCode.MEMORY_OUT_OF_BOUNDS and info.value.frames == ()
    assert whisk.Trap("my host trap").code is TrapCode.HOST
    assert whisk.Trap("x", code=TrapCode.UNREACHABLE).code is TrapCode.UNREACHABLE


OFFSETS = """(module $mymod
  (memory 1)
  (func $inner (param i32) (result i32)
    local.get 0
    i32.const 0
    i32.div_s)
  (func $outer (export "outer") (param i32) (result i32)
    i32.const 1
    drop
    local.get 0
    call $inner)
  (func $load (export "load") (param i32) (result i32)
    local.get 0
    i32.const 4
    i32.add
    i32.load offset=8)
  (func (export "ret") (param i32) (result i32)
    block $b
      local.get 0
      i32.const 3
      i32.lt_s
      br_if $b
      unreachable
    end
    local.get 0
    call $load))"""


def wasm_tools_offsets(binary: bytes, tmp_path) -> dict[str, list[int]]:
    """Instruction name -> byte offsets, in order, as ``wasm-tools print --print-offsets``
    reports them."""
    if shutil.which("wasm-tools") is None:
        pytest.skip("wasm-tools is not installed")
    path = tmp_path / "m.wasm"
    path.write_bytes(binary)
    text = subprocess.run(["wasm-tools", "print", "--print-offsets", str(path)],
                          capture_output=True, text=True, check=True).stdout
    found: dict[str, list[int]] = {}
    for line in text.splitlines():
        m = re.match(r"\(;@([0-9a-f]+)\s*;\)\s+([a-z0-9_.]+)", line)
        if m:
            found.setdefault(m.group(2), []).append(int(m.group(1), 16))
    return found


def test_frames_give_index_names_and_module_offsets(tmp_path):
    binary = wasmtime.wat2wasm(OFFSETS)
    at = wasm_tools_offsets(binary, tmp_path)
    e = whisk.Instance(whisk.Module(binary)).exports
    with pytest.raises(whisk.Trap) as info:
        e.outer(5)
    inner, outer = info.value.frames
    assert (inner.func_index, inner.func_name, inner.module_name) == (0, "inner", "mymod")
    assert (outer.func_index, outer.func_name, outer.module_name) == (1, "outer", "mymod")
    assert inner.module_offset == at["i32.div_s"][0]        # the trapping instruction
    assert outer.module_offset == at["call"][0]             # the call in the caller frame
    # a load whose address add the core fused into it: the load's offset, not the add's
    with pytest.raises(whisk.Trap) as info:
        e.load(70000)
    assert [f.module_offset for f in info.value.frames] == [at["i32.load"][0]]
    # after a fused compare + br_if; the caller's call (second call instruction)
    with pytest.raises(whisk.Trap) as info:
        e.ret(9)
    assert info.value.frames[0].module_offset == at["unreachable"][0]
    with pytest.raises(whisk.Trap) as info:
        e.ret(-70000)
    load, ret = info.value.frames
    assert (load.module_offset, ret.module_offset) == (at["i32.load"][0], at["call"][1])
    text = str(info.value)
    assert f"{at['i32.load'][0]:#x} - mymod!func[2] load" in text


def test_frames_without_a_name_section():
    m = whisk.Module(wasmtime.wat2wasm('(module (func (export "f") unreachable))'))
    with pytest.raises(whisk.Trap) as info:
        whisk.Instance(m).exports.f()
    (frame,) = info.value.frames
    assert (frame.func_index, frame.module_name, frame.module_offset) == (0, None, 0x1e)   # (wasm-tools: @1e)
    assert "0x1e - func[0] <func 0>" in str(info.value)


def test_relowering_reproduces_each_functions_layout(kinds):
    # the offsets come from lowering a body again: its words must span what the module runs
    from whisk.validate.module import instruction_offsets

    for m in (kinds, whisk.Module(wasmtime.wat2wasm(OFFSETS))):
        funcs = m._lowered.funcs
        total = len(m._lowered.words())
        for k, layout in enumerate(funcs):
            end = funcs[k + 1][0] if k + 1 < len(funcs) else total
            starts, ends, offsets = instruction_offsets(m._struct, None, k)
            assert ends[-1] == end - layout[0] and starts[0] == 0
            assert offsets == sorted(offsets)
