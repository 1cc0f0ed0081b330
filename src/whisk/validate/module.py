"""Module-level validation (spec 3.4: modules; 3.2: types) and the entry point that validates and
pre-decodes function bodies (spec 3.3, done by the core's pre-decoder, ``whisk._core.lower``).

``validate_module(m)`` raises ValidationError with the spec test suite's wording; it returns the
lowered code of every function body.
"""

from __future__ import annotations

from .._core.lower import LoweredModule
from ..errors import ValidationError
from ..module import Instr, ModuleStruct
from ..types import MAX_PAGES, GlobalType, Limits

__all__ = ["validate_module", "declared_refs"]

_CONST_RESULT = {"i32.const": "i32", "i64.const": "i64", "f32.const": "f32", "f64.const": "f64",
                 "v128.const": "v128"}


def _limits(lim: Limits, bound: int, what: str) -> None:
    """Limits within ``bound`` (spec 3.2.1): min <= max <= bound."""
    if lim.min > bound or (lim.max is not None and lim.max > bound):
        if what == "memory":
            raise ValidationError("memory size must be at most 65536 pages (4GiB)")
        raise ValidationError("table size must be at most 2^32-1")
    if lim.max is not None and lim.min > lim.max:
        raise ValidationError("size minimum must not be greater than maximum")


def const_type(m: ModuleStruct, expr: tuple[Instr, ...], nglobals_visible: int, nfuncs: int,
               gtypes: list[GlobalType] | None = None) -> str:
    """Validate a constant expression (spec 3.3.10) and return its result type.

    Only ``t.const``, ``ref.null``, ``ref.func`` and ``global.get`` of an imported immutable
    global (the first ``nglobals_visible`` globals) are constant. ``gtypes`` is
    ``m.global_types()`` if the caller has it (building it per expression made loading
    quadratic in the number of globals and element items)."""
    if gtypes is None:
        gtypes = m.global_types()
    stack: list[str] = []
    for ins in expr:
        if ins.name in _CONST_RESULT:
            stack.append(_CONST_RESULT[ins.name])
        elif ins.name == "ref.null":
            stack.append(ins.imm)
        elif ins.name == "ref.func":
            if ins.imm >= nfuncs:
                raise ValidationError(f"unknown function {ins.imm}")
            stack.append("funcref")
        elif ins.name == "global.get":
            if ins.imm >= nglobals_visible:
                raise ValidationError(f"unknown global {ins.imm}")
            if gtypes[ins.imm].mutable:
                raise ValidationError("constant expression required")
            stack.append(gtypes[ins.imm].valtype)
        else:
            raise ValidationError("constant expression required")
    if len(stack) != 1:
        raise ValidationError("type mismatch")
    return stack[0]


def _expect_const(m: ModuleStruct, expr: tuple[Instr, ...] | None, want: str, nglobals: int,
                  nfuncs: int, gtypes: list[GlobalType]) -> None:
    if const_type(m, expr or (), nglobals, nfuncs, gtypes) != want:
        raise ValidationError("type mismatch")


def declared_refs(m: ModuleStruct) -> set[int]:
    """C.refs (spec 3.4.10): function indices named by ``ref.func`` outside function bodies or
    exported."""
    refs: set[int] = set()
    exprs = [g.init for g in m.globals]
    for e in m.elems:
        exprs.extend(e.init)
        if e.offset:
            exprs.append(e.offset)
    for expr in exprs:
        for ins in expr:
            if ins.name == "ref.func":
                refs.add(ins.imm)
    refs.update(e.index for e in m.exports if e.kind == "func")
    return refs


def validate_module(m: ModuleStruct) -> LoweredModule:
    """Validate a decoded module (spec 3.4) and pre-decode its function bodies.

    Returns the core's LoweredModule. Raises ValidationError (or DecodeError for a malformed
    function body)."""
    from .._core.lower import lower_module

    ntypes = len(m.types)
    for t in m.imported_type_indices():
        if t >= ntypes:
            raise ValidationError(f"unknown type {t}")
    for t in m.funcs:
        if t >= ntypes:
            raise ValidationError(f"unknown type {t}")
    tag_types = m.tag_type_indices()
    for t in tag_types:
        # a tag's type (3.0 spec 3.2.6): a function type index whose results are empty
        if t >= ntypes:
            raise ValidationError(f"unknown type {t}")
        if m.types[t].results:
            raise ValidationError("non-empty tag result type")
    tables = m.table_types()
    mems = m.memory_types()
    gtypes = m.global_types()
    nfuncs = len(m.imported("func")) + len(m.funcs)
    nimported_globals = len(m.imported("global"))
    for tt in tables:
        _limits(tt.limits, 0xFFFFFFFF, "table")
    for mt in mems:
        _limits(mt.limits, MAX_PAGES, "memory")
    if len(mems) > 1:
        raise ValidationError("multiple memories")
    for g in m.globals:
        _expect_const(m, g.init, g.type.valtype, nimported_globals, nfuncs, gtypes)
    for e in m.elems:
        for item in e.init:
            _expect_const(m, item, e.reftype, nimported_globals, nfuncs, gtypes)
        if e.mode == "active":
            if e.table >= len(tables):
                raise ValidationError(f"unknown table {e.table}")
            if tables[e.table].elem != e.reftype:
                raise ValidationError("type mismatch")
            _expect_const(m, e.offset, "i32", nimported_globals, nfuncs, gtypes)
    for d in m.datas:
        if d.mode == "active":
            if d.memory >= len(mems):
                raise ValidationError(f"unknown memory {d.memory}")
            _expect_const(m, d.offset, "i32", nimported_globals, nfuncs, gtypes)
    if m.start is not None:
        if m.start >= nfuncs:
            raise ValidationError(f"unknown function {m.start}")
        ft = m.func_types()[m.start]
        if ft.params or ft.results:
            raise ValidationError("start function must have type [] -> []")
    names = set()
    limits = {"func": nfuncs, "table": len(tables), "memory": len(mems), "global": len(gtypes),
              "tag": len(tag_types)}
    for x in m.exports:
        if x.name in names:
            raise ValidationError(f"duplicate export name {x.name!r}")
        names.add(x.name)
        if x.index >= limits[x.kind]:
            kind = "function" if x.kind == "func" else x.kind
            raise ValidationError(f"unknown {kind} {x.index}")
    types = [(t.params, t.results) for t in m.types]
    func_types = m.imported_type_indices() + list(m.funcs)
    codes = [(list(c.locals), c.body, c.offset) for c in m.codes]
    return lower_module(
        types, func_types, len(m.imported("func")), codes,
        [(g.valtype, g.mutable) for g in gtypes], [t.elem for t in tables], len(mems),
        [e.reftype for e in m.elems], m.data_count, declared_refs(m), tags=tag_types)
