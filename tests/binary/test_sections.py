"""Tests of whisk.binary.sections: decode_module and the per-section decoders (spec 5.4, 5.5)."""

from __future__ import annotations

import struct
import time

import pytest

from whisk.types import RefType
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from leb128 import sleb
from leb128 import uleb as leb
from whisk.binary import decode_module
from whisk.binary.reader import Reader
from whisk.binary.sections import decode_expr, decode_name_section
from whisk.errors import DecodeError
from whisk.features import Features
from whisk.structure import Code, Instr
from whisk.types import FuncType, GlobalType, Limits, MemoryType, TableType

HEADER = b"\x00asm\x01\x00\x00\x00"


# --- helpers that build binaries by hand -------------------------------------------------------


def vec(items) -> bytes:
    items = list(items)
    return leb(len(items)) + b"".join(items)


def name(s: str | bytes) -> bytes:
    raw = s.encode() if isinstance(s, str) else s
    return leb(len(raw)) + raw


def sec(sid: int, content: bytes) -> bytes:
    return bytes([sid]) + leb(len(content)) + content


def custom(nm: str | bytes, payload: bytes = b"") -> bytes:
    return sec(0, name(nm) + payload)


def mod(*sections: bytes) -> bytes:
    return HEADER + b"".join(sections)


def functype(params=b"", results=b"") -> bytes:
    return b"\x60" + vec(bytes([p]) for p in params) + vec(bytes([r]) for r in results)


def body(code: bytes, local_runs=()) -> bytes:
    content = vec(leb(n) + bytes([t]) for n, t in local_runs) + code
    return leb(len(content)) + content


I32, I64, F32, F64, V128, FUNCREF, EXTERNREF = 0x7F, 0x7E, 0x7D, 0x7C, 0x7B, 0x70, 0x6F
END = b"\x0b"


def i32_const(n: int) -> bytes:
    return b"\x41" + sleb(n)


def fail(data: bytes, features: Features | None = None) -> DecodeError:
    with pytest.raises(DecodeError) as info:
        decode_module(data, features=features)
    return info.value


def expect(data: bytes, message: str, features: Features | None = None) -> DecodeError:
    e = fail(data, features)
    assert e.message.startswith(message), (e.message, message)
    return e


def one_func_module(code: bytes, local_runs=()) -> bytes:
    return mod(sec(1, vec([functype()])), sec(3, vec([b"\x00"])),
               sec(10, vec([body(code, local_runs)])))


# --- preamble (spec 5.5.16) --------------------------------------------------------------------


def test_empty_module():
    m = decode_module(HEADER)
    assert m.types == [] and m.funcs == [] and m.codes == [] and m.start is None
    assert m.data_count is None and m.module_name is None


@pytest.mark.parametrize("data, message", [
    (b"", "unexpected end"),
    (b"\x00as", "unexpected end"),
    (b"\x00asm\x01\x00\x00", "unexpected end"),
    (b"asm\x00", "magic header not detected"),
    (b"\x00ASM\x01\x00\x00\x00", "magic header not detected"),
    (b"\xef\xbb\xbf\x00asm\x01\x00\x00\x00", "magic header not detected"),
    (b"\x00asm\x02\x00\x00\x00", "unknown binary version"),
    (b"\x00asm\x00\x00\x00\x01", "unknown binary version"),
])
def test_preamble_errors(data, message):
    expect(data, message)


def test_accepts_bytearray_and_memoryview():
    data = mod(sec(1, vec([functype([I32], [I64])])))
    assert decode_module(bytearray(data)).types == [FuncType(("i32",), ("i64",))]
    assert decode_module(memoryview(data)).types == [FuncType(("i32",), ("i64",))]


# --- section framing and order (spec 5.5.2) ----------------------------------------------------


@pytest.mark.parametrize("sid", [14, 15, 0x7F, 0x80, 0xFF])
def test_malformed_section_id(sid):
    e = expect(mod(bytes([sid, 1, 0])), "malformed section id")
    assert e.offset == 8


def test_section_size_larger_than_input():
    expect(mod(b"\x01\x07\x02\x60\x00\x00"), "length out of bounds")


def test_section_size_larger_than_content():
    # one type declared and given, but the section claims one byte more (eats next id)
    data = mod(b"\x01\x05\x01\x60\x00\x00", sec(3, vec([])))
    e = expect(data, "section size mismatch")
    assert e.offset == 10


def test_section_content_longer_than_size():
    # type section of size 4 whose single type reads past it
    data = mod(b"\x01\x04\x01\x60\x01\x7f\x00")
    expect(data, "section size mismatch")


def test_section_size_mismatch_on_extra_content():
    expect(mod(b"\x01\x07\x01\x60\x00\x00\x60\x00\x00"), "section size mismatch")


def test_truncated_section_is_unexpected_end():
    expect(mod(b"\x01"), "unexpected end")
    expect(mod(b"\x05\x01\x01"), "unexpected end of section or function")


ORDERED = [
    (1, vec([])), (2, vec([])), (3, vec([])), (4, vec([])), (5, vec([])), (6, vec([])),
    (7, vec([])), (9, vec([])), (12, b"\x00"), (10, vec([])), (11, vec([])),
]


def test_all_sections_in_order_with_customs_everywhere():
    parts = [custom("c0")]
    for sid, content in ORDERED:
        parts += [sec(sid, content), custom("c%d" % sid)]
    m = decode_module(mod(*parts))
    assert len(m.customs) == len(ORDERED) + 1
    assert m.data_count == 0


@pytest.mark.parametrize("i", range(len(ORDERED)))
def test_duplicate_section(i):
    sid, content = ORDERED[i]
    expect(mod(sec(sid, content), sec(sid, content)), "unexpected content after last section")


@pytest.mark.parametrize("i, j", [(i, j) for i in range(len(ORDERED)) for j in range(i)])
def test_out_of_order_section(i, j):
    (a, ca), (b, cb) = ORDERED[i], ORDERED[j]
    e = expect(mod(sec(a, ca), sec(b, cb)), "unexpected content after last section")
    assert e.offset == 8 + len(sec(a, ca))


def test_start_section_order():
    ok = mod(sec(1, vec([functype()])), sec(3, vec([b"\x00"])), sec(7, vec([])), sec(8, b"\x00"),
             sec(9, vec([])), sec(10, vec([body(END)])))
    assert decode_module(ok).start == 0
    expect(mod(sec(1, vec([functype()])), sec(3, vec([b"\x00"])), sec(8, b"\x00"),
               sec(7, vec([]))), "unexpected content after last section")
    expect(mod(sec(8, b"\x00"), sec(8, b"\x00")), "unexpected content after last section")


# --- custom sections (spec 5.5.3) and the name section (spec 7.4) ------------------------------


def test_custom_sections_kept():
    m = decode_module(mod(custom("a custom section", b"this is the payload"), custom("", b""),
                          custom("\u2323", b"\x00asm")))
    assert m.customs == [("a custom section", b"this is the payload"), ("", b""),
                         ("\u2323", b"\x00asm")]


def test_custom_section_name_errors_fail_the_module():
    expect(mod(custom(b"\xed\xa0\x80")), "malformed UTF-8 encoding")
    expect(mod(b"\x00\x00"), "unexpected end")                       # no name at all
    expect(mod(b"\x00\x00\x00\x05\x01\x00\x07\x00\x00"), "unexpected end")  # name past size
    expect(mod(b"\x00\x26\x10a custom sectionthis is the payload"), "length out of bounds")
    expect(mod(b"\x00\x25\x10a custom sectionthis is the payload",
               b"\x00\x24\x10a custom sectionthis is the payload"), "malformed section id")


def name_section(module_name=None, funcs=None, extra=b"") -> bytes:
    payload = b""
    if module_name is not None:
        payload += b"\x00" + name(name(module_name))
    if funcs is not None:
        sub = vec(leb(i) + name(n) for i, n in funcs.items())
        payload += b"\x01" + leb(len(sub)) + sub
    return custom("name", payload + extra)


def test_name_section():
    local_names = b"\x02" + name(vec([leb(0) + vec([leb(0) + name("x")])]))
    m = decode_module(mod(sec(1, vec([functype()])), sec(3, vec([b"\x00", b"\x00"])),
                          sec(10, vec([body(END), body(END)])),
                          name_section("mod", {0: "f", 1: "g\u00e9"}, local_names)))
    assert m.module_name == "mod"
    assert m.func_names == {0: "f", 1: "g\u00e9"}
    assert m.customs[0][0] == "name"


@pytest.mark.parametrize("payload", [
    b"",
    b"\x00",
    b"\x00\x05\x03ab",                          # subsection longer than the payload
    b"\x00\x02\x01\xff",                        # bad UTF-8 module name
    b"\x01\x04\x02\x00\x01f",                   # truncated name map
    b"\x01\x80\x80\x80\x80\x80\x00",            # overlong subsection size
    b"\x00\x03\x01m\x00",                       # module name subsection with trailing junk
    b"\xff" * 7,
])
def test_malformed_name_section_is_ignored(payload):
    m = decode_module(mod(custom("name", payload)))
    assert m.customs == [("name", payload)]
    assert m.module_name is None and m.func_names == {}


def test_name_section_keeps_good_subsections():
    good = b"\x00" + name(name("m"))
    bad = b"\x01\x03\x01\x00\xff"
    m = decode_module(mod(custom("name", good + bad)))
    assert m.module_name == "m" and m.func_names == {}
    assert decode_name_section(good + bad) == ("m", {})


def test_decode_name_section_never_raises():
    for payload in (b"\x01", b"\x01\xff\xff\xff\xff\x0f", b"\x00\x01\x05"):
        decode_name_section(payload)


# --- type section (spec 5.5.4) -----------------------------------------------------------------


def test_type_section():
    m = decode_module(mod(sec(1, vec([
        functype(), functype([I32, I64, F32, F64, V128, FUNCREF, EXTERNREF], [I32]),
    ]))))
    assert m.types == [FuncType((), ()), FuncType(
        ("i32", "i64", "f32", "f64", "v128", "funcref", "externref"), ("i32",))]


@pytest.mark.parametrize("content, message", [
    (vec([b"\x5d\x00\x00"]), "malformed function type"),   # (0x5F/0x5E: struct/array, 3.0)
    (vec([b"\xe0\x00\x00"]), "integer representation too long"),
    (vec([b"\x60\x01\x40\x00"]), "malformed value type"),
    (vec([b"\x60\x01\xff\x00"]), "integer representation too long"),
    (b"\x01\x60\x82\x80\x80\x80\x80\x00\x7f\x7e\x01\x7f", "integer representation too long"),
])
def test_type_section_errors(content, message):
    expect(mod(sec(1, content)), message)


# --- import section (spec 5.5.5) ---------------------------------------------------------------


def test_import_section():
    imports = vec([
        name("env") + name("f") + b"\x00\x00",
        name("env") + name("t") + b"\x01\x70\x00\x01",
        name("env") + name("t2") + b"\x01\x6f\x01\x01\x05",
        name("env") + name("m") + b"\x02\x01\x01\x80\x80\x04",
        name("env") + name("g") + b"\x03\x7e\x01",
        name("\u00e9") + name("") + b"\x03\x7f\x00",
    ])
    m = decode_module(mod(sec(1, vec([functype()])), sec(2, imports)))
    kinds = [(i.module, i.name, i.kind, i.desc) for i in m.imports]
    assert kinds == [
        ("env", "f", "func", 0),
        ("env", "t", "table", TableType(Limits(1), "funcref")),
        ("env", "t2", "table", TableType(Limits(1, 5), "externref")),
        ("env", "m", "memory", MemoryType(Limits(1, 65536))),
        ("env", "g", "global", GlobalType("i64", True)),
        ("\u00e9", "", "global", GlobalType("i32", False)),
    ]
    assert [i.name for i in m.imported("table")] == ["t", "t2"]


def test_tag_section_and_tag_imports_and_exports():
    # 3.0 spec 5.5.9: section id 13, between the memory and global sections; kind 0x04
    m = decode_module(mod(sec(1, vec([functype()])),
                          sec(2, vec([name("env") + name("t") + b"\x04\x00\x00"])),
                          sec(5, vec([b"\x00\x01"])),
                          sec(13, vec([b"\x00\x00", b"\x00\x00"])),
                          sec(6, vec([b"\x7f\x00\x41\x00\x0b"])),
                          sec(7, vec([name("x") + b"\x04\x02"]))))
    assert [(i.kind, i.desc) for i in m.imports] == [("tag", 0)]
    assert m.tags == [0, 0]
    assert [(e.kind, e.index) for e in m.exports] == [("tag", 2)]
    assert m.tag_type_indices() == [0, 0, 0]
    expect(mod(sec(13, vec([b"\x01\x00"]))), "zero byte expected")
    expect(mod(sec(6, vec([b"\x7f\x00\x41\x00\x0b"])), sec(13, vec([]))),
           "unexpected content after last section")


@pytest.mark.parametrize("kind", [b"\x05", b"\x06", b"\x80", b"\xff"])
def test_malformed_import_kind(kind):
    expect(mod(sec(2, vec([name("") + name("") + kind]))), "malformed import kind")
    expect(mod(sec(2, vec([name("") + name("") + kind + b"\x00"]))), "malformed import kind")


@pytest.mark.parametrize("mut", [b"\x02", b"\x04", b"\xff"])
def test_malformed_mutability(mut):
    expect(mod(sec(2, vec([name("m") + name("g") + b"\x03\x7f" + mut]))), "malformed mutability")
    expect(mod(sec(6, vec([b"\x7f" + mut + i32_const(0) + END]))), "malformed mutability")


def test_import_name_utf8():
    expect(mod(sec(2, vec([name(b"\xc0\x80") + name("x") + b"\x00\x00"]))),
           "malformed UTF-8 encoding")
    expect(mod(sec(2, vec([name("x") + name(b"\xf5\x80\x80\x80") + b"\x00\x00"]))),
           "malformed UTF-8 encoding")


def test_import_count_mismatch():
    one = name("spectest") + name("print_i32") + b"\x00\x00"
    types = sec(1, vec([functype([I32])]))
    expect(mod(types, b"\x02" + leb(len(one) + 1) + b"\x02" + one),
           "unexpected end of section or function")
    expect(mod(types, b"\x02" + leb(2 * len(one) + 1) + b"\x01" + one + one),
           "section size mismatch")


# --- function, table, memory sections (spec 5.5.6-5.5.8) ---------------------------------------


def test_function_section():
    m = decode_module(mod(sec(3, vec([b"\x00", b"\x05", b"\x80\x01", b"\x80\x80\x00"])),
                          sec(10, vec([body(END)] * 4))))
    assert m.funcs == [0, 5, 128, 0]
    expect(mod(sec(3, b"\x01\x80\x80\x80\x80\x80\x00")), "integer representation too long")


def test_table_section():
    m = decode_module(mod(sec(4, vec([b"\x70\x00\x00", b"\x6f\x01\x02\x03",
                                      b"\x70\x00\xff\xff\xff\xff\x0f"]))))
    assert m.tables == [TableType(Limits(0), "funcref"), TableType(Limits(2, 3), "externref"),
                        TableType(Limits(2**32 - 1), "funcref")]


@pytest.mark.parametrize("content, message", [
    (b"\x01\x70\x02", "integer too large"),
    (b"\x01\x70\x08\x00", "integer too large"),
    (b"\x01\x70\x81\x00\x00\x00", "integer representation too long"),
    (b"\x01\x7f\x00\x00", "malformed reference type"),
    (b"\x01\x40\x00\x00", "malformed reference type"),
    (b"\x01", "unexpected end of section or function"),
])
def test_table_section_errors(content, message):
    # WebAssembly 2.0 reads the limits flag as a 1-bit LEB128
    expect(mod(sec(4, content)), message, Features.wasm2())


@pytest.mark.parametrize("content, message", [
    (b"\x01\x70\x02", "malformed limits flags"),
    (b"\x01\x70\x08\x00", "malformed limits flags"),
    (b"\x01\x70\x81\x00\x00\x00", "malformed limits flags"),
    (b"\x01\x70\x04\x80\x80\x80\x80\x80\x80\x80\x80\x80\x02", "integer too large"),
    (b"\x01\x7f\x00\x00", "malformed reference type"),
])
def test_table_section_errors_3_0(content, message):
    # 3.0 (table64): the flag is one byte of 0x00, 0x01, 0x04, 0x05; i64 limits are u64s
    expect(mod(sec(4, content)), message)


def test_table64_and_memory64_limits():
    m = decode_module(mod(sec(4, vec([b"\x70\x04\x00", b"\x70\x05\x01" + leb(2**40)])),
                          sec(5, vec([b"\x05\x00" + leb(2**48)]))))
    assert m.tables == [TableType(Limits(0), "funcref", "i64"),
                        TableType(Limits(1, 2**40), "funcref", "i64")]
    assert m.mems == [MemoryType(Limits(0, 2**48), "i64")]
    e = expect(mod(sec(5, vec([b"\x04\x00"]))), "integer too large", Features.wasm2())
    assert "64-bit memories are not enabled" in e.message


def test_memory_section():
    m = decode_module(mod(sec(5, vec([b"\x00\x00", b"\x01\x01\x02",
                                      b"\x01\xff\xff\xff\xff\x0f\xff\xff\xff\xff\x0f"]))))
    # min/max are plain u32s: ranges are checked by the validator
    assert m.mems == [MemoryType(Limits(0)), MemoryType(Limits(1, 2)),
                      MemoryType(Limits(2**32 - 1, 2**32 - 1))]


@pytest.mark.parametrize("content, message", [
    (b"\x01\x02", "integer too large"),
    (b"\x01\x10\x00", "integer too large"),
    (b"\x01\x81\x00\x00\x00", "integer representation too long"),
    (b"\x01\x81\x01\x00\x00", "integer representation too long"),
    (b"\x01\x00\x82\x80\x80\x80\x80\x00", "integer representation too long"),
    (b"\x01\x00\x82\x80\x80\x80\x70", "integer too large"),
    (b"\x01\x01\x82\x00\x82\x80\x80\x80\x80\x00", "integer representation too long"),
    (b"\x01", "unexpected end of section or function"),
])
def test_memory_section_errors(content, message):
    expect(mod(sec(5, content)), message, Features.wasm2())


# --- global section and constant expressions (spec 5.5.9, 5.4) ---------------------------------


def test_global_section():
    content = vec([
        b"\x7f\x00" + i32_const(-5) + END,
        b"\x7e\x01" + b"\x42" + sleb(-(2**63)) + END,
        b"\x7d\x00" + b"\x43" + struct.pack("<f", 1.5) + END,
        b"\x7c\x00" + b"\x44" + struct.pack("<d", -0.0) + END,
        b"\x70\x00" + b"\xd0\x70" + END,
        b"\x70\x00" + b"\xd2\x03" + END,
        b"\x6f\x00" + b"\xd0\x6f" + END,
        b"\x7f\x00" + b"\x23\x01" + END,
    ])
    m = decode_module(mod(sec(6, content)))
    assert [(g.type, g.init) for g in m.globals] == [
        (GlobalType("i32"), (Instr("i32.const", -5),)),
        (GlobalType("i64", True), (Instr("i64.const", -(2**63)),)),
        (GlobalType("f32"), (Instr("f32.const", 0x3FC00000),)),
        (GlobalType("f64"), (Instr("f64.const", 0x8000000000000000),)),
        (GlobalType("funcref"), (Instr("ref.null", "funcref"),)),
        (GlobalType("funcref"), (Instr("ref.func", 3),)),
        (GlobalType("externref"), (Instr("ref.null", "externref"),)),
        (GlobalType("i32"), (Instr("global.get", 1),)),
    ]


def expr(data: bytes):
    r = Reader(data)
    out = decode_expr(r)
    assert r.at_end()
    return out


def test_decode_expr_generic_instructions():
    # non-constant instructions are decoded too (the validator rejects them)
    code = (i32_const(1) + i32_const(2) + b"\x6a"                 # i32.add
            + b"\x02\x40" + b"\x01" + END                         # block (empty) nop end
            + b"\x04\x7f" + i32_const(3) + b"\x05" + i32_const(4) + END   # if/else
            + b"\x03\x00" + END                                   # loop with type index 0
            + b"\x28\x02\x10"                                     # i32.load align=2 offset=16
            + b"\x3f\x00" + b"\x40\x00"                           # memory.size, memory.grow
            + b"\x0e\x02\x00\x01\x02"                             # br_table 0 1 default 2
            + b"\x11\x05\x00"                                     # call_indirect type 5 table 0
            + b"\x1c\x01\x7f"                                     # select (result i32)
            + b"\xfc\x00"                                         # i32.trunc_sat_f32_s
            + b"\xfc\x08\x01\x00" + b"\xfc\x0a\x00\x00" + b"\xfc\x0b\x00"
            + b"\xfc\x0c\x02\x03" + b"\xfc\x0e\x04\x05"
            + b"\xfc\x90\x00\x01"                             # table.size 1, padded sub-opcode
            + END)
    assert expr(code) == (
        Instr("i32.const", 1), Instr("i32.const", 2), Instr("i32.add"),
        Instr("block", None), Instr("nop"), Instr("end"),
        Instr("if", "i32"), Instr("i32.const", 3), Instr("else"), Instr("i32.const", 4),
        Instr("end"),
        Instr("loop", 0), Instr("end"),
        Instr("i32.load", (2, 16)),
        Instr("memory.size", 0), Instr("memory.grow", 0),          # 3.0: memory indices
        Instr("br_table", ((0, 1), 2)),
        Instr("call_indirect", (5, 0)),
        Instr("select_t", ("i32",)),
        Instr("i32.trunc_sat_f32_s"),
        Instr("memory.init", (1, 0)), Instr("memory.copy", (0, 0)), Instr("memory.fill", 0),
        Instr("table.init", (2, 3)), Instr("table.copy", (4, 5)), Instr("table.size", 1),
    )


@pytest.mark.parametrize("code, message", [
    (b"\x06" + END, "illegal opcode 06"),
    (b"\xf3\x00" + END, "illegal opcode f3"),
    (b"\xfd\xa2\x01" + END, "illegal opcode fd a2"),            # a gap in the SIMD opcodes
    (b"\xfd\x0c" + bytes(15), "unexpected end of section or function"),
    (b"\xfc\x12" + END, "illegal opcode fc 12"),
    (b"\xfc\x80\x80\x80\x80\x80\x00" + END, "integer representation too long"),
    (i32_const(0), "unexpected end of section or function"),
    (b"\x05" + END, "END opcode expected"),
    (b"\x02\x40\x05" + END + END, "END opcode expected"),
    (b"\x04\x40\x05\x05" + END + END, "END opcode expected"),
    (b"\x3f\x01" + END, "zero byte expected"),
    (b"\x40\x80\x00" + END, "zero byte expected"),
    (b"\xfc\x0a\x00\x01" + END, "zero byte expected"),
    (b"\x28\x20\x00" + END, "malformed memop flags"),
    (b"\x41\x80\x80\x80\x80\x80\x00" + END, "integer representation too long"),
    (b"\x41\xff\xff\xff\xff\x0f" + END, "integer too large"),
    (b"\x42" + b"\x80" * 10 + b"\x00" + END, "integer representation too long"),
    (b"\xd0\x7f" + END, "malformed reference type"),
    (b"\x43\x00\x00", "unexpected end of section or function"),
    (b"\x02\x50" + END + END, "malformed block type"),
])
def test_decode_expr_errors(code, message):
    # the 2.0 decoder's errors (3.0 gives 0x06 and memory index immediates a meaning)
    with pytest.raises(DecodeError) as info:
        decode_expr(Reader(code, features=Features.wasm2()))
    assert info.value.message.startswith(message)


@pytest.mark.parametrize("code, message", [
    (b"\x27" + END, "illegal opcode 27"),
    (b"\x1f\x40\x01\x04\x00" + END + END, "malformed catch clause"),    # try_table
    (b"\x07\x00" + END, "illegal opcode 07"),                            # catch outside a try
    (b"\x06\x40\x18" + END, "unexpected end"),                          # try ... delegate
])
def test_decode_expr_errors_3_0(code, message):
    with pytest.raises(DecodeError) as info:
        decode_expr(Reader(code))
    assert info.value.message.startswith(message)


def test_decode_expr_simd_immediates():
    # v128.const (16 bytes, little-endian), i8x16.shuffle (16 lane bytes), extract_lane (a lane
    # byte), v128.load8_lane (memarg then lane); the 0xFD sub-opcode is a u32 LEB128.
    code = (b"\xfd\x0c" + bytes(range(16)) + b"\xfd\x0d" + bytes(range(16, 32))
            + b"\xfd\x15\x07" + b"\xfd\x54\x00\x10\x03" + b"\xfd\x8e\x01" + END)
    assert expr(code) == (
        Instr("v128.const", int.from_bytes(bytes(range(16)), "little")),
        Instr("i8x16.shuffle", tuple(range(16, 32))),
        Instr("i8x16.extract_lane_s", 7),
        Instr("v128.load8_lane", (0, 16, 3)),
        Instr("i16x8.add"),
    )


def test_decode_expr_deep_nesting_is_iterative():
    depth = 20000
    instrs = expr(b"\x02\x40" * depth + END * (depth + 1))
    assert len(instrs) == 2 * depth


def test_global_init_missing_end_reads_on_like_the_reference():
    # binary.wast: the init expression runs into the code section's id 0x0a, which is
    # throw_ref since 3.0 (2.0's binary.wast expected "illegal opcode" here), and reads on
    data = mod(sec(1, vec([functype()])), sec(3, vec([b"\x00"])),
               b"\x06\x05\x01\x7f\x00\x41\x00", sec(10, vec([body(END)])))
    expect(data, "unexpected end of section or function")


def test_global_count_mismatch():
    expect(mod(b"\x06\x06\x02\x7f\x00\x41\x00\x0b"), "unexpected end of section or function")
    expect(mod(b"\x06\x0b\x01\x7f\x00\x41\x00\x0b\x7f\x00\x41\x00\x0b"), "section size mismatch")


# --- export and start sections (spec 5.5.10, 5.5.11) -------------------------------------------


def test_export_section():
    m = decode_module(mod(sec(7, vec([name("f") + b"\x00\x00", name("t") + b"\x01\x01",
                                      name("m") + b"\x02\x00", name("g") + b"\x03\x80\x01"]))))
    assert [(e.name, e.kind, e.index) for e in m.exports] == [
        ("f", "func", 0), ("t", "table", 1), ("m", "memory", 0), ("g", "global", 128)]
    expect(mod(sec(7, vec([name("f") + b"\x05\x00"]))), "malformed export kind")
    expect(mod(sec(7, vec([name(b"\xff") + b"\x00\x00"]))), "malformed UTF-8 encoding")


def test_export_count_mismatch_reads_on_like_the_reference():
    types = sec(1, vec([functype()]))
    funcs = sec(3, vec([b"\x00", b"\x00"]))
    code = sec(10, vec([body(END), body(END)]))
    expect(mod(types, funcs, b"\x07\x06\x02\x02f1\x00\x00", code), "length out of bounds")
    expect(mod(types, funcs, b"\x07\x0b\x01\x02f1\x00\x00\x02f2\x00\x01", code),
           "section size mismatch")


def test_start_section():
    m = decode_module(mod(sec(8, b"\x81\x01")))
    assert m.start == 129
    expect(mod(sec(8, b"")), "unexpected end")


# --- element section (spec 5.5.12) -------------------------------------------------------------


def test_element_section_all_encodings():
    off = i32_const(7) + END
    ref = lambda i: (Instr("ref.func", i),)  # noqa: E731
    items = vec([b"\xd2\x01" + END, b"\xd0\x70" + END])
    ext_items = vec([b"\xd0\x6f" + END])
    content = vec([
        b"\x00" + off + vec([b"\x00", b"\x01"]),
        b"\x01" + b"\x00" + vec([b"\x02"]),
        b"\x02" + b"\x03" + off + b"\x00" + vec([b"\x04"]),
        b"\x03" + b"\x00" + vec([b"\x05"]),
        b"\x04" + off + items,
        b"\x05" + b"\x6f" + ext_items,
        b"\x06" + b"\x02" + off + b"\x70" + items,
        b"\x07" + b"\x70" + items,
    ])
    m = decode_module(mod(sec(9, content)))
    null_f = (Instr("ref.null", "funcref"),)
    c = (Instr("i32.const", 7),)
    got = [(e.mode, e.reftype, e.init, e.table, e.offset) for e in m.elems]
    ref_func = RefType(False, "func")       # 3.0: segments of function indices are (ref func)
    assert got == [
        ("active", ref_func, (ref(0), ref(1)), 0, c),
        ("passive", ref_func, (ref(2),), 0, None),
        ("active", ref_func, (ref(4),), 3, c),
        ("declarative", ref_func, (ref(5),), 0, None),
        ("active", "funcref", (ref(1), null_f), 0, c),
        ("passive", "externref", ((Instr("ref.null", "externref"),),), 0, None),
        ("active", "funcref", (ref(1), null_f), 2, c),
        ("declarative", "funcref", (ref(1), null_f), 0, None),
    ]


@pytest.mark.parametrize("segment, message", [
    (b"\x08", "malformed elements segment kind"),
    (b"\x80\x01", "malformed elements segment kind"),
    (b"\x01\x01\x00", "malformed element kind"),
    (b"\x02\x00\x41\x00\x0b\x70\x00", "malformed element kind"),
    (b"\x05\x7f\x01\xd2\x00\x0b", "malformed reference type"),
    (b"\x05\x70\x01\xf3\x00\x0b", "illegal opcode"),
    (b"\x80\x80\x80\x80\x80\x00\x41\x00\x0b\x00", "integer representation too long"),
])
def test_element_section_errors(segment, message):
    expect(mod(sec(9, b"\x01" + segment)), message)


def test_element_count_mismatch():
    seg = b"\x00\x41\x00\x0b\x01\x00"
    expect(mod(b"\x09" + leb(1 + len(seg)) + b"\x02" + seg), "unexpected end")
    expect(mod(b"\x09" + leb(1 + len(seg) + 3) + b"\x02" + seg + b"\x00\x41\x00"),
           "unexpected end")
    expect(mod(b"\x09" + leb(1 + 2 * len(seg)) + b"\x01" + seg + seg), "section size mismatch")


# --- code section (spec 5.5.13) ----------------------------------------------------------------


def test_code_section():
    b0 = i32_const(1) + b"\x1a" + END
    b1 = b"\x20\x00" + END
    data = mod(sec(1, vec([functype([I32])])), sec(3, vec([b"\x00", b"\x00"])),
               sec(10, vec([body(b0), body(b1, [(2, I64), (1, F32), (0, I32), (3, V128)])])))
    m = decode_module(data)
    assert m.codes[0].locals == ()
    assert m.codes[0].body == b0
    assert data[m.codes[0].offset:m.codes[0].offset + len(b0)] == b0
    assert m.codes[1].locals == ((2, "i64"), (1, "f32"), (0, "i32"), (3, "v128"))
    assert m.codes[1].body == b1
    assert data[m.codes[1].offset:m.codes[1].offset + len(b1)] == b1
    assert isinstance(m.codes[1], Code) and m.codes[1] == Code(m.codes[1].locals, b1,
                                                               m.codes[1].offset)


def test_code_locals_with_long_lebs():
    content = b"\x02" + b"\x80\x80\x04\x7f" + b"\x81\x00\x7e" + END
    m = decode_module(mod(sec(1, vec([functype()])), sec(3, vec([b"\x00"])),
                          sec(10, vec([leb(len(content)) + content]))))
    assert m.codes[0].locals == ((65536, "i32"), (1, "i64"))
    assert m.codes[0].body == END


def test_local_count_can_be_zero():
    data = mod(sec(1, vec([functype()])), sec(3, vec([b"\x00"])),
               b"\x0a\x0a\x01\x08\x03\x00\x7f\x00\x7e\x02\x7d\x0b")
    assert decode_module(data).codes[0].locals == ((0, "i32"), (0, "i64"), (2, "f32"))


def test_too_many_locals():
    expect(one_func_module(END, [(0xFFFF_FFFF, I32), (2, I64)]), "too many locals")
    expect(one_func_module(END, [(0x4000_0000, t) for t in (I32, I64, F32, F64)]),
           "too many locals")
    assert decode_module(one_func_module(END, [(0xFFFF_FFFE, I32), (1, I64)])).codes


def test_local_count_is_u32():
    content = b"\x02\x80\x80\x80\x80\x10\x7f\x02\x7e\x0b"
    expect(mod(sec(1, vec([functype()])), sec(3, vec([b"\x00"])),
               sec(10, vec([leb(len(content)) + content]))), "integer too large")


@pytest.mark.parametrize("entry, message", [
    (b"\x03\x01\x01\x40", "malformed value type"),
    (b"\x02\x01\x01", "unexpected end of section or function"),   # locals run past the entry
    (b"\x02\x05\x01", "length out of bounds"),                     # more runs than bytes
])
def test_code_entry_errors(entry, message):
    expect(mod(sec(1, vec([functype()])), sec(3, vec([b"\x00"])), sec(10, b"\x01" + entry)),
           message)


def test_code_entry_size_out_of_bounds():
    expect(mod(sec(3, vec([b"\x00"])), b"\x0a\x03\x01\x05\x00"), "length out of bounds")


@pytest.mark.parametrize("funcs, bodies", [(2, None), (0, 1), (2, 1), (1, 2)])
def test_function_and_code_lengths(funcs, bodies):
    parts = [sec(1, vec([functype()]))]
    if funcs is not None:
        parts.append(sec(3, vec([b"\x00"] * funcs)))
    if bodies is not None:
        parts.append(sec(10, vec([body(END)] * bodies)))
    expect(mod(*parts), "function and code section have inconsistent lengths")


def test_empty_function_and_code_sections():
    assert decode_module(mod(sec(3, vec([])))).funcs == []
    assert decode_module(mod(sec(10, vec([])))).codes == []


def test_function_bodies_are_not_decoded():
    # an illegal opcode inside a body is the core's business
    m = decode_module(one_func_module(b"\xff\xfe" + END))
    assert m.codes[0].body == b"\xff\xfe\x0b"


def test_on_body_hook():
    seen = []
    data = mod(sec(1, vec([functype()])), sec(3, vec([b"\x00", b"\x00"])),
               sec(10, vec([body(b"\x01" + END), body(END, [(1, I32)])])))

    def hook(buf, code):
        assert buf == data
        seen.append((code.offset, code.body))

    m = decode_module(data, on_body=hook)
    assert seen == [(c.offset, c.body) for c in m.codes]


def test_on_body_hook_errors_come_first():
    # an error in body 0 wins over the malformed section id that follows the code section
    data = mod(sec(1, vec([functype()])), sec(3, vec([b"\x00"])), sec(10, vec([body(END)])),
               b"\x0e\x01\x00")
    expect(data, "malformed section id")

    def hook(buf, code):
        raise DecodeError("illegal opcode ff", code.offset)

    expect_msg = "illegal opcode ff"
    with pytest.raises(DecodeError) as info:
        decode_module(data, on_body=hook)
    assert info.value.message == expect_msg

    class Boom(Exception):
        pass

    def bad_hook(buf, code):
        raise Boom()

    with pytest.raises(Boom):
        decode_module(data, on_body=bad_hook)


# --- data and data count sections (spec 5.5.14, 5.5.15) ----------------------------------------


def test_data_section_all_encodings():
    content = vec([
        b"\x00" + i32_const(8) + END + name("hi"),
        b"\x01" + name(b"\x00\xff"),
        b"\x02" + b"\x01" + b"\x23\x00" + END + name(""),
    ])
    m = decode_module(mod(sec(12, b"\x03"), sec(11, content)))
    assert m.data_count == 3
    got = [(d.mode, d.data, d.memory, d.offset) for d in m.datas]
    assert got == [
        ("active", b"hi", 0, (Instr("i32.const", 8),)),
        ("passive", b"\x00\xff", 0, None),
        ("active", b"", 1, (Instr("global.get", 0),)),
    ]


@pytest.mark.parametrize("segment, message", [
    (b"\x03", "malformed data segment kind"),
    (b"\x80\x80\x80\x80\x80\x00\x41\x00\x0b\x00", "integer representation too long"),
])
def test_data_section_errors(segment, message):
    expect(mod(sec(11, b"\x01" + segment)), message)


def test_data_length_errors():
    mem = sec(5, vec([b"\x00\x01"]))
    # 7 bytes declared, 6 given (the length check counts the length byte itself)
    expect(mod(mem, b"\x0b\x0c\x01\x00\x41\x03\x0b\x07abcdef"),
           "unexpected end of section or function")
    expect(mod(mem, b"\x0b\x0c\x01\x00\x41\x00\x0b\x05abcdef"), "section size mismatch")
    expect(mod(mem, b"\x0b\x07\x02\x00\x41\x00\x0b\x01a"), "unexpected end of section or function")


@pytest.mark.parametrize("count, segments", [(3, 2), (1, 2), (1, None), (2, 1)])
def test_data_count_mismatch(count, segments):
    parts = [sec(12, leb(count))]
    if segments is not None:
        parts.append(sec(11, vec([b"\x01\x00"] * segments)))
    expect(mod(*parts), "data count and data section have inconsistent lengths")


def test_data_count_zero_without_data():
    assert decode_module(mod(sec(12, b"\x00"))).data_count == 0


# --- modules from the text format ---------------------------------------------------------------


def test_wat_module_round_trip():
    wasmtime = pytest.importorskip("wasmtime")
    wasm = wasmtime.wat2wasm("""
      (module $demo
        (type $t (func (param i32) (result i32)))
        (import "env" "f" (func $imp (type $t)))
        (import "env" "mem" (memory 1))
        (table $tab 4 funcref)
        (global $g (mut i64) (i64.const -7))
        (global f64 (f64.const 2.5))
        (func $add (export "add") (type $t) (local i64 i64 f32)
          local.get 0 i32.const 1 i32.add)
        (func $start)
        (start $start)
        (elem (table $tab) (i32.const 1) func $add $imp)
        (elem funcref (item ref.null func))
        (elem declare func $start)
        (data (i32.const 16) "hello")
        (data "passive"))
    """)
    m = decode_module(wasm)
    assert m.types[0] == FuncType(("i32",), ("i32",))
    assert [(i.module, i.name, i.kind) for i in m.imports] == [("env", "f", "func"),
                                                                 ("env", "mem", "memory")]
    assert m.tables == [TableType(Limits(4), "funcref")]
    assert m.globals[0].init == (Instr("i64.const", -7),)
    bits = struct.unpack("<Q", struct.pack("<d", 2.5))[0]
    assert m.globals[1].init == (Instr("f64.const", bits),)
    assert [(e.name, e.kind, e.index) for e in m.exports] == [("add", "func", 1)]
    assert m.start == 2
    assert [e.mode for e in m.elems] == ["active", "passive", "declarative"]
    assert m.elems[0].init == ((Instr("ref.func", 1),), (Instr("ref.func", 0),))
    assert [d.mode for d in m.datas] == ["active", "passive"]
    assert m.codes[0].locals == ((2, "i64"), (1, "f32"))
    assert m.codes[0].body.endswith(b"\x0b")
    assert m.module_name == "demo"
    assert m.func_names == {0: "imp", 1: "add", 2: "start"}


# --- speed ---------------------------------------------------------------------------------------


def big_module(nfuncs: int, body_len: int) -> bytes:
    code = b"\x01" * (body_len - 2) + END
    entry = body(code)
    return mod(sec(1, vec([functype()])), sec(3, vec([b"\x00"] * nfuncs)),
               sec(10, leb(nfuncs) + entry * nfuncs))


@pytest.mark.parametrize("nfuncs", [1, 1000])
def test_one_megabyte_code_section_is_fast(nfuncs):
    data = big_module(nfuncs, (1 << 20) // nfuncs)
    best = min(_timed(data) for _ in range(3))
    assert best < 0.05, best


def _timed(data: bytes) -> float:
    t = time.perf_counter()
    m = decode_module(data)
    dt = time.perf_counter() - t
    assert sum(len(c.body) for c in m.codes) > 1_000_000
    return dt


# --- fuzzing: only DecodeError may come out -------------------------------------------------------


def _seed_modules() -> list[bytes]:
    seeds = [
        mod(sec(1, vec([functype([I32, I64], [F32])])),
            sec(2, vec([name("env") + name("g") + b"\x03\x7f\x01",
                        name("env") + name("t") + b"\x01\x70\x01\x01\x02"])),
            sec(3, vec([b"\x00", b"\x00"])), sec(4, vec([b"\x70\x00\x01"])),
            sec(5, vec([b"\x01\x01\x02"])),
            sec(6, vec([b"\x7f\x00" + i32_const(3) + END, b"\x70\x00\xd2\x00" + END])),
            sec(7, vec([name("f") + b"\x00\x00"])), sec(8, b"\x01"),
            sec(9, vec([b"\x00" + i32_const(0) + END + vec([b"\x00"]),
                        b"\x05\x70" + vec([b"\xd2\x01" + END]),
                        b"\x06\x00" + i32_const(1) + END + b"\x70" + vec([b"\xd0\x70" + END])])),
            sec(12, b"\x02"),
            sec(10, vec([body(i32_const(1) + b"\x1a" + END, [(2, I32)]), body(END)])),
            sec(11, vec([b"\x00" + i32_const(0) + END + name("abc"), b"\x01" + name("x")])),
            name_section("m", {0: "a", 1: "b"}), custom("other", b"\x01\x02\x03")),
    ]
    try:
        import wasmtime
    except ImportError:  # pragma: no cover
        return seeds
    seeds.append(wasmtime.wat2wasm("""
      (module (type (func (param i32) (result i32)))
        (func (export "f") (param i32) (result i32) (local f64)
          block (result i32) local.get 0 br 0 end)
        (memory 1) (global (mut f32) (f32.const 1.5))
        (table 2 externref) (elem declare func 0)
        (data (memory 0) (offset (i32.const 2)) "zz"))
    """))
    return seeds


SEEDS = _seed_modules()


def _check_only_decode_errors(data: bytes) -> None:
    try:
        decode_module(data)
    except DecodeError as e:
        assert "internal decoder error" not in e.message, e.message
        assert isinstance(e.message, str) and e.message


def test_seeds_are_valid():
    for s in SEEDS:
        decode_module(s)


@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(SEEDS), st.data())
def test_fuzz_mutations(seed, data):
    buf = bytearray(seed)
    for _ in range(data.draw(st.integers(1, 6))):
        op = data.draw(st.sampled_from(["flip", "set", "insert", "delete", "truncate"]))
        if not buf:
            break
        i = data.draw(st.integers(0, len(buf) - 1))
        if op == "flip":
            buf[i] ^= 1 << data.draw(st.integers(0, 7))
        elif op == "set":
            buf[i] = data.draw(st.sampled_from([0x00, 0x01, 0x0B, 0x40, 0x60, 0x70, 0x7F, 0x80,
                                                0xFC, 0xFF, data.draw(st.integers(0, 255))]))
        elif op == "insert":
            buf[i:i] = data.draw(st.binary(min_size=1, max_size=6))
        elif op == "delete":
            del buf[i:i + data.draw(st.integers(1, 4))]
        else:
            del buf[i:]
    _check_only_decode_errors(bytes(buf))


@settings(max_examples=500, deadline=None)
@given(st.binary(max_size=64))
def test_fuzz_random_bodies_after_header(tail):
    _check_only_decode_errors(HEADER + tail)


def _section_boundaries(data: bytes) -> set[int]:
    r = Reader(data, 8)
    out = {8}
    while not r.at_end():
        r.byte()
        size = r.u32()
        r.skip(size)
        out.add(r.pos)
    return out


def test_every_truncation_of_seeds():
    for s in SEEDS:
        boundaries = _section_boundaries(s)
        for i in range(len(s)):
            _check_only_decode_errors(s[:i])
            if i not in boundaries:
                # cut inside a section (or the header): always malformed
                with pytest.raises(DecodeError):
                    decode_module(s[:i])
