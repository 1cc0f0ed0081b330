"""Value and external types (spec 2.3: types).

Value types are plain strings, the spec's names: ``'i32' 'i64' 'f32' 'f64' 'v128' 'funcref'
'externref' 'exnref'`` (exnref: 3.0 spec 2.3.3, the exception references of ``throw_ref`` and
``try_table``'s ``catch_ref``). The composite types are small frozen records with a readable ``repr``.
"""

from __future__ import annotations

from .record import record

__all__ = [
    "VALTYPES", "NUMTYPES", "REFTYPES", "VALTYPE_BY_CODE", "CODE_BY_VALTYPE",
    "FuncType", "Limits", "TableType", "MemoryType", "GlobalType", "TagType", "ExternType", "PAGE_SIZE",
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

#: Size of one page of linear memory in bytes (64 KiB).
PAGE_SIZE = 65536
#: Largest number of pages a 32-bit memory can have (4 GiB).
MAX_PAGES = 65536


@record
class FuncType:
    """A function type (spec 2.3.5): ``params`` and ``results`` are tuples of value type names."""

    params: tuple[str, ...]
    results: tuple[str, ...]

    def __post_init__(self) -> None:
        # any iterable of names becomes a tuple, so FuncType(["i32"], []) == FuncType(("i32",), ())
        for name in ("params", "results"):
            value = getattr(self, name)
            if isinstance(value, str) or not hasattr(value, "__iter__"):
                raise TypeError(f"FuncType {name} must be a sequence of value type names, "
                                f"not {type(value).__name__}")
            names = tuple(value)
            for v in names:
                if v not in VALTYPES:
                    raise ValueError(f"unknown value type {v!r} in FuncType {name}")
            object.__setattr__(self, name, names)

    def __str__(self) -> str:
        return f"[{' '.join(self.params)}] -> [{' '.join(self.results)}]"

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
    elem: str
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

    valtype: str
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
