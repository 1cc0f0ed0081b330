"""Decoding of a module's sections (spec 5.5) and of constant expressions (spec 5.4).

:func:`decode_module` reads the preamble, then the sections in order, with one ``decode_*``
function per section. Each section decoder takes the :class:`~whisk.binary.reader.Reader`
positioned at the start of the section's contents and returns what it decoded; the caller
checks that exactly the declared size was consumed (``"section size mismatch"``).

Like the reference interpreter (which the spec test suite's messages come from), the contents of
a section are read from the whole input rather than from a sub-stream cut at the section's end:
an entry that runs over its section reads on into the following bytes and is caught by the size
check (or by whatever those bytes turn out to be), lengths are checked against the rest of the
input (``"length out of bounds"``), and running out of input is
``"unexpected end of section or function"``. Function bodies are the exception: they are only
sliced here (the core decodes them), and their locals are read within the body's declared size.
"""

from __future__ import annotations

from typing import Callable

from ..errors import DecodeError
from ..features import Features, disabled_message, feature_bit
from ..structure import (
    Code, DataSegment, ElemSegment, Export, GlobalDef, Import, Instr, ModuleStruct,
)
from ..opcodes import BY_CODE, PREFIX_FB, PREFIX_FC, PREFIX_FD
from ..types import (
    ABSTRACT_HEAPS, VALTYPE_BY_CODE, ArrayType, FieldType, FuncType, GlobalType, Limits,
    MemoryType, RefType, StructType, SubType, TableType, ValType, ref_type,
)
from .reader import EOF_MESSAGE, Reader, feature_enabled

__all__ = [
    "decode_module", "decode_custom_section", "decode_name_section", "decode_type_section",
    "decode_import_section", "decode_function_section", "decode_table_section",
    "decode_memory_section", "decode_global_section", "decode_export_section",
    "decode_start_section", "decode_element_section", "decode_datacount_section", "decode_tag_section",
    "decode_code_section", "decode_data_section", "decode_expr", "read_valtype", "read_reftype",
    "read_limits", "read_tabletype", "read_memtype", "read_globaltype", "read_functype",
    "SECTION_ORDER", "MAGIC", "VERSION", "BodyHook",
]

#: ``on_body(data, code)``: called for each function body as it is sliced (see decode_module).
BodyHook = Callable[[bytes, Code], None]
#: A function's local declarations as ``(count, valtype)`` runs.
LocalRuns = tuple[tuple[int, ValType], ...]

MAGIC = b"\x00asm"
VERSION = b"\x01\x00\x00\x00"

#: Section id -> rank in the required order (spec 5.5.2); custom sections (id 0) may go anywhere.
#: The data count section (id 12) comes between the element (9) and code (10) sections, the tag
#: section (id 13, 3.0 spec 5.5.9) between the memory (5) and global (6) sections.
SECTION_ORDER: dict[int, int] = {
    1: 1, 2: 2, 3: 3, 4: 4, 5: 5, 13: 6, 6: 7, 7: 8, 8: 9, 9: 10, 12: 11, 10: 12, 11: 13,
}
_MAX_SECTION_ID = 13

#: Reference type shorthands (3.0 binary/types): a code for (ref null ht), ht abstract.
_REFTYPE_BY_CODE = {code: ref_type(True, heap) for code, heap in ABSTRACT_HEAPS.items()}
_MAX_TYPES = 1000000            # the JS API's limit on a module's types (wasmparser's too)
_EXTERN_KINDS = ("func", "table", "memory", "global", "tag")
_MAX_LOCALS = 0xFFFF_FFFF
#: Implementation limits of the JS API (which wasmparser, wasmtime and the browsers apply; the
#: 2.0 spec sets none): parameters and results of one function type.
MAX_FUNC_PARAMS = 1000
MAX_FUNC_RESULTS = 1000


def _fast_code_ok() -> bool:
    """Whether :class:`Code` objects can be built by filling their ``__dict__`` directly.

    ``decode_code_section`` creates one ``Code`` per function and the frozen record's
    ``__init__`` dominates the decoding of modules with many small functions; this checks that
    ``Code`` is still a plain ``__dict__`` record with the expected fields (otherwise the
    ordinary constructor is used)."""
    try:
        c = object.__new__(Code)
        c.__dict__.update(locals=(), body=b"", offset=0)
        return Code.__match_args__ == ("locals", "body", "offset") and c == Code(
            (), b"", 0)
    except Exception:  # noqa: BLE001
        return False


_FAST_CODE = _fast_code_ok()


# --- types (spec 5.3) -------------------------------------------------------------------------


def _bad_type_byte(b: int, pos: int, what: str) -> DecodeError:
    # Type codes are single-byte s7 LEB128s: a continuation bit makes the encoding too long.
    if b & 0x80:
        return DecodeError("integer representation too long", pos + 1)
    return DecodeError(what, pos)


def _no_exceptions(r: Reader, what: str, pos: int) -> None:
    # A construct of the exceptions feature, which r.features disables: malformed, with the
    # message a WebAssembly 2.0 decoder gives first ("malformed import kind", ...).
    if "exceptions" not in r.features:
        raise DecodeError(f"{what}: {disabled_message('exceptions')}", pos)


def _typed_refs_off(r: Reader, b: int, pos: int, what: str) -> None:
    """With typed function references (or, for exnref, exceptions) off, only the 2.0 reference
    types are: anything else is ``what`` (the 2.0 decoder's message), the feature named."""
    if b == 0x70 or b == 0x6F:
        return
    if b == 0x69 or b == 0x74:
        _no_exceptions(r, what, pos)
    elif not feature_enabled(r, "function_references"):
        raise DecodeError(f"{what} ({disabled_message('function_references')})", pos)
    elif b in _GC_HEAPS and not feature_enabled(r, "gc"):
        raise DecodeError(f"{what} ({disabled_message('gc')})", pos)


#: The abstract heap types of the GC feature (3.0 binary/types): any, eq, i31, struct, array,
#: none.
_GC_HEAPS = frozenset({0x6E, 0x6D, 0x6C, 0x6B, 0x6A, 0x71})


def read_heaptype(r: Reader) -> "str | int":
    """Read a heap type (3.0 binary/types): an abstract heap type's code (a negative s33 of one
    byte) or a type index (a non-negative s33)."""
    pos = r.pos
    b = r.peek()
    if b is not None and b in ABSTRACT_HEAPS:
        _typed_refs_off(r, b, pos, "malformed reference type")
        r.pos = pos + 1
        return ABSTRACT_HEAPS[b]
    _typed_refs_off(r, -1, pos, "malformed reference type")
    x = r.s33()
    if x < 0:
        raise DecodeError("malformed heap type", pos)
    return x


def _read_ref(r: Reader, b: int, pos: int, what: str) -> "str | RefType":
    t = _REFTYPE_BY_CODE.get(b)
    if t is not None:
        _typed_refs_off(r, b, pos, what)
        return t
    if b == 0x63 or b == 0x64:
        _typed_refs_off(r, b, pos, what)
        return ref_type(b == 0x63, read_heaptype(r))
    raise _bad_type_byte(b, pos, what)


def read_valtype(r: Reader) -> "str | RefType":
    """Read a value type (spec 5.3.4; 3.0 binary/types): 0x7F..0x7B, a reference type
    shorthand (0x70 funcref, 0x6F externref, ...) or 0x63/0x64 with a heap type."""
    pos = r.pos
    b = r.byte()
    t = VALTYPE_BY_CODE.get(b)
    if t is None:
        return _read_ref(r, b, pos, "malformed value type")
    if b == 0x69:
        _no_exceptions(r, "malformed value type", pos)
    return t


def read_reftype(r: Reader) -> "str | RefType":
    """Read a reference type (spec 5.3.3; 3.0 binary/types): a shorthand code, or 0x63
    (ref null ht) / 0x64 (ref ht) followed by a heap type."""
    pos = r.pos
    return _read_ref(r, r.byte(), pos, "malformed reference type")


def _read_storage(r: Reader) -> "str | RefType":
    b = r.peek()
    if b == 0x78 or b == 0x77:
        r.pos += 1
        return "i8" if b == 0x78 else "i16"
    return read_valtype(r)


def _read_mut(r: Reader) -> bool:
    """Mutability (spec 5.3.10): 0x00 const, 0x01 var."""
    pos = r.pos
    m = r.byte()
    if m > 1:
        raise DecodeError("malformed mutability", pos)
    return m == 1


def _read_field(r: Reader) -> FieldType:
    t = _read_storage(r)
    return FieldType(t, _read_mut(r))


def read_comptype(r: Reader) -> object:
    """Read a composite type (3.0 binary/types): 0x60 function, 0x5F struct, 0x5E array."""
    pos = r.pos
    b = r.peek()
    if (b == 0x5F or b == 0x5E) and not feature_enabled(r, "gc"):
        raise DecodeError(f"malformed function type ({disabled_message('gc')})", pos)
    if b == 0x5F:
        r.pos += 1
        return StructType(tuple(r.vec(lambda: _read_field(r))))
    if b == 0x5E:
        r.pos += 1
        return ArrayType(_read_field(r))
    return read_functype(r)


def read_subtype(r: Reader) -> SubType:
    """Read a sub type (3.0 binary/types): 0x50 (sub) / 0x4F (sub final) with supertype
    indices, or a bare composite type (final, no supertypes)."""
    b = r.peek()
    if b == 0x50 or b == 0x4F:
        r.pos += 1
        supers = tuple(r.vec(r.u32))
        return SubType(b == 0x4F, supers, read_comptype(r))
    return SubType(True, (), read_comptype(r))


def read_functype(r: Reader) -> FuncType:
    """Read a function type (spec 5.3.6): 0x60, then parameter and result vectors."""
    pos = r.pos
    b = r.byte()
    if b != 0x60:
        raise _bad_type_byte(b, pos, "malformed function type")
    params = tuple(r.vec(lambda: read_valtype(r)))
    if len(params) > MAX_FUNC_PARAMS:
        raise DecodeError("function params size is out of bounds", pos)
    results = tuple(r.vec(lambda: read_valtype(r)))
    if len(results) > MAX_FUNC_RESULTS:
        raise DecodeError("function results size is out of bounds", pos)
    return FuncType(params, results)


def read_limits(r: Reader) -> tuple[Limits, str]:
    """Read limits (spec 5.3.7) and the address type they carry: ``(Limits, "i32" | "i64")``.

    WebAssembly 3.0 (memory64, table64): the flag byte is 0x00 (min), 0x01 (min, max), 0x04
    (i64: min) or 0x05 (i64: min, max); the bounds are u64s whatever the address type (the
    validator bounds them: "memory size must be at most 65536 pages"); any other flag byte is
    ``"malformed limits flags"``. With the memory64 feature off (WebAssembly 2.0),
    the flag is read as a 1-bit LEB128 like the 2.0 reference interpreter does, so 0x02..0x7F
    are ``"integer too large"`` and a continuation bit is ``"integer representation too long"``.
    """
    p = r.pos
    if p < r.end and r.data[p] < 2:
        r.pos = p + 1
        flag = r.data[p]
    elif feature_enabled(r, "memory64"):
        flag = r.byte()
        if flag not in (4, 5):
            raise DecodeError("malformed limits flags", p)
    else:
        if p < r.end and r.data[p] in (4, 5):       # 2.0 reads a 1-bit LEB128 here
            raise DecodeError(f"integer too large ({disabled_message('memory64')})", p)
        flag = r.uleb(1)
    if flag & 4 or feature_enabled(r, "memory64"):
        mn = r.u64()
        mx = r.u64() if flag & 1 else None
        return Limits(mn, mx), "i64" if flag & 4 else "i32"
    mn = r.u32()
    mx = r.u32() if flag else None
    return Limits(mn, mx), "i32"


def read_tabletype(r: Reader) -> TableType:
    """Read a table type (spec 5.3.9): a reference type, then limits (with the address type)."""
    elem = read_reftype(r)
    limits, address = read_limits(r)
    return TableType(limits, elem, address)


def read_memtype(r: Reader) -> MemoryType:
    """Read a memory type (spec 5.3.8): limits (range checks are the validator's job)."""
    limits, address = read_limits(r)
    return MemoryType(limits, address)


def read_globaltype(r: Reader) -> GlobalType:
    """Read a global type (spec 5.3.10): a value type, then mutability 0x00 / 0x01."""
    t = read_valtype(r)
    return GlobalType(t, _read_mut(r))


# --- constant expressions (spec 5.4, 5.4.9) ---------------------------------------------------


def _imm_none(r: Reader) -> None:
    return None


def _imm_u32(r: Reader) -> int:
    return r.u32()


def _imm_two_u32(r: Reader) -> tuple[int, int]:
    a = r.u32()
    return (a, r.u32())


def _zero_byte(r: Reader) -> None:
    pos = r.pos
    if r.byte() != 0:
        raise DecodeError("zero byte expected", pos)


def _memidx(r: Reader) -> int:
    """A memory index immediate (3.0, multi-memory): a u32; with the feature off, the byte 0x00
    that 2.0 reserves."""
    if feature_enabled(r, "multi_memory"):
        return r.u32()
    if r.pos < r.end and r.data[r.pos] != 0:
        raise DecodeError(f"zero byte expected ({disabled_message('multi_memory')})", r.pos)
    _zero_byte(r)
    return 0


def _imm_mem0(r: Reader) -> int:
    return _memidx(r)


def _imm_mem_copy(r: Reader) -> tuple[int, int]:
    return (_memidx(r), _memidx(r))


def _imm_mem_init(r: Reader) -> tuple[int, int]:
    x = r.u32()
    return (x, _memidx(r))


def _imm_memarg(r: Reader) -> tuple[int, int] | tuple[int, int, int]:
    """memarg (3.0 spec 5.4.6): flags (the alignment exponent, bit 6 set when a memory index
    follows), [memidx], offset (u64; u32 without memory64). (align, offset) for memory 0, else
    (align, offset, memidx)."""
    pos = r.pos
    flags = r.u32()
    mem = 0
    if feature_enabled(r, "multi_memory"):
        # 3.0: n < 64 the alignment (the validator bounds it), 64 <= n < 128 a memory index follows
        if flags >= 128:
            raise DecodeError("malformed memop flags", pos)
        if flags >= 64:
            flags -= 64
            mem = r.u32()
    elif flags >= 32:
        raise DecodeError("malformed memop flags", pos)
    offset = r.u64() if feature_enabled(r, "memory64") else r.u32()
    return (flags, offset) if mem == 0 else (flags, offset, mem)


def _imm_v128(r: Reader) -> int:
    # v128.const: 16 bytes, little-endian (spec 5.4.8); the value as an unsigned 128-bit int.
    return int.from_bytes(r.bytes(16), "little")


def _imm_shuffle(r: Reader) -> tuple[int, ...]:
    # i8x16.shuffle: 16 lane index bytes (their range is checked by validation).
    return tuple(r.bytes(16))


def _imm_lane(r: Reader) -> int:
    return r.byte()


def _imm_memarg_lane(r: Reader) -> tuple[int, ...]:
    align, offset, *mem = _imm_memarg(r)
    return (align, offset, r.byte(), *mem)


def _imm_br_table(r: Reader) -> tuple[tuple[int, ...], int]:
    labels = tuple(r.vec(r.u32))
    return (labels, r.u32())


def _imm_blocktype(r: Reader) -> object:
    # spec 5.4.1: 0x40 (empty), a value type, or a non-negative s33 type index.
    p = r.pos
    b = r.peek()
    if b == 0x40:
        r.pos = p + 1
        return None
    if b is not None:
        t = VALTYPE_BY_CODE.get(b) or _REFTYPE_BY_CODE.get(b)
        if t is not None:
            r.pos = p + 1
            return t
        if b == 0x63 or b == 0x64:
            return read_valtype(r)
    x = r.s33()
    if x < 0:
        raise DecodeError("malformed block type", p)
    return x


def _imm_select_t(r: Reader) -> tuple[ValType, ...]:
    return tuple(r.vec(lambda: read_valtype(r)))


def _imm_reftype(r: Reader) -> "str | RefType":
    # ref.null (3.0): a heap type; the immediate is the nullable reference type it makes
    return ref_type(True, read_heaptype(r))


def _imm_try_table(r: Reader) -> tuple[object, tuple[tuple[int, int | None, int], ...]]:
    # try_table (3.0 spec 5.4.1): a block type, then vec(catch) of (kind, tag or None, label);
    # kinds 0x00 catch, 0x01 catch_ref (a tag and a label), 0x02 catch_all, 0x03 catch_all_ref.
    bt = _imm_blocktype(r)

    def catch() -> tuple[int, int | None, int]:
        pos = r.pos
        kind = r.byte()
        if kind > 3:
            raise DecodeError("malformed catch clause", pos)
        tag = r.u32() if kind < 2 else None
        return (kind, tag, r.u32())
    return (bt, tuple(r.vec(catch)))


def _imm_cast(r: Reader) -> "str | RefType":
    # ref.test / ref.cast 0xFB 20, 22 (3.0 spec 5.4): a heap type; the target type (ref ht)
    return ref_type(False, read_heaptype(r))


def _imm_cast_null(r: Reader) -> "str | RefType":
    # ref.test / ref.cast 0xFB 21, 23: the target type (ref null ht)
    return ref_type(True, read_heaptype(r))


def _imm_br_on_cast(r: Reader) -> "tuple[int, str | RefType, str | RefType]":
    # br_on_cast / br_on_cast_fail (3.0 spec 5.4): flags (bit 0: rt1 nullable, bit 1: rt2
    # nullable), a label, two heap types; (label, rt1, rt2)
    pos = r.pos
    flags = r.byte()
    if flags & 0xFC:
        raise DecodeError("malformed br_on_cast flags", pos)
    label = r.u32()
    rt1 = ref_type(bool(flags & 1), read_heaptype(r))
    return (label, rt1, ref_type(bool(flags & 2), read_heaptype(r)))


_IMM_READERS = {
    "": _imm_none,
    "blocktype": _imm_blocktype,
    "label": _imm_u32,
    "br_table": _imm_br_table,
    "func": _imm_u32,
    "call_ind": _imm_two_u32,
    "local": _imm_u32,
    "global": _imm_u32,
    "table": _imm_u32,
    "memarg": _imm_memarg,
    "mem0": _imm_mem0,
    "i32": Reader.s32,
    "i64": Reader.s64,
    "f32": Reader.f32,
    "f64": Reader.f64,
    "select_t": _imm_select_t,
    "reftype": _imm_reftype,
    "mem_init": _imm_mem_init,
    "data": _imm_u32,
    "mem_copy": _imm_mem_copy,
    "table_init": _imm_two_u32,
    "elem": _imm_u32,
    "table_copy": _imm_two_u32,
    "v128": _imm_v128,
    "shuffle": _imm_shuffle,
    "lane": _imm_lane,
    "memarg_lane": _imm_memarg_lane,
    "tag": _imm_u32,
    "try_table": _imm_try_table,
    "type": _imm_u32,
    "field": _imm_two_u32,
    "type_n": _imm_two_u32,
    "type_data": _imm_two_u32,
    "type_elem": _imm_two_u32,
    "type_type": _imm_two_u32,
    "cast": _imm_cast,
    "cast_null": _imm_cast_null,
    "br_on_cast": _imm_br_on_cast,
}

#: opcode key -> (name, immediate reader, opens a block?, feature bit (0: always on), feature)
_OPS = {
    key: (op.name, _IMM_READERS[op.imm], op.name in ("block", "loop", "if", "try_table", "try"),
          feature_bit(op.feature), op.feature)
    for key, op in BY_CODE.items()
    if op.name not in ("end", "else", "catch", "catch_all", "delegate")
}


def decode_expr(r: Reader) -> tuple[Instr, ...]:
    """Decode an expression (spec 5.4.9): instructions up to the ``end`` that closes depth 0.

    Returns the instructions without that final ``end`` (nested ``else``/``end`` are kept, and
    the legacy exception clauses ``catch``/``catch_all``/``delegate`` of a ``try``).
    Any instruction is accepted (the validator requires constant ones); an unknown opcode is
    ``"illegal opcode"``, one of a feature disabled in ``r.features`` "<feature> is not
    enabled". f32/f64 immediates are raw bits; i32/i64 immediates signed ints.
    """
    out: list[Instr] = []
    stack: list[str] = []  # kinds of the open blocks: 'block' | 'if' | 'else' | 'try' | 'catch'
    ops = _OPS
    mask = r.features.mask
    while True:
        pos = r.pos
        b = r.byte()
        if b == 0x0B:
            if not stack:
                return tuple(out)
            stack.pop()
            out.append(Instr("end"))
            continue
        if b == 0x05:
            if not stack or stack[-1] != "if":
                raise DecodeError("END opcode expected", pos)
            stack[-1] = "else"
            out.append(Instr("else"))
            continue
        if b in (0x07, 0x19, 0x18) and stack and stack[-1] in ("try", "catch"):
            # legacy catch x / catch_all / delegate l of a try (which its feature allowed)
            if b == 0x18:
                stack.pop()
                out.append(Instr("delegate", r.u32()))
                continue
            stack[-1] = "catch"
            out.append(Instr("catch", r.u32()) if b == 0x07 else Instr("catch_all"))
            continue
        if b == PREFIX_FC or b == PREFIX_FD or b == PREFIX_FB:
            sub = r.u32()
            entry = ops.get((b << 16) | sub)
            if entry is None:
                raise DecodeError(f"illegal opcode {b:02x} {sub:02x}", pos)
        else:
            entry = ops.get(b)
            if entry is None:
                raise DecodeError(f"illegal opcode {b:02x}", pos)
        name, read_imm, opens, bit, feature = entry
        if bit and not mask & bit:
            if b != PREFIX_FC and b != PREFIX_FD and b != PREFIX_FB:   # 2.0: "illegal opcode 0a"
                raise DecodeError(f"illegal opcode {b:02x}: {disabled_message(feature)} ({name})",
                                  pos)
            raise DecodeError(f"{disabled_message(feature)} ({name})", pos)
        out.append(Instr(name, read_imm(r)))
        if opens:
            stack.append(name if name in ("if", "try") else "block")


# --- sections (spec 5.5) ----------------------------------------------------------------------


def decode_custom_section(r: Reader, size: int) -> tuple[str, bytes]:
    """Decode a custom section (spec 5.5.3): a name, then ``size`` minus its length of bytes.

    The name is part of the section's framing (a bad name fails the module); the payload is
    returned uninterpreted.
    """
    start = r.pos
    name = r.name()
    rest = size - (r.pos - start)
    if rest < 0:
        raise DecodeError(EOF_MESSAGE, start + size)
    return name, r.bytes(rest)


def decode_name_section(payload: bytes) -> tuple[str | None, dict[int, str]]:
    """Decode the ``name`` custom section's payload (spec 7.4): the module name (subsection 0)
    and the function names (subsection 1). Never raises: a malformed subsection is ignored,
    and decoding stops at a malformed subsection header."""
    module_name: str | None = None
    func_names: dict[int, str] = {}
    try:
        r = Reader(payload)
        while not r.at_end():
            sid = r.byte()
            size = r.len32()
            end = r.pos + size
            sub = Reader(r.data, r.pos, end)
            try:
                if sid == 0:
                    nm = sub.name()
                    if sub.at_end():
                        module_name = nm
                elif sid == 1:
                    names: dict[int, str] = {}
                    for _ in range(sub.len32()):
                        idx = sub.u32()
                        names[idx] = sub.name()
                    if sub.at_end():
                        func_names = names
            except DecodeError:
                pass
            r.pos = end
    except Exception:  # noqa: BLE001 - a custom section must never fail the module
        pass
    return module_name, func_names


def decode_type_section(r: Reader) -> tuple[list[object], list[SubType], list[int]]:
    """Decode the type section (3.0 binary/modules): ``vec(rectype)``, each rec group 0x4E
    ``vec(subtype)`` or a single sub type. Returns the composite types (flattened: the type
    index space), their sub types and the size of each rec group; the last two are empty
    when every type is a plain function type (final, no supertypes, a group of its own), as
    in every module before 3.0."""
    comps: list[object] = []
    subtypes: list[SubType] | None = None
    groups: list[int] = []
    pos = r.pos
    data = r.data
    typed = feature_enabled(r, "function_references")
    for _ in range(r.len32()):
        b = data[r.pos] if r.pos < r.end else None
        if (b == 0x60 or not typed) and subtypes is None:   # a plain function type (2.0: all)
            comps.append(read_functype(r))
            continue
        if subtypes is None:
            subtypes = [SubType(True, (), c) for c in comps]
            groups = [1] * len(comps)
        if b == 0x4E:
            r.pos += 1
            members = r.vec(lambda: read_subtype(r))
            groups.append(len(members))
        else:
            members = [read_subtype(r)]
            groups.append(1)
        subtypes.extend(members)
        comps.extend(st.comp for st in members)
        if len(subtypes) > _MAX_TYPES:
            raise DecodeError("too many types", pos)
    if len(comps) > _MAX_TYPES:
        raise DecodeError("too many types", pos)
    return comps, subtypes or [], groups


def _tag(r: Reader) -> int:
    # tag (3.0 spec 5.5.9): the attribute byte 0x00 (exception), then a type index.
    pos = r.pos
    if r.byte() != 0x00:
        raise DecodeError("zero byte expected", pos)
    return r.u32()


def _import(r: Reader) -> Import:
    module = r.name()
    name = r.name()
    pos = r.pos
    kind = r.byte()
    desc: int | TableType | MemoryType | GlobalType
    if kind == 0:
        desc = r.u32()
    elif kind == 4:
        _no_exceptions(r, "malformed import kind", pos)
        desc = _tag(r)
    elif kind == 1:
        desc = read_tabletype(r)
    elif kind == 2:
        desc = read_memtype(r)
    elif kind == 3:
        desc = read_globaltype(r)
    else:
        raise DecodeError("malformed import kind", pos)
    return Import(module, name, _EXTERN_KINDS[kind], desc)


def decode_import_section(r: Reader) -> list[Import]:
    """Decode the import section (spec 5.5.5): ``vec(import)``, import kinds 0x00..0x04 (0x04:
    a tag, 3.0 spec; its ``desc`` is the tag's type index)."""
    return r.vec(lambda: _import(r))


def decode_function_section(r: Reader) -> list[int]:
    """Decode the function section (spec 5.5.6): ``vec(typeidx)``."""
    n = r.len32()
    data = r.data
    p = r.pos
    q = p + n
    if q <= r.end and (n == 0 or max(data[p:q]) < 0x80):
        # fast path: every index is a 1-byte LEB128
        r.pos = q
        return list(data[p:q])
    return [r.u32() for _ in range(n)]


def _table(r: Reader) -> tuple[TableType, tuple[Instr, ...] | None]:
    if r.peek() == 0x40 and feature_enabled(r, "function_references"):
        # 3.0: 0x40 0x00 tabletype expr (an initialiser)
        r.pos += 1
        _zero_byte(r)
        tt = read_tabletype(r)
        return tt, decode_expr(r)
    return read_tabletype(r), None


def decode_table_section(r: Reader) -> list[tuple[TableType, tuple[Instr, ...] | None]]:
    """Decode the table section (3.0 binary/modules): ``vec(table)``, each a table type, or
    0x40 0x00, a table type and its initialiser expression. Returns (type, init or None)."""
    return r.vec(lambda: _table(r))


def decode_memory_section(r: Reader) -> list[MemoryType]:
    """Decode the memory section (spec 5.5.8): ``vec(memtype)``."""
    return r.vec(lambda: read_memtype(r))


def _global(r: Reader) -> GlobalDef:
    gt = read_globaltype(r)
    return GlobalDef(gt, decode_expr(r))


def decode_global_section(r: Reader) -> list[GlobalDef]:
    """Decode the global section (spec 5.5.9): ``vec(global)``, each a type and an init expr."""
    return r.vec(lambda: _global(r))


def _export(r: Reader) -> Export:
    name = r.name()
    pos = r.pos
    kind = r.byte()
    if kind > 4:
        raise DecodeError("malformed export kind", pos)
    if kind == 4:
        _no_exceptions(r, "malformed export kind", pos)
    return Export(name, _EXTERN_KINDS[kind], r.u32())


def decode_export_section(r: Reader) -> list[Export]:
    """Decode the export section (spec 5.5.10): ``vec(export)``, export kinds 0x00..0x04."""
    return r.vec(lambda: _export(r))


def decode_tag_section(r: Reader) -> list[int]:
    """Decode the tag section (3.0 spec 5.5.9): ``vec(tag)``, each the attribute 0x00 and a
    type index (returned: the type indices)."""
    return r.vec(lambda: _tag(r))


def decode_start_section(r: Reader) -> int:
    """Decode the start section (spec 5.5.11): one ``funcidx``."""
    return r.u32()


#: The type of an element segment of function indices (3.0 binary/modules: (ref func)).
_REF_FUNC = RefType(False, "func")


def _elemkind(r: Reader) -> "str | RefType":
    pos = r.pos
    if r.byte() != 0x00:
        raise DecodeError("malformed element kind", pos)
    return _REF_FUNC


def _funcidx_items(r: Reader) -> tuple[tuple[Instr, ...], ...]:
    return tuple((Instr("ref.func", r.u32()),) for _ in range(r.len32()))


def _expr_items(r: Reader) -> tuple[tuple[Instr, ...], ...]:
    return tuple(decode_expr(r) for _ in range(r.len32()))


def _elem(r: Reader) -> ElemSegment:
    pos = r.pos
    flags = r.u32()
    if flags > 7:
        raise DecodeError("malformed elements segment kind", pos)
    # bit 0: passive/declarative (1) or active (0); bit 1: explicit table index (active) or
    # declarative (passive); bit 2: items are expressions rather than function indices.
    table = 0
    offset = None
    if flags & 1:
        mode = "declarative" if flags & 2 else "passive"
    else:
        mode = "active"
        if flags & 2:
            table = r.u32()
        offset = decode_expr(r)
    if flags & 4:
        reftype = read_reftype(r) if flags & 3 else "funcref"
        init = _expr_items(r)
    else:
        reftype = _elemkind(r) if flags & 3 else _REF_FUNC
        if not feature_enabled(r, "function_references"):
            reftype = "funcref"                 # (2.0: funcref)
        init = _funcidx_items(r)
    return ElemSegment(mode, reftype, init, table, offset)


def decode_element_section(r: Reader) -> list[ElemSegment]:
    """Decode the element section (spec 5.5.12): ``vec(elem)`` in any of the 8 encodings
    (flags 0..7); function-index encodings give ``(Instr('ref.func', idx),)`` items."""
    return r.vec(lambda: _elem(r))


def decode_datacount_section(r: Reader) -> int:
    """Decode the data count section (spec 5.5.16): one ``u32``."""
    return r.u32()



def _read_locals(r: Reader, data: bytes, start: int, entry_end: int,
                 cache: dict[bytes, LocalRuns]) -> tuple[LocalRuns, int]:
    """Read a code entry's locals (spec 5.5.13) within ``[start, entry_end)``; return the
    ``(count, valtype)`` runs and the offset of the body. ``cache`` maps the raw bytes of
    single-byte-encoded local declarations to their (shared) runs."""
    # fast path: every count and type is a single byte (so the total cannot overflow)
    if start < entry_end and data[start] < 0x80:
        q = start + 1 + 2 * data[start]
        if q <= entry_end:
            key = data[start:q]
            hit = cache.get(key)
            if hit is not None:
                return hit, q
            q = start + 1
            runs: list[tuple[int, ValType]] = []
            valtypes = VALTYPE_BY_CODE
            for _ in range(data[start]):
                if data[q] < 0x80:
                    t = valtypes.get(data[q + 1])
                    if t is not None:
                        runs.append((data[q], t))
                        q += 2
                        continue
                break
            else:
                result = cache[key] = tuple(runs)
                return result, q
    # general path (also produces the right error for malformed input)
    outer_end = r.end
    r.pos = start
    r.end = entry_end
    try:
        runs = []
        total = 0
        for _ in range(r.len32()):
            count = r.u32()
            runs.append((count, read_valtype(r)))
            total += count
        if total > _MAX_LOCALS:
            raise DecodeError("too many locals", start)
        return tuple(runs), r.pos
    finally:
        r.end = outer_end


def decode_code_section(r: Reader, on_body: BodyHook | None = None) -> list[Code]:
    """Decode the code section (spec 5.5.13): ``vec(code)``.

    Each entry is a size, then the locals as ``(count, valtype)`` runs (more than 2**32-1 locals
    in total is ``"too many locals"``), then the body, kept as bytes (including its final
    ``end``) with its absolute offset; bodies are decoded by the core. ``on_body(data, code)``,
    if given, is called right after each entry is sliced (see :func:`decode_module`).
    """
    n = r.len32()
    data = r.data
    outer_end = r.end
    codes: list[Code] = []
    append = codes.append
    fast = _FAST_CODE
    cache: dict[bytes, LocalRuns] = {}
    new = object.__new__
    pos = r.pos
    try:
        for _ in range(n):
            # entry size (fast path for a 1-byte LEB128; len32 checks it like the reference)
            if pos < outer_end and data[pos] < 0x80:
                size = data[pos]
                start = pos + 1
            else:
                r.pos = pos
                size = r.len32()
                start = r.pos
            entry_end = start + size
            if entry_end > outer_end:
                if size > outer_end - pos:
                    raise DecodeError("length out of bounds", pos)
                raise DecodeError(EOF_MESSAGE, outer_end)
            # locals (fast path: no local runs), read within the entry
            if start < entry_end and data[start] == 0:
                body_start = start + 1
                local_runs: LocalRuns = ()
            else:
                local_runs, body_start = _read_locals(r, data, start, entry_end, cache)
            if fast:
                code = new(Code)
                d = code.__dict__
                d["locals"] = local_runs
                d["body"] = data[body_start:entry_end]
                d["offset"] = body_start
            else:
                code = Code(local_runs, data[body_start:entry_end], body_start)
            append(code)
            if on_body is not None:
                r.pos = entry_end
                try:
                    on_body(data, code)
                except DecodeError:
                    raise
                except BaseException as e:
                    raise _HookError(e) from e
            pos = entry_end
    finally:
        r.end = outer_end
    r.pos = pos
    return codes


def _data(r: Reader) -> DataSegment:
    pos = r.pos
    flags = r.u32()
    if flags == 0:
        offset = decode_expr(r)
        return DataSegment("active", r.byte_vec(), 0, offset)
    if flags == 1:
        return DataSegment("passive", r.byte_vec())
    if flags == 2:
        mem = r.u32()
        offset = decode_expr(r)
        return DataSegment("active", r.byte_vec(), mem, offset)
    raise DecodeError("malformed data segment kind", pos)


def decode_data_section(r: Reader) -> list[DataSegment]:
    """Decode the data section (spec 5.5.14): ``vec(data)`` in any of the 3 encodings."""
    return r.vec(lambda: _data(r))


# --- modules (spec 5.5.16) --------------------------------------------------------------------

#: Section id -> (ModuleStruct attribute, decoder); the code section (10) takes a body hook too.
_SECTION_DECODERS: dict[int, tuple[str, Callable[[Reader], object]]] = {
    1: ("subtypes", decode_type_section),
    2: ("imports", decode_import_section),
    3: ("funcs", decode_function_section),
    4: ("tables", decode_table_section),
    5: ("mems", decode_memory_section),
    6: ("globals", decode_global_section),
    7: ("exports", decode_export_section),
    8: ("start", decode_start_section),
    9: ("elems", decode_element_section),
    11: ("datas", decode_data_section),
    12: ("data_count", decode_datacount_section),
    13: ("tags", decode_tag_section),
}


class _HookError(Exception):
    """Carries an exception other than DecodeError raised by an ``on_body`` hook through the
    safety net of :func:`decode_module`, which re-raises the original."""

    def __init__(self, exc: BaseException):
        super().__init__(exc)
        self.exc = exc


# Python errors that would mean a decoder bug; turned into DecodeError so that no other
# exception can escape decode_module (the tests check this message never appears).
_INTERNAL_ERRORS = (IndexError, KeyError, ValueError, TypeError, OverflowError, RecursionError,
                    UnicodeDecodeError)


def decode_module(data: bytes | bytearray | memoryview, *,
                  on_body: BodyHook | None = None,
                  features: Features | None = None) -> ModuleStruct:
    """Decode a binary module (spec 5.5.16) into a :class:`~whisk.structure.ModuleStruct`.

    Checks the preamble (magic and version), section ids, sizes and order (each non-custom
    section at most once, in the order of spec 5.5.2), the contents of every section, and that
    the function and code sections (and the data count and data sections) agree in length.
    Every malformed input raises :class:`~whisk.errors.DecodeError` with the spec test suite's
    message and the byte offset.

    Function bodies are not decoded here (the core does it). The reference interpreter, whose
    messages the spec tests expect, decodes each body in stream order, so an error inside body
    ``k`` is reported before anything malformed after it. A caller that wants that order passes
    ``on_body(data, code)``: it is called with the module bytes and each :class:`Code` as soon as
    that entry is sliced, and may raise ``DecodeError`` (its body spans
    ``data[code.offset:code.offset + len(code.body)]``; like the reference interpreter it may
    read on past that end and report ``"section size mismatch"``).

    ``features`` (default all; see :mod:`whisk.features`) limits what the module may use: the
    decoders reach it as ``Reader.features``.
    """
    try:
        return _decode_module(data, on_body, features)
    except DecodeError:
        raise
    except _HookError as e:
        raise e.exc from None
    except _INTERNAL_ERRORS as e:  # pragma: no cover - defensive
        raise DecodeError(f"malformed module (internal decoder error: {e!r})", None) from e


def _decode_module(data: bytes | bytearray | memoryview, on_body: BodyHook | None,
                   features: Features | None) -> ModuleStruct:
    if not isinstance(data, bytes):
        data = bytes(data)
    n = len(data)
    if n < 4:
        raise DecodeError("unexpected end", n)
    if data[:4] != MAGIC:
        raise DecodeError("magic header not detected", 0)
    if n < 8:
        raise DecodeError("unexpected end", n)
    if data[4:8] != VERSION:
        raise DecodeError("unknown binary version", 4)

    m = ModuleStruct()
    r = Reader(data, 8, features=features)
    last = 0
    while r.pos < n:
        id_pos = r.pos
        sid = data[id_pos]
        if sid > _MAX_SECTION_ID:
            raise DecodeError("malformed section id", id_pos)
        if sid == 13:
            _no_exceptions(r, "malformed section id", id_pos)
        r.pos = id_pos + 1
        size = r.len32()
        start = r.pos
        if sid == 0:
            name, payload = decode_custom_section(r, size)
            m.customs.append((name, payload))
            if name == "name":
                module_name, func_names = decode_name_section(payload)
                if module_name is not None:
                    m.module_name = module_name
                if func_names:
                    m.func_names = func_names
        else:
            rank = SECTION_ORDER[sid]
            if rank <= last:
                raise DecodeError("unexpected content after last section", id_pos)
            last = rank
            if sid == 10:
                m.codes = decode_code_section(r, on_body)
            elif sid == 1:
                m.types, m.subtypes, m.rec_groups = decode_type_section(r)
            elif sid == 4:
                entries = decode_table_section(r)
                m.tables = [tt for tt, _ in entries]
                m.table_inits = [init for _, init in entries]
            else:
                attr, decode = _SECTION_DECODERS[sid]
                setattr(m, attr, decode(r))
        if r.pos != start + size:
            raise DecodeError("section size mismatch", start)

    if len(m.funcs) != len(m.codes):
        raise DecodeError("function and code section have inconsistent lengths", n)
    if m.data_count is not None and m.data_count != len(m.datas):
        raise DecodeError("data count and data section have inconsistent lengths", n)
    return m
