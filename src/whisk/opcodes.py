"""THE opcode table: every WebAssembly 2.0 instruction and those of 3.0 whisk implements, defined
once (spec 5.4 and 3.3).

Each row gives the mnemonic, the prefix byte (``None`` for single-byte opcodes, ``0xFC`` for the
saturating-truncation / bulk-memory / table group), the opcode (for prefixed ops: the u32 LEB128 that
follows the prefix), the immediate kind, the stack signature, and, for memory accesses, the access
width in bytes (the natural alignment is ``log2(width)``), and the feature that introduced it:
``mvp`` or a 2.0 proposal (always on), or a name of ``whisk.features.FEATURE_NAMES`` (for 3.0
rows; the decoders reject the op when a Module's ``Features`` disable it).

The decoder reads immediates by ``imm``; the validator applies the signature generically to every
op whose ``params``/``results`` are not ``None`` and a hand-written rule to the rest ("special");
the core's internal op enum and dispatch arms are generated from this table (``tools/gen_core.py``).

Immediate kinds (``imm``):

=============  ===============================================================
``""``         none
``blocktype``  block type: 0x40, a value type, or an s33 type index
``label``      label index (u32)
``br_table``   vec(label) then a default label
``func``       function index (u32)
``call_ind``   type index (u32) then table index (u32)
``local``      local index (u32)
``global``     global index (u32)
``table``      table index (u32)
``memarg``     alignment exponent (u32) then offset (u32)
``mem0``       a reserved memory index byte that must be 0x00
``i32``        s32 LEB128
``i64``        s64 LEB128
``f32``        4 bytes little-endian IEEE-754
``f64``        8 bytes little-endian IEEE-754
``select_t``   vec(valtype) (its length must be 1)
``reftype``    ref.null's heap type (3.0: an abstract heap type code or a type index)
``mem_init``   data index (u32) then a reserved 0x00 byte
``data``       data index (u32)
``mem_copy``   two reserved 0x00 bytes
``table_init`` element index (u32) then table index (u32)
``elem``       element index (u32)
``table_copy`` destination table index (u32) then source table index (u32)
``tag``        tag index (u32)
``try_table``  block type, then vec(catch): 0x00 tag label | 0x01 tag label | 0x02 label |
               0x03 label (catch, catch_ref, catch_all, catch_all_ref)
``type``       type index (u32): struct.new, array.get, ... (3.0 GC)
``field``      type index (u32) then field index (u32): struct.get*, struct.set
``type_n``     type index (u32) then a count (u32): array.new_fixed
``type_data``  type index (u32) then data index (u32): array.new_data, array.init_data
``type_elem``  type index (u32) then element index (u32): array.new_elem, array.init_elem
``type_type``  destination then source type index (u32 each): array.copy
``cast``       a heap type; the immediate is the reference type (ref ht): ref.test, ref.cast
``cast_null``  a heap type; the immediate is (ref null ht): ref.test, ref.cast
``br_on_cast`` a flags byte (bit 0: the source type is nullable, bit 1: the target type is;
               other bits must be 0, "malformed br_on_cast flags"), a label index (u32), the
               source and the target heap type; the immediate is (label, rt1, rt2)
=============  ===============================================================

The GC instructions (3.0 spec 5.4 "Aggregate Instructions", "Reference Instructions") have
the prefix 0xFB (``PREFIX_FB``). ``ref.test`` and ``ref.cast`` have two rows each (0xFB 20/21,
22/23) that differ in the immediate kind only (``cast`` / ``cast_null``), as in the spec,
where the nullability of the target type is part of the opcode: ``BY_NAME`` gives the first
(``cast``) row, ``BY_CODE`` each.
"""

from __future__ import annotations

from .record import record

__all__ = ["Op", "OPS", "BY_NAME", "BY_CODE", "PREFIX_FC", "PREFIX_FD", "PREFIX_FB"]

PREFIX_FC = 0xFC


@record
class Op:
    """One instruction: ``name`` (spec mnemonic), ``prefix`` (None, 0xFB, 0xFC or 0xFD), ``code``, ``imm``
    (immediate kind, see the module docstring), ``params``/``results`` (value type names, or None
    for a special typing rule), ``width`` (bytes accessed, for loads and stores), ``feature``."""

    name: str
    prefix: int | None
    code: int
    imm: str
    params: tuple[str, ...] | None
    results: tuple[str, ...] | None
    width: int = 0
    feature: str = "mvp"

    @property
    def key(self) -> int:
        """A single integer naming the opcode: ``code`` or ``prefix << 16 | code``."""
        return self.code if self.prefix is None else (self.prefix << 16) | self.code

    @property
    def ident(self) -> str:
        """The name as a C/Python identifier: ``i32.add`` -> ``i32_add``."""
        return self.name.replace(".", "_")


def _sig(text: str) -> tuple[tuple[str, ...] | None, tuple[str, ...] | None]:
    if text == "special":
        return None, None
    left, right = text.split("->")
    return tuple(left.split()), tuple(right.split())


# name, prefix, code, immediate, signature ("special" = hand-written typing rule), width, feature.
Row = (tuple[str, int | None, int, str, str] | tuple[str, int | None, int, str, str, int]
       | tuple[str, int | None, int, str, str, int, str])
# fmt: off
_ROWS: list[Row] = [
    # --- control (spec 5.4.1) ---
    ("unreachable",    None, 0x00, "",          "special"),
    ("nop",            None, 0x01, "",          " -> "),
    ("block",          None, 0x02, "blocktype", "special"),
    ("loop",           None, 0x03, "blocktype", "special"),
    ("if",             None, 0x04, "blocktype", "special"),
    ("else",           None, 0x05, "",          "special"),
    ("end",            None, 0x0B, "",          "special"),
    ("br",             None, 0x0C, "label",     "special"),
    ("br_if",          None, 0x0D, "label",     "special"),
    ("br_table",       None, 0x0E, "br_table",  "special"),
    ("return",         None, 0x0F, "",          "special"),
    ("call",           None, 0x10, "func",      "special"),
    ("call_indirect",  None, 0x11, "call_ind",  "special"),
    ("return_call",    None, 0x12, "func",      "special", 0, "tail_call"),
    ("return_call_indirect", None, 0x13, "call_ind", "special", 0, "tail_call"),
    ("call_ref",       None, 0x14, "func",      "special", 0, "function_references"),
    ("return_call_ref", None, 0x15, "func",     "special", 0, "tail_call"),
    # --- exceptions (3.0 spec 5.4.1; legacy: the exception-handling proposal's legacy/) ---
    ("throw",          None, 0x08, "tag",       "special", 0, "exceptions"),
    ("throw_ref",      None, 0x0A, "",          "special", 0, "exceptions"),
    ("try_table",      None, 0x1F, "try_table", "special", 0, "exceptions"),
    ("try",            None, 0x06, "blocktype", "special", 0, "legacy_exceptions"),
    ("catch",          None, 0x07, "tag",       "special", 0, "legacy_exceptions"),
    ("rethrow",        None, 0x09, "label",     "special", 0, "legacy_exceptions"),
    ("delegate",       None, 0x18, "label",     "special", 0, "legacy_exceptions"),
    ("catch_all",      None, 0x19, "",          "special", 0, "legacy_exceptions"),
    # --- reference (5.4.2) ---
    ("ref.null",       None, 0xD0, "reftype",   "special", 0, "reference-types"),
    ("ref.is_null",    None, 0xD1, "",          "special", 0, "reference-types"),
    ("ref.func",       None, 0xD2, "func",      "special", 0, "reference-types"),
    ("ref.as_non_null", None, 0xD4, "",         "special", 0, "function_references"),
    ("br_on_null",     None, 0xD5, "label",     "special", 0, "function_references"),
    ("br_on_non_null", None, 0xD6, "label",     "special", 0, "function_references"),
    ("ref.eq",         None, 0xD3, "",          "special", 0, "gc"),
    # --- parametric (5.4.3) ---
    ("drop",           None, 0x1A, "",          "special"),
    ("select",         None, 0x1B, "",          "special"),
    ("select_t",       None, 0x1C, "select_t",  "special", 0, "reference-types"),
    # --- variable (5.4.4) ---
    ("local.get",      None, 0x20, "local",     "special"),
    ("local.set",      None, 0x21, "local",     "special"),
    ("local.tee",      None, 0x22, "local",     "special"),
    ("global.get",     None, 0x23, "global",    "special"),
    ("global.set",     None, 0x24, "global",    "special"),
    # --- table (5.4.5) ---
    ("table.get",      None, 0x25, "table",     "special", 0, "reference-types"),
    ("table.set",      None, 0x26, "table",     "special", 0, "reference-types"),
    ("table.init",     0xFC, 12,   "table_init", "special", 0, "bulk-memory"),
    ("elem.drop",      0xFC, 13,   "elem",      " -> ", 0, "bulk-memory"),
    ("table.copy",     0xFC, 14,   "table_copy", "i32 i32 i32 -> ", 0, "bulk-memory"),
    ("table.grow",     0xFC, 15,   "table",     "special", 0, "reference-types"),
    ("table.size",     0xFC, 16,   "table",     " -> i32", 0, "reference-types"),
    ("table.fill",     0xFC, 17,   "table",     "special", 0, "reference-types"),
    # --- memory (5.4.6) ---
    ("i32.load",       None, 0x28, "memarg",    "i32 -> i32", 4),
    ("i64.load",       None, 0x29, "memarg",    "i32 -> i64", 8),
    ("f32.load",       None, 0x2A, "memarg",    "i32 -> f32", 4),
    ("f64.load",       None, 0x2B, "memarg",    "i32 -> f64", 8),
    ("i32.load8_s",    None, 0x2C, "memarg",    "i32 -> i32", 1),
    ("i32.load8_u",    None, 0x2D, "memarg",    "i32 -> i32", 1),
    ("i32.load16_s",   None, 0x2E, "memarg",    "i32 -> i32", 2),
    ("i32.load16_u",   None, 0x2F, "memarg",    "i32 -> i32", 2),
    ("i64.load8_s",    None, 0x30, "memarg",    "i32 -> i64", 1),
    ("i64.load8_u",    None, 0x31, "memarg",    "i32 -> i64", 1),
    ("i64.load16_s",   None, 0x32, "memarg",    "i32 -> i64", 2),
    ("i64.load16_u",   None, 0x33, "memarg",    "i32 -> i64", 2),
    ("i64.load32_s",   None, 0x34, "memarg",    "i32 -> i64", 4),
    ("i64.load32_u",   None, 0x35, "memarg",    "i32 -> i64", 4),
    ("i32.store",      None, 0x36, "memarg",    "i32 i32 -> ", 4),
    ("i64.store",      None, 0x37, "memarg",    "i32 i64 -> ", 8),
    ("f32.store",      None, 0x38, "memarg",    "i32 f32 -> ", 4),
    ("f64.store",      None, 0x39, "memarg",    "i32 f64 -> ", 8),
    ("i32.store8",     None, 0x3A, "memarg",    "i32 i32 -> ", 1),
    ("i32.store16",    None, 0x3B, "memarg",    "i32 i32 -> ", 2),
    ("i64.store8",     None, 0x3C, "memarg",    "i32 i64 -> ", 1),
    ("i64.store16",    None, 0x3D, "memarg",    "i32 i64 -> ", 2),
    ("i64.store32",    None, 0x3E, "memarg",    "i32 i64 -> ", 4),
    ("memory.size",    None, 0x3F, "mem0",      " -> i32"),
    ("memory.grow",    None, 0x40, "mem0",      "i32 -> i32"),
    ("memory.init",    0xFC, 8,    "mem_init",  "i32 i32 i32 -> ", 0, "bulk-memory"),
    ("data.drop",      0xFC, 9,    "data",      " -> ", 0, "bulk-memory"),
    ("memory.copy",    0xFC, 10,   "mem_copy",  "i32 i32 i32 -> ", 0, "bulk-memory"),
    ("memory.fill",    0xFC, 11,   "mem0",      "i32 i32 i32 -> ", 0, "bulk-memory"),
    # --- numeric (5.4.7) ---
    ("i32.const",      None, 0x41, "i32",       " -> i32"),
    ("i64.const",      None, 0x42, "i64",       " -> i64"),
    ("f32.const",      None, 0x43, "f32",       " -> f32"),
    ("f64.const",      None, 0x44, "f64",       " -> f64"),
]
# fmt: on


def _numeric_rows() -> list[Row]:
    """The regular numeric opcodes 0x45..0xC4 and 0xFC 0..7, in opcode order."""
    rows: list[Row] = []

    def run(start: int, prefix: int | None, names: str, sig: str, feature: str = "mvp") -> None:
        for i, name in enumerate(names.split()):
            rows.append((name, prefix, start + i, "", sig, 0, feature))

    icmp = "eq ne lt_s lt_u gt_s gt_u le_s le_u ge_s ge_u"
    fcmp = "eq ne lt gt le ge"
    ibin = "add sub mul div_s div_u rem_s rem_u and or xor shl shr_s shr_u rotl rotr"
    funop = "abs neg ceil floor trunc nearest sqrt"
    fbin = "add sub mul div min max copysign"

    def pre(t: str, names: str) -> str:
        return " ".join(f"{t}.{n}" for n in names.split())

    run(0x45, None, "i32.eqz", "i32 -> i32")
    run(0x46, None, pre("i32", icmp), "i32 i32 -> i32")
    run(0x50, None, "i64.eqz", "i64 -> i32")
    run(0x51, None, pre("i64", icmp), "i64 i64 -> i32")
    run(0x5B, None, pre("f32", fcmp), "f32 f32 -> i32")
    run(0x61, None, pre("f64", fcmp), "f64 f64 -> i32")
    run(0x67, None, pre("i32", "clz ctz popcnt"), "i32 -> i32")
    run(0x6A, None, pre("i32", ibin), "i32 i32 -> i32")
    run(0x79, None, pre("i64", "clz ctz popcnt"), "i64 -> i64")
    run(0x7C, None, pre("i64", ibin), "i64 i64 -> i64")
    run(0x8B, None, pre("f32", funop), "f32 -> f32")
    run(0x92, None, pre("f32", fbin), "f32 f32 -> f32")
    run(0x99, None, pre("f64", funop), "f64 -> f64")
    run(0xA0, None, pre("f64", fbin), "f64 f64 -> f64")
    conversions = [
        ("i32.wrap_i64", "i64 -> i32"),
        ("i32.trunc_f32_s", "f32 -> i32"), ("i32.trunc_f32_u", "f32 -> i32"),
        ("i32.trunc_f64_s", "f64 -> i32"), ("i32.trunc_f64_u", "f64 -> i32"),
        ("i64.extend_i32_s", "i32 -> i64"), ("i64.extend_i32_u", "i32 -> i64"),
        ("i64.trunc_f32_s", "f32 -> i64"), ("i64.trunc_f32_u", "f32 -> i64"),
        ("i64.trunc_f64_s", "f64 -> i64"), ("i64.trunc_f64_u", "f64 -> i64"),
        ("f32.convert_i32_s", "i32 -> f32"), ("f32.convert_i32_u", "i32 -> f32"),
        ("f32.convert_i64_s", "i64 -> f32"), ("f32.convert_i64_u", "i64 -> f32"),
        ("f32.demote_f64", "f64 -> f32"),
        ("f64.convert_i32_s", "i32 -> f64"), ("f64.convert_i32_u", "i32 -> f64"),
        ("f64.convert_i64_s", "i64 -> f64"), ("f64.convert_i64_u", "i64 -> f64"),
        ("f64.promote_f32", "f32 -> f64"),
        ("i32.reinterpret_f32", "f32 -> i32"), ("i64.reinterpret_f64", "f64 -> i64"),
        ("f32.reinterpret_i32", "i32 -> f32"), ("f64.reinterpret_i64", "i64 -> f64"),
    ]
    for i, (name, sig) in enumerate(conversions):
        rows.append((name, None, 0xA7 + i, "", sig, 0, "mvp"))
    run(0xC0, None, "i32.extend8_s i32.extend16_s", "i32 -> i32", "sign-extension")
    run(0xC2, None, "i64.extend8_s i64.extend16_s i64.extend32_s", "i64 -> i64", "sign-extension")
    sat = [
        ("i32.trunc_sat_f32_s", "f32 -> i32"), ("i32.trunc_sat_f32_u", "f32 -> i32"),
        ("i32.trunc_sat_f64_s", "f64 -> i32"), ("i32.trunc_sat_f64_u", "f64 -> i32"),
        ("i64.trunc_sat_f32_s", "f32 -> i64"), ("i64.trunc_sat_f32_u", "f32 -> i64"),
        ("i64.trunc_sat_f64_s", "f64 -> i64"), ("i64.trunc_sat_f64_u", "f64 -> i64"),
    ]
    for i, (name, sig) in enumerate(sat):
        rows.append((name, PREFIX_FC, i, "", sig, 0, "saturating-float-to-int"))
    return rows


PREFIX_FD = 0xFD

# The fixed-width SIMD instructions (spec 5.4.8): 0xFD, then the opcode as a u32 LEB128. In
# opcode order; codes that the proposal left unassigned are skipped by giving the next code.
# fmt: off
_SIMD: list[tuple[int, str, str, str] | tuple[int, str, str, str, int]] = [
    # code  name                          immediate      signature                 width
    (0x00, "v128.load",                   "memarg",      "i32 -> v128",            16),
    (0x01, "v128.load8x8_s",              "memarg",      "i32 -> v128",            8),
    (0x02, "v128.load8x8_u",              "memarg",      "i32 -> v128",            8),
    (0x03, "v128.load16x4_s",             "memarg",      "i32 -> v128",            8),
    (0x04, "v128.load16x4_u",             "memarg",      "i32 -> v128",            8),
    (0x05, "v128.load32x2_s",             "memarg",      "i32 -> v128",            8),
    (0x06, "v128.load32x2_u",             "memarg",      "i32 -> v128",            8),
    (0x07, "v128.load8_splat",            "memarg",      "i32 -> v128",            1),
    (0x08, "v128.load16_splat",           "memarg",      "i32 -> v128",            2),
    (0x09, "v128.load32_splat",           "memarg",      "i32 -> v128",            4),
    (0x0A, "v128.load64_splat",           "memarg",      "i32 -> v128",            8),
    (0x0B, "v128.store",                  "memarg",      "i32 v128 -> ",           16),
    (0x0C, "v128.const",                  "v128",        " -> v128"),
    (0x0D, "i8x16.shuffle",               "shuffle",     "v128 v128 -> v128"),
    (0x0E, "i8x16.swizzle",               "",            "v128 v128 -> v128"),
    (0x0F, "i8x16.splat",                 "",            "i32 -> v128"),
    (0x10, "i16x8.splat",                 "",            "i32 -> v128"),
    (0x11, "i32x4.splat",                 "",            "i32 -> v128"),
    (0x12, "i64x2.splat",                 "",            "i64 -> v128"),
    (0x13, "f32x4.splat",                 "",            "f32 -> v128"),
    (0x14, "f64x2.splat",                 "",            "f64 -> v128"),
    (0x15, "i8x16.extract_lane_s",        "lane",        "v128 -> i32"),
    (0x16, "i8x16.extract_lane_u",        "lane",        "v128 -> i32"),
    (0x17, "i8x16.replace_lane",          "lane",        "v128 i32 -> v128"),
    (0x18, "i16x8.extract_lane_s",        "lane",        "v128 -> i32"),
    (0x19, "i16x8.extract_lane_u",        "lane",        "v128 -> i32"),
    (0x1A, "i16x8.replace_lane",          "lane",        "v128 i32 -> v128"),
    (0x1B, "i32x4.extract_lane",          "lane",        "v128 -> i32"),
    (0x1C, "i32x4.replace_lane",          "lane",        "v128 i32 -> v128"),
    (0x1D, "i64x2.extract_lane",          "lane",        "v128 -> i64"),
    (0x1E, "i64x2.replace_lane",          "lane",        "v128 i64 -> v128"),
    (0x1F, "f32x4.extract_lane",          "lane",        "v128 -> f32"),
    (0x20, "f32x4.replace_lane",          "lane",        "v128 f32 -> v128"),
    (0x21, "f64x2.extract_lane",          "lane",        "v128 -> f64"),
    (0x22, "f64x2.replace_lane",          "lane",        "v128 f64 -> v128"),
    (0x4D, "v128.not",                    "",            "v128 -> v128"),
    (0x4E, "v128.and",                    "",            "v128 v128 -> v128"),
    (0x4F, "v128.andnot",                 "",            "v128 v128 -> v128"),
    (0x50, "v128.or",                     "",            "v128 v128 -> v128"),
    (0x51, "v128.xor",                    "",            "v128 v128 -> v128"),
    (0x52, "v128.bitselect",              "",            "v128 v128 v128 -> v128"),
    (0x53, "v128.any_true",               "",            "v128 -> i32"),
    (0x54, "v128.load8_lane",             "memarg_lane", "i32 v128 -> v128",       1),
    (0x55, "v128.load16_lane",            "memarg_lane", "i32 v128 -> v128",       2),
    (0x56, "v128.load32_lane",            "memarg_lane", "i32 v128 -> v128",       4),
    (0x57, "v128.load64_lane",            "memarg_lane", "i32 v128 -> v128",       8),
    (0x58, "v128.store8_lane",            "memarg_lane", "i32 v128 -> ",           1),
    (0x59, "v128.store16_lane",           "memarg_lane", "i32 v128 -> ",           2),
    (0x5A, "v128.store32_lane",           "memarg_lane", "i32 v128 -> ",           4),
    (0x5B, "v128.store64_lane",           "memarg_lane", "i32 v128 -> ",           8),
    (0x5C, "v128.load32_zero",            "memarg",      "i32 -> v128",            4),
    (0x5D, "v128.load64_zero",            "memarg",      "i32 -> v128",            8),
]
# fmt: on

# Lane-wise and shape-changing ops with no immediate: (first code, shape-prefixed names, signature).
_V1, _V2, _V3 = "v128 -> v128", "v128 v128 -> v128", "v128 i32 -> v128"
_SIMD_RUNS: list[tuple[int, str, str]] = [
    (0x23, "i8x16: eq ne lt_s lt_u gt_s gt_u le_s le_u ge_s ge_u", _V2),
    (0x2D, "i16x8: eq ne lt_s lt_u gt_s gt_u le_s le_u ge_s ge_u", _V2),
    (0x37, "i32x4: eq ne lt_s lt_u gt_s gt_u le_s le_u ge_s ge_u", _V2),
    (0x41, "f32x4: eq ne lt gt le ge", _V2),
    (0x47, "f64x2: eq ne lt gt le ge", _V2),
    (0x5E, "f32x4: demote_f64x2_zero", _V1),
    (0x5F, "f64x2: promote_low_f32x4", _V1),
    (0x60, "i8x16: abs neg popcnt", _V1),
    (0x63, "i8x16: all_true bitmask", "v128 -> i32"),
    (0x65, "i8x16: narrow_i16x8_s narrow_i16x8_u", _V2),
    (0x67, "f32x4: ceil floor trunc nearest", _V1),
    (0x6B, "i8x16: shl shr_s shr_u", _V3),
    (0x6E, "i8x16: add add_sat_s add_sat_u sub sub_sat_s sub_sat_u", _V2),
    (0x74, "f64x2: ceil floor", _V1),
    (0x76, "i8x16: min_s min_u max_s max_u", _V2),
    (0x7A, "f64x2: trunc", _V1),
    (0x7B, "i8x16: avgr_u", _V2),
    (0x7C, "i16x8: extadd_pairwise_i8x16_s extadd_pairwise_i8x16_u", _V1),
    (0x7E, "i32x4: extadd_pairwise_i16x8_s extadd_pairwise_i16x8_u", _V1),
    (0x80, "i16x8: abs neg", _V1),
    (0x82, "i16x8: q15mulr_sat_s", _V2),
    (0x83, "i16x8: all_true bitmask", "v128 -> i32"),
    (0x85, "i16x8: narrow_i32x4_s narrow_i32x4_u", _V2),
    (0x87, "i16x8: extend_low_i8x16_s extend_high_i8x16_s extend_low_i8x16_u extend_high_i8x16_u", _V1),
    (0x8B, "i16x8: shl shr_s shr_u", _V3),
    (0x8E, "i16x8: add add_sat_s add_sat_u sub sub_sat_s sub_sat_u", _V2),
    (0x94, "f64x2: nearest", _V1),
    (0x95, "i16x8: mul min_s min_u max_s max_u", _V2),
    (0x9B, "i16x8: avgr_u extmul_low_i8x16_s extmul_high_i8x16_s extmul_low_i8x16_u extmul_high_i8x16_u", _V2),
    (0xA0, "i32x4: abs neg", _V1),
    (0xA3, "i32x4: all_true bitmask", "v128 -> i32"),
    (0xA7, "i32x4: extend_low_i16x8_s extend_high_i16x8_s extend_low_i16x8_u extend_high_i16x8_u", _V1),
    (0xAB, "i32x4: shl shr_s shr_u", _V3),
    (0xAE, "i32x4: add", _V2),
    (0xB1, "i32x4: sub", _V2),
    (0xB5, "i32x4: mul min_s min_u max_s max_u dot_i16x8_s", _V2),
    (0xBC, "i32x4: extmul_low_i16x8_s extmul_high_i16x8_s extmul_low_i16x8_u extmul_high_i16x8_u", _V2),
    (0xC0, "i64x2: abs neg", _V1),
    (0xC3, "i64x2: all_true bitmask", "v128 -> i32"),
    (0xC7, "i64x2: extend_low_i32x4_s extend_high_i32x4_s extend_low_i32x4_u extend_high_i32x4_u", _V1),
    (0xCB, "i64x2: shl shr_s shr_u", _V3),
    (0xCE, "i64x2: add", _V2),
    (0xD1, "i64x2: sub", _V2),
    (0xD5, "i64x2: mul eq ne lt_s gt_s le_s ge_s", _V2),
    (0xDC, "i64x2: extmul_low_i32x4_s extmul_high_i32x4_s extmul_low_i32x4_u extmul_high_i32x4_u", _V2),
    (0xE0, "f32x4: abs neg", _V1),
    (0xE3, "f32x4: sqrt", _V1),
    (0xE4, "f32x4: add sub mul div min max pmin pmax", _V2),
    (0xEC, "f64x2: abs neg", _V1),
    (0xEF, "f64x2: sqrt", _V1),
    (0xF0, "f64x2: add sub mul div min max pmin pmax", _V2),
    (0xF8, "i32x4: trunc_sat_f32x4_s trunc_sat_f32x4_u", _V1),
    (0xFA, "f32x4: convert_i32x4_s convert_i32x4_u", _V1),
    (0xFC, "i32x4: trunc_sat_f64x2_s_zero trunc_sat_f64x2_u_zero", _V1),
    (0xFE, "f64x2: convert_low_i32x4_s convert_low_i32x4_u", _V1),
]


# The relaxed SIMD instructions (WebAssembly 3.0, spec 5.4 "Vector Instructions": 0xFD 256 to
# 275, feature ``relaxed_simd``). Their results are implementation-dependent within the sets the
# spec allows (spec 4.3.6 "Relaxed Operations"); whisk computes the deterministic profile's choice
# (simd.h; docs/features.md, "Relaxed SIMD").
_V4 = "v128 v128 v128 -> v128"
# fmt: off
_RELAXED_SIMD: list[tuple[int, str, str]] = [
    # code  name                                   signature
    (0x100, "i8x16.relaxed_swizzle",               _V2),
    (0x101, "i32x4.relaxed_trunc_f32x4_s",         _V1),
    (0x102, "i32x4.relaxed_trunc_f32x4_u",         _V1),
    (0x103, "i32x4.relaxed_trunc_f64x2_s_zero",    _V1),
    (0x104, "i32x4.relaxed_trunc_f64x2_u_zero",    _V1),
    (0x105, "f32x4.relaxed_madd",                  _V4),
    (0x106, "f32x4.relaxed_nmadd",                 _V4),
    (0x107, "f64x2.relaxed_madd",                  _V4),
    (0x108, "f64x2.relaxed_nmadd",                 _V4),
    (0x109, "i8x16.relaxed_laneselect",            _V4),
    (0x10A, "i16x8.relaxed_laneselect",            _V4),
    (0x10B, "i32x4.relaxed_laneselect",            _V4),
    (0x10C, "i64x2.relaxed_laneselect",            _V4),
    (0x10D, "f32x4.relaxed_min",                   _V2),
    (0x10E, "f32x4.relaxed_max",                   _V2),
    (0x10F, "f64x2.relaxed_min",                   _V2),
    (0x110, "f64x2.relaxed_max",                   _V2),
    (0x111, "i16x8.relaxed_q15mulr_s",             _V2),
    (0x112, "i16x8.relaxed_dot_i8x16_i7x16_s",     _V2),
    (0x113, "i32x4.relaxed_dot_i8x16_i7x16_add_s", _V4),
]
# fmt: on


def _simd_rows() -> list[Row]:
    """Every 0xFD row: the table above, then the runs expanded, then the relaxed SIMD rows, as
    (name, prefix, code, imm, signature, width, feature)."""
    rows: list[Row] = [(name, PREFIX_FD, code, imm, sig, (rest or [0])[0], "simd")
                       for code, name, imm, sig, *rest in _SIMD]
    for start, names, sig in _SIMD_RUNS:
        shape, ops = names.split(":")
        for i, op in enumerate(ops.split()):
            rows.append((f"{shape}.{op}", PREFIX_FD, start + i, "", sig, 0, "simd"))
    rows += [(name, PREFIX_FD, code, "", sig, 0, "relaxed_simd")
             for code, name, sig in _RELAXED_SIMD]
    return rows


PREFIX_FB = 0xFB

# The GC instructions (WebAssembly 3.0, spec 5.4 "Aggregate Instructions" and "Reference
# Instructions"; typing: 3.0 valid/instructions): 0xFB, then the opcode as a u32 LEB128. All
# have hand-written typing rules (lower_gc.pxi).
# fmt: off
_GC: list[tuple[int, str, str]] = [
    # code  name                  immediate
    (0,  "struct.new",            "type"),
    (1,  "struct.new_default",    "type"),
    (2,  "struct.get",            "field"),
    (3,  "struct.get_s",          "field"),
    (4,  "struct.get_u",          "field"),
    (5,  "struct.set",            "field"),
    (6,  "array.new",             "type"),
    (7,  "array.new_default",     "type"),
    (8,  "array.new_fixed",       "type_n"),
    (9,  "array.new_data",        "type_data"),
    (10, "array.new_elem",        "type_elem"),
    (11, "array.get",             "type"),
    (12, "array.get_s",           "type"),
    (13, "array.get_u",           "type"),
    (14, "array.set",             "type"),
    (15, "array.len",             ""),
    (16, "array.fill",            "type"),
    (17, "array.copy",            "type_type"),
    (18, "array.init_data",       "type_data"),
    (19, "array.init_elem",       "type_elem"),
    (20, "ref.test",              "cast"),
    (21, "ref.test",              "cast_null"),
    (22, "ref.cast",              "cast"),
    (23, "ref.cast",              "cast_null"),
    (24, "br_on_cast",            "br_on_cast"),
    (25, "br_on_cast_fail",       "br_on_cast"),
    (26, "any.convert_extern",    ""),
    (27, "extern.convert_any",    ""),
    (28, "ref.i31",               ""),
    (29, "i31.get_s",             ""),
    (30, "i31.get_u",             ""),
]
# fmt: on


def _gc_rows() -> list[Row]:
    return [(name, PREFIX_FB, code, imm, "special", 0, "gc") for code, name, imm in _GC]


def _build() -> tuple[Op, ...]:
    ops = []
    for row in _ROWS + _numeric_rows() + _simd_rows() + _gc_rows():
        name, prefix, code, imm, sig = row[:5]
        width = row[5] if len(row) >= 6 else 0
        feature = row[6] if len(row) == 7 else "mvp"
        params, results = _sig(sig)
        ops.append(Op(name, prefix, code, imm, params, results, width, feature))
    return tuple(sorted(ops, key=lambda op: op.key))


#: Every instruction, sorted by ``Op.key``.
OPS: tuple[Op, ...] = _build()
#: ``"i32.add"`` -> Op (ref.test / ref.cast: the row of the non-nullable target type)
BY_NAME: dict[str, Op] = {}
for _op in OPS:
    BY_NAME.setdefault(_op.name, _op)
#: ``Op.key`` -> Op (prefixed ops: ``prefix << 16 | code``)
BY_CODE: dict[int, Op] = {op.key: op for op in OPS}

# names are unique but for the two rows each of ref.test and ref.cast
assert len(BY_NAME) == len(OPS) - 2 and len(BY_CODE) == len(OPS), "duplicate opcode row"
