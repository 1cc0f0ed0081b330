"""Import matching (spec 4.5.2): does a given extern fit the type an import declares?"""

from __future__ import annotations

from .._core.runtime import Func, Global, Memory, Table, Tag
from ..errors import LinkError
from ..types import ExternType, FuncType, Limits, MemoryType, TableType, TagType
from .caller import Caller, host_func

__all__ = ["Extern", "match_import"]

#: A runtime object an import resolves to and an export names (spec 4.2.12, external values).
Extern = Func | Table | Memory | Global | Tag


def _extern_desc(v: object) -> str:
    if isinstance(v, Func):
        return f"func {v.type}"
    if isinstance(v, Table):
        at = "i64 " if v.address_type == "i64" else ""
        return f"table {at}{v.elem} {len(v)}..{v.max}"
    if isinstance(v, Memory):
        at = "i64 " if v.address_type == "i64" else ""
        return f"memory {at}{v.pages}..{v.max_pages}"
    if isinstance(v, Global):
        return f"global {'mut ' if v.mutable else ''}{v.valtype}"
    if isinstance(v, Tag):
        return f"tag {v.type}"
    return type(v).__name__


def _fits(want: ExternType, given: Extern) -> bool:
    if isinstance(want, FuncType):
        return isinstance(given, Func) and given.type == want
    if isinstance(want, TableType):
        return (isinstance(given, Table) and given.elem == want.elem
                and given.address_type == want.address
                and Limits(len(given), given.max).matches(want.limits))
    if isinstance(want, MemoryType):
        return (isinstance(given, Memory) and given.address_type == want.address
                and Limits(given.pages, given.max_pages).matches(want.limits))
    if isinstance(want, TagType):
        # tags match when their types are equal (3.0 spec 4.5.2.6); identity is the tag's own
        return isinstance(given, Tag) and given.type == want.type
    return isinstance(given, Global) and (given.valtype, given.mutable) == (want.valtype, want.mutable)


def match_import(where: str, want: ExternType, given: object, callers: list[Caller]) -> Extern:
    """The extern for the import ``where`` (``"module.name"``) of type ``want``, given
    ``given``. A Python callable for a function import becomes a Func of the declared type
    (checked against its annotations, if any); the Caller it takes, if any, is appended to
    ``callers``. Raises LinkError("incompatible import type for ...") on a mismatch."""
    if (isinstance(want, FuncType) and callable(given)
            and not isinstance(given, (Func, Table, Memory, Global, Tag))):
        func, caller = host_func(given, want, where)
        if caller is not None:
            callers.append(caller)
        return func
    if isinstance(given, (Func, Table, Memory, Global, Tag)) and _fits(want, given):
        return given
    raise LinkError(f"incompatible import type for {where}: expected {want!r}, "
                    f"given {_extern_desc(given)}")
