"""The module structure (spec 2.5): what the decoder produces and the rest of whisk reads.

Function bodies are kept as bytes and pre-decoded by the core (``whisk._core.lower``); constant
expressions (global initialisers, segment offsets, element items) are decoded into a tuple of
``Instr`` (the terminating ``end`` not included).
"""

from __future__ import annotations

from .record import record, field
from typing import Any

from .types import ExternType, FuncType, GlobalType, MemoryType, TableType, TagType, ValType

__all__ = [
    "Instr", "Import", "Export", "GlobalDef", "ElemSegment", "DataSegment", "Code", "ModuleStruct",
]


@record
class Instr:
    """One decoded instruction of a constant expression: ``name`` from the opcode table and
    ``imm``, its immediate (an int, float bits as int, tuple, or None)."""

    name: str
    # which kind of value depends on ``name`` (an index or constant bits: int; ref.null: the
    # reftype name; ...), so the readers, which dispatch on ``name``, take it as they need it
    imm: Any = None


@record
class Import:
    """An import (spec 2.5.11): ``kind`` is 'func' | 'table' | 'memory' | 'global' | 'tag';
    ``desc`` is a type index (func, tag) or a TableType / MemoryType / GlobalType."""

    module: str
    name: str
    kind: str
    desc: int | TableType | MemoryType | GlobalType


@record
class Export:
    """An export (spec 2.5.10): ``kind`` 'func' | 'table' | 'memory' | 'global' | 'tag' and its
    index."""

    name: str
    kind: str
    index: int


@record
class GlobalDef:
    """A defined global (spec 2.5.6): its type and initialiser (a constant expression)."""

    type: GlobalType
    init: tuple[Instr, ...]


@record
class ElemSegment:
    """An element segment (spec 2.5.7), any of the 8 binary encodings.

    ``mode`` is 'active' | 'passive' | 'declarative'; ``table`` and ``offset`` (a constant
    expression) are set for active segments; ``init`` holds one constant expression per item
    (encodings with plain function indices give ``(Instr('ref.func', idx),)`` items).
    """

    mode: str
    reftype: ValType
    init: tuple[tuple[Instr, ...], ...]
    table: int = 0
    offset: tuple[Instr, ...] | None = None


@record
class DataSegment:
    """A data segment (spec 2.5.8): ``mode`` 'active' | 'passive'; active ones have ``memory``
    and ``offset`` (a constant expression)."""

    mode: str
    data: bytes
    memory: int = 0
    offset: tuple[Instr, ...] | None = None


@record
class Code:
    """A function body (spec 5.5.13): ``locals`` as ``(count, valtype)`` runs, ``body`` the
    instruction bytes (up to and including the final ``end``), ``offset`` the byte offset of
    ``body`` within the module binary (for error messages)."""

    locals: tuple[tuple[int, ValType], ...]
    body: bytes
    offset: int = 0


@record(frozen=False)
class ModuleStruct:
    """A decoded module (spec 2.5). Index spaces: functions, tables, memories, globals and tags
    start with the imports of that kind, then the module's own definitions."""

    # the composite type of each type index (FuncType, or StructType/ArrayType), and the
    # sub types (finality, supertypes) and rec group sizes they come from (3.0 syntax/types)
    types: list[Any] = field(default_factory=list)
    subtypes: list[Any] = field(default_factory=list)
    rec_groups: list[int] = field(default_factory=list)
    imports: list[Import] = field(default_factory=list)
    funcs: list[int] = field(default_factory=list)          # type index of each defined function
    tables: list[TableType] = field(default_factory=list)
    table_inits: list[Any] = field(default_factory=list)   # per defined table: expr or None
    mems: list[MemoryType] = field(default_factory=list)
    tags: list[int] = field(default_factory=list)           # type index of each defined tag
    globals: list[GlobalDef] = field(default_factory=list)
    exports: list[Export] = field(default_factory=list)
    start: int | None = None
    elems: list[ElemSegment] = field(default_factory=list)
    data_count: int | None = None
    codes: list[Code] = field(default_factory=list)
    datas: list[DataSegment] = field(default_factory=list)
    customs: list[tuple[str, bytes]] = field(default_factory=list)
    type_ids: list[int] = field(default_factory=list)   # canonical id per type (validation)
    func_names: dict[int, str] = field(default_factory=dict)  # from the `name` section
    module_name: str | None = None

    def imported(self, kind: str) -> list[Import]:
        """The imports of one kind ('func', 'table', 'memory', 'global', 'tag'), in order."""
        return [imp for imp in self.imports if imp.kind == kind]

    def func_types(self) -> list[FuncType]:
        """The type of every function in the function index space (imports first)."""
        return [self.types[i] for i in self.imported_type_indices()] + [self.types[t] for t in self.funcs]

    def import_type(self, imp: Import) -> ExternType:
        """The type an import declares (a function or tag import's type index resolved)."""
        if imp.kind == "tag":
            assert isinstance(imp.desc, int)
            return TagType(self.types[imp.desc])
        return self.types[imp.desc] if isinstance(imp.desc, int) else imp.desc

    def imported_type_indices(self) -> list[int]:
        """The type index of each imported function, in order."""
        return [i.desc for i in self.imported("func") if isinstance(i.desc, int)]

    def tag_type_indices(self) -> list[int]:
        """The type index of every tag in the tag index space (imports first)."""
        return [i.desc for i in self.imported("tag") if isinstance(i.desc, int)] + list(self.tags)

    def tag_types(self) -> list[TagType]:
        """The type of every tag in the tag index space (imports first)."""
        return [TagType(self.types[t]) for t in self.tag_type_indices()]

    def table_types(self) -> list[TableType]:
        """The type of every table in the table index space (imports first)."""
        return [i.desc for i in self.imports if isinstance(i.desc, TableType)] + list(self.tables)

    def memory_types(self) -> list[MemoryType]:
        """The type of every memory in the memory index space (imports first)."""
        return [i.desc for i in self.imports if isinstance(i.desc, MemoryType)] + list(self.mems)

    def global_types(self) -> list[GlobalType]:
        """The type of every global in the global index space (imports first)."""
        return [i.desc for i in self.imports if isinstance(i.desc, GlobalType)] + [g.type for g in self.globals]
