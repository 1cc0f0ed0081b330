"""THE opcode table: every WebAssembly 2.0 instruction, defined once (spec 5.4 and 3.3).

Each row gives the mnemonic, the prefix byte (``None`` for single-byte opcodes, ``0xFC`` for the
saturating-truncation / bulk-memory / table group), the opcode (for prefixed ops: the u32 LEB128 that
follows the prefix), the immediate kind, the stack signature, and, for memory accesses, the access
width in bytes (the natural alignment is ``log2(width)``).

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
``reftype``    a reference type byte (0x70 funcref, 0x6F externref)
``mem_init``   data index (u32) then a reserved 0x00 byte
``data``       data index (u32)
``mem_copy``   two reserved 0x00 bytes
``table_init`` element index (u32) then table index (u32)
``elem``       element index (u32)
``table_copy`` destination table index (u32) then source table index (u32)
=============  ===============================================================
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Op", "OPS", "BY_NAME", "BY_CODE", "PREFIX_FC"]

PREFIX_FC = 0xFC


@dataclass(frozen=True)
class Op:
    """One instruction: ``name`` (spec mnemonic), ``prefix`` (None or 0xFC), ``code``, ``imm``
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
# fmt: off
_ROWS: list[tuple] = [
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
    # --- reference (5.4.2) ---
    ("ref.null",       None, 0xD0, "reftype",   "special", 0, "reference-types"),
    ("ref.is_null",    None, 0xD1, "",          "special", 0, "reference-types"),
    ("ref.func",       None, 0xD2, "func",      "special", 0, "reference-types"),
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


def _numeric_rows() -> list[tuple]:
    """The regular numeric opcodes 0x45..0xC4 and 0xFC 0..7, in opcode order."""
    rows: list[tuple] = []

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


def _build() -> tuple[Op, ...]:
    ops = []
    for row in _ROWS + _numeric_rows():
        name, prefix, code, imm, sig = row[:5]
        width = row[5] if len(row) > 5 else 0
        feature = row[6] if len(row) > 6 else "mvp"
        params, results = _sig(sig)
        ops.append(Op(name, prefix, code, imm, params, results, width, feature))
    return tuple(sorted(ops, key=lambda op: op.key))


#: Every instruction, sorted by ``Op.key``.
OPS: tuple[Op, ...] = _build()
#: ``"i32.add"`` -> Op
BY_NAME: dict[str, Op] = {op.name: op for op in OPS}
#: ``Op.key`` -> Op (prefixed ops: ``prefix << 16 | code``)
BY_CODE: dict[int, Op] = {op.key: op for op in OPS}

assert len(BY_NAME) == len(OPS) and len(BY_CODE) == len(OPS), "duplicate opcode row"
