"""Import matching (spec 4.5.2): does a given extern fit the type an import declares?"""

from __future__ import annotations

from .._core.runtime import Func, Global, Memory, Table, Tag
from ..errors import LinkError
from ..types import (ExternType, FuncType, GlobalType, Limits, MemoryType, TableType, TagType,
                     is_sub_id, match_valtype_closed)
from .caller import Caller
from .hostfunc import host_func

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


def _fits(want: ExternType, given: Extern, cid: int | None) -> bool:
    # 3.0 valid/matching (external types): a function's type is a subtype of the import's;
    # a table's element type and a mutable global's type are equal; an immutable global's
    # type is a subtype. Types are closed (DefTypes), so these compare across modules.
    if isinstance(want, FuncType):
        if not isinstance(given, Func):
            return False
        if cid is None:
            return given.type == want
        return is_sub_id(int(given.type_id), cid)
    if isinstance(want, TableType):
        return (isinstance(given, Table) and given.elem == want.elem
                and given.address_type == want.address
                and Limits(len(given), given.max).matches(want.limits))
    if isinstance(want, MemoryType):
        return (isinstance(given, Memory) and given.address_type == want.address
                and Limits(given.pages, given.max_pages).matches(want.limits))
    if isinstance(want, TagType):
        # tags match when their types are equal (3.0 spec 4.5.2.6); identity is the tag's own
        # (by canonical id when the import's is known: types in rec groups, 3.0)
        if not isinstance(given, Tag):
            return False
        return given.type_id == cid if cid is not None else bool(given.type == want.type)
    if not isinstance(given, Global) or given.mutable != want.mutable:
        return False
    if want.mutable:
        return bool(given.valtype == want.valtype)
    return match_valtype_closed(given.valtype, want.valtype)


def match_import(where: str, want: ExternType, given: object, callers: list[Caller],
                 cid: int | None = None) -> Extern:
    """The extern for the import ``where`` (``"module.name"``) of type ``want`` (closed: type
    indices replaced by DefTypes; ``cid`` the canonical id of a function import's type, see
    whisk.types.canonical_ids), given ``given``. A Python callable for a function import
    becomes a Func of the declared type (checked against its annotations, if any); the Caller
    it takes, if any, is appended to ``callers``. Raises LinkError("incompatible import type
    for ...") on a mismatch."""
    if (isinstance(want, FuncType) and callable(given)
            and not isinstance(given, (Func, Table, Memory, Global, Tag))):
        func, caller = host_func(given, want, where)
        if cid is not None and func.type_id != cid:
            func._set_type_id(cid)
        if caller is not None:
            callers.append(caller)
        return func
    if isinstance(given, (Func, Table, Memory, Global, Tag)) and _fits(want, given, cid):
        return given
    raise LinkError(f"incompatible import type for {where}: expected {want!r}, "
                    f"given {_extern_desc(given)}")
