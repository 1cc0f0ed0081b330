"""WebAssembly 3.0 GC: decoding, validation and lowering of the GC instructions (issue 15).

Spec: 3.0 binary/instructions (0xFB 0-30, 0xD3 ref.eq; br_on_cast's flags byte),
valid/instructions (the aggregate and reference instructions' typing rules, constant
expressions), valid/matching (storage subtyping). The messages are the reference
interpreter's (interpreter/valid/valid.ml). These cover rules the spec suite's core/gc does not
test; execution is the runtime's (gc_ops.pxi).
"""

import re

import pytest

wasmtime = pytest.importorskip("wasmtime")
import whisk  # noqa: E402
from whisk import disasm  # noqa: E402
from whisk.binary.reader import Reader  # noqa: E402
from whisk.binary.sections import decode_expr  # noqa: E402
from whisk.opcodes import BY_CODE, BY_NAME, OPS, PREFIX_FB  # noqa: E402
from whisk.types import RefType  # noqa: E402


def load(wat: str, **kw) -> whisk.Module:
    return whisk.Module(wasmtime.wat2wasm(wat), **kw)


def without_section(wasm: bytes, section_id: int) -> bytes:
    """The binary with every section of ``section_id`` removed (sizes are u32 LEB128s)."""
    out, pos = bytearray(wasm[:8]), 8
    while pos < len(wasm):
        sid, start = wasm[pos], pos
        pos += 1
        size = shift = 0
        while True:
            b = wasm[pos]
            pos += 1
            size |= (b & 0x7F) << shift
            shift += 7
            if not b & 0x80:
                break
        pos += size
        if sid != section_id:
            out += wasm[start:pos]
    return bytes(out)


TYPES = """
  (type $s (struct (field i32) (field (mut i8)) (field (mut (ref null $s)))))
  (type $ai8 (array (mut i8)))
  (type $ai16 (array (mut i16)))
  (type $ai32 (array (mut i32)))
  (type $aref (array (mut (ref any))))
  (type $aext (array (mut externref)))
  (type $imm (array i32))
  (type $nd (struct (field (ref $s))))
  (type $f (func))
  (data $d "abcd")
  (elem $e funcref (ref.null func))
  (func $g)
"""


# --- the opcode table ----------------------------------------------------------------------

def test_gc_rows_of_the_opcode_table():
    fb = sorted(op.code for op in OPS if op.prefix == PREFIX_FB)
    assert fb == list(range(31))
    assert all(op.feature == "gc" for op in OPS if op.prefix == PREFIX_FB)
    assert BY_NAME["ref.eq"].key == 0xD3 and BY_NAME["ref.eq"].feature == "gc"
    # ref.test / ref.cast: two opcodes each, the nullability of the target in the immediate
    assert [BY_CODE[PREFIX_FB << 16 | c].name for c in (20, 21, 22, 23)] == [
        "ref.test", "ref.test", "ref.cast", "ref.cast"]
    assert [BY_CODE[PREFIX_FB << 16 | c].imm for c in (20, 21)] == ["cast", "cast_null"]
    assert BY_NAME["ref.test"].code == 20
    assert BY_NAME["array.new_fixed"].imm == "type_n" and BY_NAME["array.copy"].imm == "type_type"


def test_python_decoder_reads_the_gc_immediates():
    # br_on_cast 1 (ref null any) (ref 3); struct.get 2 1; ref.test (ref null i31); end
    code = bytes([0xFB, 24, 0b01, 1, 0x6E, 3, 0xFB, 2, 2, 1, 0xFB, 21, 0x6C, 0x0B])
    ins = decode_expr(Reader(code, 0))
    assert [(i.name, i.imm) for i in ins] == [
        ("br_on_cast", (1, RefType(True, "any"), RefType(False, 3))), ("struct.get", (2, 1)),
        ("ref.test", RefType(True, "i31"))]
    with pytest.raises(whisk.DecodeError, match="malformed br_on_cast flags"):
        decode_expr(Reader(bytes([0xFB, 24, 4, 0, 0x6E, 0x6E, 0x0B]), 0))
    with pytest.raises(whisk.DecodeError, match="illegal opcode fb 1f"):
        decode_expr(Reader(bytes([0xFB, 31, 0x0B]), 0))


def test_lowerer_rejects_bad_br_on_cast_flags():
    wasm = bytearray(wasmtime.wat2wasm("""(module (func (param anyref) (result anyref)
        (block $l (result anyref) (br_on_cast $l anyref anyref (local.get 0)))))"""))
    at = wasm.index(bytes([0xFB, 24]))
    wasm[at + 2] = 0x07
    with pytest.raises(whisk.DecodeError, match="malformed br_on_cast flags"):
        whisk.Module(bytes(wasm))


# --- typing rules ----------------------------------------------------------------------------

@pytest.mark.parametrize("body, message", [
    ("(drop (struct.get $s 1 (ref.null $s)))", "field is packed"),
    ("(drop (struct.get_s $s 0 (ref.null $s)))", "field is unpacked"),
    ("(drop (array.get $ai8 (ref.null $ai8) (i32.const 0)))", "array is packed"),
    ("(drop (array.get_u $ai32 (ref.null $ai32) (i32.const 0)))", "array is unpacked"),
    ("(struct.set $s 0 (ref.null $s) (i32.const 1))", "immutable field"),
    ("(array.set $imm (ref.null $imm) (i32.const 0) (i32.const 1))", "immutable array"),
    ("(drop (struct.new_default $nd))", "field type is not defaultable"),
    ("(drop (array.new_default $aref (i32.const 1)))", "array type is not defaultable"),
    ("(drop (struct.get $ai32 0 (ref.null $ai32)))", "type mismatch"),
    ("(drop (array.len (ref.null $s)))", "type mismatch"),
    ("(drop (array.new_data $aref $d (i32.const 0) (i32.const 1)))",
     "array type is not numeric or vector"),
    ("(array.init_elem $aext $e (ref.null $aext) (i32.const 0) (i32.const 0) (i32.const 0))",
     "type mismatch"),
    ("(array.copy $ai8 $ai16 (ref.null $ai8) (i32.const 0) (ref.null $ai16) (i32.const 0)"
     " (i32.const 0))", "array types do not match"),
    ("(drop (ref.test (ref $s) (ref.null func)))", "type mismatch"),
    ("(drop (ref.cast (ref null extern) (ref.null any)))", "type mismatch"),
    ("(drop (i31.get_s (ref.null any)))", "type mismatch"),
    ("(drop (ref.eq (ref.null func) (ref.null func)))", "type mismatch"),
    ("(drop (any.convert_extern (ref.null any)))", "type mismatch"),
    ("(drop (block $l (result anyref) (br_on_cast $l (ref null $s) anyref (ref.null $s))))",
     "type mismatch on cast"),
    # br_on_cast carries the target type: the label must take (ref $s)
    ("(drop (block $l (result (ref $ai8)) (br_on_cast $l anyref (ref $s) (ref.null any))"
     " (unreachable)))", "type mismatch"),
    # br_on_cast_fail carries rt1 \\ rt2 (here anyref): the label must take it
    ("(drop (block $l (result (ref any)) (br_on_cast_fail $l anyref (ref $s) (ref.null any))"
     " (unreachable)))", "type mismatch"),
    ("(drop (array.new_fixed $ai32 2 (i32.const 1)))", "type mismatch"),
    ("(drop (array.new $ai8 (i64.const 1) (i32.const 1)))", "type mismatch"),
])
def test_invalid_gc_bodies(body, message):
    with pytest.raises(whisk.ValidationError, match=re.escape(message)):
        load(f"(module {TYPES} (func {body}))")


def test_unknown_field_data_and_type():
    for body, message in [("(drop (struct.get $s 5 (ref.null $s)))", "unknown field 5"),
                          ("(drop (array.new_data $ai8 3 (i32.const 0) (i32.const 0)))",
                           "unknown data segment 3"),
                          ("(drop (array.new_elem $aext 4 (i32.const 0) (i32.const 0)))",
                           "unknown elem segment 4")]:
        with pytest.raises(whisk.ValidationError, match=message):
            load(f"(module {TYPES} (func {body}))")


def test_array_data_ops_need_the_data_count_section():
    wasm = wasmtime.wat2wasm(f"""(module {TYPES} (func
        (drop (array.new_data $ai8 $d (i32.const 0) (i32.const 1)))))""")
    whisk.Module(wasm)
    with pytest.raises(whisk.DecodeError, match="data count section required"):
        whisk.Module(without_section(wasm, 12))


def test_result_types_of_the_reference_instructions():
    # any.convert_extern keeps non-nullness; br_on_cast leaves rt1 \ rt2 (non-null when the
    # target is nullable); br_on_cast_fail leaves rt2; ref.cast gives its target type
    load(f"""(module {TYPES}
      (func $takes_any (param (ref any)))
      (func $takes_s (param (ref $s)))
      (func (param (ref extern)) (param anyref)
        (call $takes_any (any.convert_extern (local.get 0)))
        (drop (block $l (result anyref)
          (call $takes_any (br_on_cast $l anyref (ref null $s) (local.get 1)))
          (ref.null any)))
        (drop (block $l (result anyref)
          (call $takes_s (br_on_cast_fail $l anyref (ref $s) (local.get 1)))
          (ref.null any)))
        (call $takes_s (ref.cast (ref $s) (local.get 1)))
        (drop (i31.get_u (ref.i31 (i32.const 5))))
        (drop (ref.eq (ref.i31 (i32.const 1)) (array.new_default $ai8 (i32.const 1))))))""")
    with pytest.raises(whisk.ValidationError, match="type mismatch"):
        load(f"""(module {TYPES} (func $takes_any (param (ref any)))
          (func (param externref) (call $takes_any (any.convert_extern (local.get 0)))))""")


def test_struct_and_array_subtyping_of_operands():
    # a subtype's reference is accepted where the supertype's is expected (valid/matching)
    load("""(module
      (type $p (sub (struct (field i32))))
      (type $c (sub $p (struct (field i32) (field i64))))
      (func (param (ref $c)) (result i32) (struct.get $p 0 (local.get 0))))""")
    load("""(module (type $a (array (mut anyref))) (type $b (array (ref i31)))
      (func (param (ref $a) (ref $b))
        (array.copy $a $b (local.get 0) (i32.const 0) (local.get 1) (i32.const 0)
                    (i32.const 1))))""")
    with pytest.raises(whisk.ValidationError, match="array types do not match"):
        load("""(module (type $a (array (mut (ref i31)))) (type $b (array anyref))
          (func (param (ref $a) (ref $b))
            (array.copy $a $b (local.get 0) (i32.const 0) (local.get 1) (i32.const 0)
                        (i32.const 1))))""")


# --- constant expressions --------------------------------------------------------------------

def test_gc_constant_expressions():
    load(f"""(module {TYPES}
      (global (ref $s) (struct.new $s (i32.const 1) (i32.const 2) (ref.null $s)))
      (global (ref $ai8) (array.new_fixed $ai8 2 (i32.const 1) (i32.const 2)))
      (global (ref $ai32) (array.new_default $ai32 (i32.const 3)))
      (global (ref i31) (ref.i31 (i32.const 7)))
      (global externref (extern.convert_any (ref.null any)))
      (global (ref null any) (any.convert_extern (ref.null extern))))""")
    for glob, message in [
        ("(global i32 (array.len (array.new_default $ai8 (i32.const 1))))",
         "constant expression required"),
        ("(global (ref $nd) (struct.new_default $nd))", "field type is not defaultable"),
        ("(global (ref $s) (array.new_default $ai8 (i32.const 1)))", "type mismatch"),
        ("(global (ref $ai8) (array.new $ai8 (i32.const 1)))", "type mismatch"),
        ("(global (ref any) (any.convert_extern (ref.null extern)))", "type mismatch"),
    ]:
        with pytest.raises(whisk.ValidationError, match=message):
            load(f"(module {TYPES} {glob})")


# --- the gc feature --------------------------------------------------------------------------

def test_gc_needs_its_feature():
    off = whisk.Features(gc=False)
    with pytest.raises(whisk.DecodeError, match="garbage collection is not enabled"):
        load("(module (func (drop (ref.i31 (i32.const 1)))))", features=off)
    with pytest.raises(whisk.DecodeError, match="garbage collection is not enabled"):
        load("(module (type (struct)))", features=off)
    with pytest.raises(whisk.DecodeError, match="garbage collection is not enabled"):
        load("(module (func (local anyref)))", features=off)
    load("(module (func (local funcref) (local (ref null func))))", features=off)


# --- lowering --------------------------------------------------------------------------------

def test_lowered_gc_ops():
    m = load("""(module
      (type $s (struct (field i32) (field v128) (field (mut i64))))
      (func (export "f") (param $x i32) (param $r anyref) (result i32)
        (drop (struct.new $s (local.get $x) (v128.const i64x2 1 2) (i64.const 3)))
        (drop (ref.test (ref null $s) (local.get $r)))
        (drop (ref.cast (ref i31) (local.get $r)))
        (ref.eq (ref.i31 (local.get $x)) (ref.cast (ref eq) (local.get $r)))))""")
    text = disasm.listing(m)
    # field values in consecutive slots from base: i32, v128 (two slots), i64
    s = re.search(r"struct_new +d=(\d+) type=0 base=(\d+)$", text, re.M)
    base = int(s.group(2))
    # (a copy and a const32 in a row are one copy_const: copy d a, then d2 = imm)
    assert re.search(rf": copy(_const)? +d={base} a=0( |$)", text, re.M)
    assert re.search(rf": v128_const +d={base + 1} ", text, re.M)
    assert re.search(rf"(: const32 +d={base + 3}|d2={base + 3}) imm=3$", text, re.M)
    # heap types as code.pxd encodes them: H_CONCRETE (16) + 0, H_I31 (9), H_EQ (8)
    assert re.search(r": ref_test +d=\d+ a=1 heap=16 null=1$", text, re.M)
    assert re.search(r": ref_cast +d=\d+ a=1 heap=9 null=0$", text, re.M)
    assert re.search(r": ref_cast +d=\d+ a=1 heap=8 null=0$", text, re.M)
    assert re.search(r": ref_eq +d=\d+ a=\d+ b=\d+$", text, re.M)


BR_ON_CAST = """
(module
  (type $s (struct (field i32)))
  (type $t (sub (struct (field i32))))
  (type $u (sub $t (struct (field i32) (field i64))))
  (func $mk (param i32) (result anyref)
    (if (result anyref) (i32.eqz (local.get 0)) (then (ref.null any))
      (else (if (result anyref) (i32.eq (local.get 0) (i32.const 1))
        (then (ref.i31 (i32.const 42)))
        (else (if (result anyref) (i32.eq (local.get 0) (i32.const 2))
           (then (struct.new $s (i32.const 7)))
           (else (struct.new $u (i32.const 9) (i64.const 1)))))))))
  ;; to the function label (results copied to fp[0])
  (func (export "f1") (param i32) (result anyref)
    (br_on_cast 0 anyref (ref $s) (call $mk (local.get 0)))
    (drop) (ref.i31 (i32.const 5)))
  ;; block label with an extra value below the ref: copies needed
  (func (export "f2") (param i32) (result i32)
    (block $l (result i32 (ref null $t))
      (i32.const 100)
      (br_on_cast $l anyref (ref null $t) (call $mk (local.get 0)))
      (drop) (drop) (return (i32.const -5)))
    (drop))
  (func (export "f3") (param i32) (result i32)
    (block $l (result i32 anyref)
      (i32.const 100)
      (br_on_cast_fail $l anyref (ref $t) (call $mk (local.get 0)))
      (struct.get $t 0) (return))
    (drop))
  ;; loop label: count casts that fail, as a loop with parameter
  (func (export "f4") (param i32) (result i32) (local $n i32)
    (local.set $n (i32.const 0))
    (block $done (result anyref)
      (call $mk (local.get 0))
      (loop $l (param anyref) (result anyref)
        (local.set $n (i32.add (local.get $n) (i32.const 1)))
        (br_if $done (i32.gt_u (local.get $n) (i32.const 3)))
        (br_on_cast_fail $l anyref (ref $s))
        (drop) (ref.null any)))
    (drop) (local.get $n))
)
"""


def test_br_on_cast_branches_run():
    """br_on_cast / br_on_cast_fail to the function's label, to a block whose values need
    copies (the opposite test skips them) and back to a loop (the polling branch): the
    branch is taken exactly when the cast succeeds (fails), null matching a nullable target."""
    f = whisk.Instance(whisk.Module(BR_ON_CAST)).exports
    # $mk: 0 null, 1 (ref.i31 42), 2 a $s, 3 a $u (<: $t; $s is a distinct final type)
    assert [type(f["f1"](i)).__name__ for i in range(4)] == [
        "I31Ref", "I31Ref", "StructRef", "I31Ref"]
    assert [f["f2"](i) for i in range(4)] == [100, -5, -5, 100]
    assert [f["f3"](i) for i in range(4)] == [100, 100, 100, 9]
    assert [f["f4"](i) for i in range(4)] == [4, 4, 1, 4]
