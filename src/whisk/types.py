"""Value and external types (spec 2.3: types; WebAssembly 3.0 syntax/types).

Value types are plain strings, the spec's names, where a name exists: ``'i32' 'i64' 'f32' 'f64'
'v128' 'funcref' 'externref'`` (and ``'exnref'``). Every other reference type (3.0: typed
function references, ``(ref null? heaptype)``) is a :class:`RefType`; :func:`ref_type` builds
one and gives the string for the nullable abstract types that have a name, so that equal types
always compare equal. A concrete heap type is a type index (``int``) inside a module and a
:class:`DefType` (a canonical, store-independent id) at run time, once the module's types are
closed (3.0 valid/conventions: rolling and unrolling, closed types). The composite types are
small frozen records with a readable ``repr``.
"""

from __future__ import annotations

from typing import TypeVar, Union, cast

from .record import record

__all__ = [
    "VALTYPES", "NUMTYPES", "REFTYPES", "VALTYPE_BY_CODE", "CODE_BY_VALTYPE",
    "FuncType", "ValType", "RefType", "DefType", "ref_type", "as_reftype", "is_reftype", "heap_family",
    "FieldType", "StructType", "ArrayType", "SubType", "ABSTRACT_HEAPS", "HEAP_CODES",
    "canonical_ids", "func_type_id", "ALONE_IDS", "is_sub_id", "super_chain", "type_kind",
    "match_valtype_closed", "close_valtype", "close_type", "Limits", "TableType", "MemoryType", "GlobalType", "TagType", "ExternType", "PAGE_SIZE",
    "MAX_PAGES",
]

#: Binary codes of value types (spec 5.3.1-5.3.4).
VALTYPE_BY_CODE: dict[int, str] = {
    0x7F: "i32", 0x7E: "i64", 0x7D: "f32", 0x7C: "f64", 0x7B: "v128",
    0x70: "funcref", 0x6F: "externref", 0x69: "exnref",
}
CODE_BY_VALTYPE: dict[str, int] = {v: k for k, v in VALTYPE_BY_CODE.items()}
VALTYPES: tuple[str, ...] = ("i32", "i64", "f32", "f64", "v128", "funcref", "externref", "exnref")
NUMTYPES: tuple[str, ...] = ("i32", "i64", "f32", "f64")
REFTYPES: tuple[str, ...] = ("funcref", "externref", "exnref")

#: Abstract heap types by binary code (3.0 binary/types: heaptype as a negative s33).
ABSTRACT_HEAPS: dict[int, str] = {
    0x70: "func", 0x6F: "extern", 0x69: "exn", 0x73: "nofunc", 0x72: "noextern", 0x74: "noexn",
    0x6E: "any", 0x6D: "eq", 0x6C: "i31", 0x6B: "struct", 0x6A: "array", 0x71: "none",
}
HEAP_CODES: dict[str, int] = {v: k for k, v in ABSTRACT_HEAPS.items()}
#: The nullable abstract reference types that are named by a string (2.0 names, and exnref).
_NAMED_REFS = {"func": "funcref", "extern": "externref", "exn": "exnref"}
_REF_BY_NAME = {v: k for k, v in _NAMED_REFS.items()}
#: The family (top type) of each abstract heap type (3.0 valid/matching, heap types).
_FAMILY = {"func": "func", "nofunc": "func", "extern": "extern", "noextern": "extern",
           "exn": "exn", "noexn": "exn", "any": "any", "eq": "any", "i31": "any",
           "struct": "any", "array": "any", "none": "any"}


@record
class DefType:
    """A concrete heap type at run time (3.0 syntax/types, defined types): ``id`` is the
    canonical id of the type (two defined types are equivalent exactly when their ids are
    equal; see :func:`canonical_ids`). ``kind`` is 'func', 'struct' or 'array'."""

    id: int
    kind: str = "func"

    def __str__(self) -> str:
        return f"$type{self.id}"


@record
class RefType:
    """A reference type ``(ref null? heaptype)`` (3.0 syntax/types): ``nullable`` (bool) and
    ``heap``: an abstract heap type name ('func', 'extern', 'exn', 'nofunc', 'noextern', 'noexn',
    'any', 'eq', 'i31', 'struct', 'array', 'none'), a type index (int, inside a module) or a
    :class:`DefType` (at run time). ``str()`` gives the spec's text form. Build one with
    :func:`ref_type`, which gives ``'funcref'``/``'externref'``/``'exnref'`` where they apply."""

    nullable: bool
    heap: "str | int | DefType"

    def __str__(self) -> str:
        h = self.heap
        if isinstance(h, int):
            h = str(h)
        return f"(ref {'null ' if self.nullable else ''}{h})"

    def __repr__(self) -> str:
        return f"RefType{self}"


def ref_type(nullable: bool, heap: "str | int | DefType") -> "str | RefType":
    """The reference type ``(ref null? heap)`` in normal form: a name string for
    ``funcref``/``externref``/``exnref``, else a RefType. Raises ValueError for an unknown
    abstract heap type name."""
    if isinstance(heap, str):
        if heap not in _FAMILY:
            raise ValueError(f"unknown heap type {heap!r}")
        if nullable and heap in _NAMED_REFS:
            return _NAMED_REFS[heap]
    return RefType(bool(nullable), heap)


def as_reftype(t: object) -> "RefType | None":
    """The RefType of a reference type (named ones too), None for a numeric or vector type."""
    if isinstance(t, RefType):
        return t
    h = _REF_BY_NAME.get(t) if isinstance(t, str) else None
    return None if h is None else RefType(True, h)


def is_reftype(t: object) -> bool:
    """Whether ``t`` is a reference type."""
    return isinstance(t, RefType) or t in _REF_BY_NAME


def heap_family(heap: "str | int | DefType", kinds: "list[str] | None" = None) -> str:
    """The top heap type ('func', 'extern', 'exn' or 'any') a heap type is below; a type
    index is looked up in ``kinds`` (the kind of each of the module's types)."""
    if isinstance(heap, str):
        return _FAMILY[heap]
    kind = heap.kind if isinstance(heap, DefType) else (kinds[heap] if kinds else "func")
    return "func" if kind == "func" else "any"


@record
class FieldType:
    """A field of a struct or the element of an array (3.0 syntax/types): ``storage`` a value
    type or a packed type ('i8', 'i16'), ``mutable``."""

    storage: "str | RefType"
    mutable: bool = False


@record
class StructType:
    """A struct type (3.0 syntax/types, GC): a tuple of FieldTypes."""

    fields: "tuple[FieldType, ...]"

    def __str__(self) -> str:
        return "(struct " + " ".join(
            f"(field {'(mut ' if f.mutable else ''}{f.storage}{')' if f.mutable else ''})"
            for f in self.fields) + ")"


@record
class ArrayType:
    """An array type (3.0 syntax/types, GC): the FieldType of its elements."""

    field: FieldType

    def __str__(self) -> str:
        f = self.field
        return f"(array {'(mut ' if f.mutable else ''}{f.storage}{')' if f.mutable else ''})"


@record
class SubType:
    """A sub type (3.0 syntax/types): ``final``, ``supers`` (type indices, at most one) and
    ``comp`` the composite type (FuncType, StructType or ArrayType). A type written without
    ``sub`` is final with no supertypes."""

    final: bool
    supers: tuple[int, ...]
    comp: object


#: A value type: a name (numbers, vectors, the named reference types) or a RefType.
ValType = Union[str, RefType]

#: Size of one page of linear memory in bytes (64 KiB).
PAGE_SIZE = 65536
#: Largest number of pages a 32-bit memory can have (4 GiB).
MAX_PAGES = 65536


@record
class FuncType:
    """A function type (spec 2.3.5): ``params`` and ``results`` are tuples of value type names."""

    params: "tuple[ValType, ...]"
    results: "tuple[ValType, ...]"

    def __post_init__(self) -> None:
        # any iterable of names becomes a tuple, so FuncType(["i32"], []) == FuncType(("i32",), ())
        for name in ("params", "results"):
            value = getattr(self, name)
            if isinstance(value, str) or not hasattr(value, "__iter__"):
                raise TypeError(f"FuncType {name} must be a sequence of value type names, "
                                f"not {type(value).__name__}")
            names = tuple(value)
            for v in names:
                if v not in VALTYPES and not isinstance(v, RefType):
                    raise ValueError(f"unknown value type {v!r} in FuncType {name}")
            object.__setattr__(self, name, names)

    def __str__(self) -> str:
        return (f"[{' '.join(map(str, self.params))}] -> "
                f"[{' '.join(map(str, self.results))}]")

    def __repr__(self) -> str:
        return f"FuncType({self})"


@record
class Limits:
    """Limits (spec 2.3.6): ``min`` and optional ``max``, in pages (memories) or elements (tables)."""

    min: int
    max: int | None = None

    def __str__(self) -> str:
        return f"{self.min}" if self.max is None else f"{self.min}..{self.max}"

    def matches(self, other: "Limits") -> bool:
        """Import subtyping of limits (spec 4.5.2.4): ``self`` (the given) matches ``other``
        (the declared import)."""
        if self.min < other.min:
            return False
        if other.max is None:
            return True
        return self.max is not None and self.max <= other.max


@record
class TableType:
    """A table type (spec 2.3.8; 3.0: tabletype ::= addrtype limits reftype): ``limits`` in
    elements, ``elem`` a reference type name, ``address`` the address type of its indices,
    ``"i32"`` or ``"i64"`` (table64)."""

    limits: Limits
    elem: "ValType"
    address: str = "i32"

    def __repr__(self) -> str:
        at = "i64 " if self.address == "i64" else ""
        return f"TableType({at}{self.elem}, {self.limits})"


@record
class MemoryType:
    """A memory type (spec 2.3.7; 3.0: memtype ::= addrtype limits): ``limits`` in pages of
    64 KiB, ``address`` the address type, ``"i32"`` or ``"i64"`` (memory64)."""

    limits: Limits
    address: str = "i32"

    def __repr__(self) -> str:
        at = "i64 " if self.address == "i64" else ""
        return f"MemoryType({at}{self.limits})"


@record
class GlobalType:
    """A global type (spec 2.3.9): a value type name and mutability."""

    valtype: "ValType"
    mutable: bool = False

    def __repr__(self) -> str:
        return f"GlobalType({'mut ' if self.mutable else ''}{self.valtype})"


@record
class TagType:
    """A tag type (3.0 spec 2.3.10): the function type of an exception's payload, ``type``, whose
    ``params`` are the payload's value types (its ``results`` are always empty)."""

    type: FuncType

    def __repr__(self) -> str:
        return f"TagType({self.type})"


#: The type of an import or export (spec 2.3.11, external types).
ExternType = FuncType | TableType | MemoryType | GlobalType | TagType


# --- iso-recursive canonicalisation (3.0 valid/conventions, rolling; valid/matching) -----------

_GROUP_IDS: dict[tuple[object, ...], int] = {}       # canonical key of a rec group -> group number
_TYPE_IDS: dict[tuple[int, int], int] = {}   # (group number, position) -> canonical type id
_SUPER: dict[int, int] = {}             # canonical type id -> that of its declared supertype
_KIND: dict[int, str] = {}              # canonical type id -> 'func' | 'struct' | 'array'


def _key_vt(t: object, start: int, n: int, ids: list[int]) -> object:
    if isinstance(t, RefType):
        h = t.heap
        if isinstance(h, int):
            hk: object = ("rec", h - start) if start <= h < start + n else ("id", ids[h])
        elif isinstance(h, DefType):
            hk = ("id", h.id)
        else:
            hk = h
        return (t.nullable, hk)
    return t


def _key_comp(c: object, start: int, n: int, ids: list[int]) -> tuple[object, ...]:
    if isinstance(c, FuncType):
        return ("func", tuple(_key_vt(t, start, n, ids) for t in c.params),
                tuple(_key_vt(t, start, n, ids) for t in c.results))
    if isinstance(c, StructType):
        return ("struct", tuple((_key_vt(f.storage, start, n, ids), f.mutable)
                                for f in c.fields))
    assert isinstance(c, ArrayType)
    return ("array", _key_vt(c.field.storage, start, n, ids), c.field.mutable)


def _kind(c: object) -> str:
    return "func" if isinstance(c, FuncType) else "struct" if isinstance(c, StructType) else "array"


def canonical_ids(subtypes: "list[SubType]", groups: "list[int]") -> list[int]:
    """The canonical id of each of a module's types (3.0 valid/conventions: two types are
    equivalent when their rec groups, with the indices inside a group made relative and those
    outside replaced by canonical ids, are equal, and they sit at the same position). Ids are
    process-wide, so types of different modules (and host function types) compare by id.
    ``groups`` gives the size of each rec group in order; the types must have been validated
    (no forward reference outside a group)."""
    ids: list[int] = []
    start = 0
    for n in groups:
        members = subtypes[start:start + n]
        key = tuple((st.final,
                     tuple(("rec", x - start) if x >= start else ("id", ids[x]) for x in st.supers),
                     _key_comp(st.comp, start, n, ids))
                    for st in members)
        g = _GROUP_IDS.get(key)
        if g is None:
            g = _GROUP_IDS[key] = len(_GROUP_IDS) + 1
        for k, st in enumerate(members):
            tid = _TYPE_IDS.get((g, k))
            if tid is None:
                tid = _TYPE_IDS[(g, k)] = len(_TYPE_IDS) + 1
                _KIND[tid] = _kind(st.comp)
                ids.append(tid)             # the supertype may be in the group: ids[start + j]
                if st.supers:
                    _SUPER[tid] = -1 - st.supers[0]     # resolved below
            else:
                ids.append(tid)
        for k in range(n):
            tid = ids[start + k]
            sup = _SUPER.get(tid)
            if sup is not None and sup < 0:
                _SUPER[tid] = ids[-1 - sup]
        start += n
    return ids


#: (params, results) -> the id of that function type as a group of its own
ALONE_IDS: dict[tuple[tuple[ValType, ...], tuple[ValType, ...]], int] = {}


def func_type_id(ft: FuncType) -> int:
    """The canonical id of a function type on its own: a final type with no supertypes in a
    rec group of its own (what a host function has; its params may hold DefTypes). Its
    params and results must not hold type indices."""
    key = (ft.params, ft.results)
    tid = ALONE_IDS.get(key)
    if tid is None:
        tid = ALONE_IDS[key] = canonical_ids([SubType(True, (), ft)], [1])[0]
    return tid


def is_sub_id(a: int, b: int) -> bool:
    """Whether the defined type with canonical id ``a`` is a subtype of ``b`` (3.0
    valid/matching: reflexive, through the declared supertypes)."""
    while a != b:
        s = _SUPER.get(a)
        if s is None:
            return False
        a = s
    return True


def super_chain(a: int) -> list[int]:
    """The canonical ids of the declared supertypes of ``a``, nearest first."""
    out = []
    s = _SUPER.get(a)
    while s is not None:
        out.append(s)
        s = _SUPER.get(s)
    return out


def type_kind(a: int) -> str:
    """'func', 'struct' or 'array': the kind of the defined type with canonical id ``a``."""
    return _KIND.get(a, "func")


def close_valtype(t: "ValType", ids: list[int]) -> "ValType":
    """A module's value type with its type indices replaced by DefTypes (``ids``: the module's
    canonical ids), as the run time sees it."""
    if isinstance(t, RefType) and isinstance(t.heap, int):
        return RefType(t.nullable, DefType(ids[t.heap], _KIND.get(ids[t.heap], "func")))
    return t


_T = TypeVar("_T")


def close_type(c: _T, ids: list[int]) -> _T:
    """A composite type (or GlobalType / TableType) with its type indices closed."""
    return cast(_T, _close_type(c, ids))


def _close_type(c: object, ids: list[int]) -> object:
    if isinstance(c, FuncType):
        if not any(isinstance(t, RefType) for t in c.params + c.results):
            return c
        return FuncType(tuple(close_valtype(t, ids) for t in c.params),
                        tuple(close_valtype(t, ids) for t in c.results))
    if isinstance(c, GlobalType):
        t = close_valtype(c.valtype, ids)
        return c if t is c.valtype else _with(c, valtype=t)
    if isinstance(c, TableType):
        t = close_valtype(c.elem, ids)
        return c if t is c.elem else _with(c, elem=t)
    if isinstance(c, TagType):
        ft = _close_type(c.type, ids)
        return c if ft is c.type else TagType(ft)   # type: ignore[arg-type]
    if isinstance(c, StructType):
        return StructType(tuple(_close_field(f, ids) for f in c.fields))
    if isinstance(c, ArrayType):
        return ArrayType(_close_field(c.field, ids))
    return c


def _close_field(f: FieldType, ids: list[int]) -> FieldType:
    t = close_valtype(f.storage, ids)
    return f if t is f.storage else FieldType(t, f.mutable)


def _with(c: object, **changes: object) -> object:
    """A copy of record ``c`` with some fields changed (every other field kept as it is)."""
    fields = {f: getattr(c, f) for f in getattr(c, "__match_args__")}
    fields.update(changes)
    return type(c)(**fields)


def match_valtype_closed(a: object, b: object) -> bool:
    """Closed value type ``a`` matches ``b`` (3.0 valid/matching), across modules."""
    if a == b:
        return True
    ra, rb = as_reftype(a), as_reftype(b)
    if ra is None or rb is None:
        return False
    if ra.nullable and not rb.nullable:
        return False
    ha, hb = ra.heap, rb.heap
    if ha == hb:
        return True
    fa = heap_family(ha)
    if fa != heap_family(hb):
        return False
    if isinstance(hb, str):
        if hb in ("func", "extern", "exn", "any"):
            return True
        if hb == "eq":
            return isinstance(ha, DefType) and ha.kind != "func" or ha in ("i31", "struct", "array", "none", "eq")
        if hb in ("struct", "array"):
            return isinstance(ha, DefType) and ha.kind == hb or ha == "none"
        if hb == "i31":
            return ha == "none"
        return False
    if isinstance(ha, str):
        return ha in ("nofunc", "none")
    return isinstance(ha, DefType) and isinstance(hb, DefType) and is_sub_id(ha.id, hb.id)
