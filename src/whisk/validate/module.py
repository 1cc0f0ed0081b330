"""Module-level validation (spec 3.4: modules; 3.2: types) and the entry point that validates and
pre-decodes function bodies (spec 3.3, done by the core's pre-decoder, ``whisk._core.lower``).

``validate_module(m)`` raises ValidationError with the spec test suite's wording; it returns the
lowered code of every function body.
"""

from __future__ import annotations

from typing import Any

from .._core.lower import LoweredModule
from ..errors import ValidationError
from ..features import Features, disabled_message
from ..structure import Instr, ModuleStruct
from ..types import (
    ALONE_IDS, MAX_PAGES, ArrayType, FieldType, FuncType, GlobalType, Limits, RefType, StructType,
    SubType, ValType, canonical_ids, close_valtype, func_type_id, match_valtype_closed, ref_type,
)

__all__ = ["validate_module", "declared_refs", "instruction_offsets"]

_CONST_RESULT = {"i32.const": "i32", "i64.const": "i64", "f32.const": "f32", "f64.const": "f64",
                 "v128.const": "v128"}
#: The extended constant instructions (WebAssembly 3.0, spec 3.4.13 "Constant Expressions"):
#: binop -> operand type.
_CONST_BINOPS = {"i32.add": "i32", "i32.sub": "i32", "i32.mul": "i32",
                 "i64.add": "i64", "i64.sub": "i64", "i64.mul": "i64"}
#: The constant GC instructions (WebAssembly 3.0, valid/instructions "Constant Expressions").
_CONST_GC = frozenset({"struct.new", "struct.new_default", "array.new", "array.new_default",
                       "array.new_fixed", "ref.i31", "any.convert_extern", "extern.convert_any"})


def _limits(lim: Limits, bound: int, what: str) -> None:
    """Limits within ``bound`` (spec 3.2.1): min <= max <= bound."""
    if lim.min > bound or (lim.max is not None and lim.max > bound):
        if what == "memory":
            raise ValidationError("memory size must be at most 65536 pages (4GiB)")
        if what == "memory64":
            raise ValidationError("memory size must be at most 2^48 pages")
        raise ValidationError("table size must be at most 2^32-1")
    if lim.max is not None and lim.min > lim.max:
        raise ValidationError("size minimum must not be greater than maximum")


def _check_vt(t: object, ntypes: int) -> None:
    """A value type is valid (3.0 valid/types): its type index, if any, is defined."""
    if isinstance(t, RefType) and isinstance(t.heap, int) and t.heap >= ntypes:
        raise ValidationError(f"unknown type {t.heap}")


def _comp_refs(c: object) -> "list[ValType]":
    """The value (and storage) types a composite type mentions."""
    if isinstance(c, FuncType):
        return list(c.params) + list(c.results)
    if isinstance(c, StructType):
        return [f.storage for f in c.fields]
    if isinstance(c, ArrayType):
        return [c.field.storage]
    return []


def _comp_matches(a: object, b: object, ids: list[int]) -> bool:
    """Composite type ``a`` matches ``b`` (3.0 valid/matching): functions contravariant in
    their parameters and covariant in their results; struct prefix and array fields with
    immutable fields covariant, mutable ones equal."""
    def vt(x: ValType, y: ValType) -> bool:
        if x in ("i8", "i16") or y in ("i8", "i16"):
            return x == y
        return match_valtype_closed(close_valtype(x, ids), close_valtype(y, ids))

    def field(x: FieldType, y: FieldType) -> bool:
        if x.mutable != y.mutable:
            return False
        return vt(x.storage, y.storage) and (not x.mutable or vt(y.storage, x.storage))
    if isinstance(a, FuncType) and isinstance(b, FuncType):
        return (len(a.params) == len(b.params) and len(a.results) == len(b.results)
                and all(vt(y, x) for x, y in zip(a.params, b.params))
                and all(vt(x, y) for x, y in zip(a.results, b.results)))
    if isinstance(a, StructType) and isinstance(b, StructType):
        return (len(a.fields) >= len(b.fields)
                and all(field(x, y) for x, y in zip(a.fields, b.fields)))
    if isinstance(a, ArrayType) and isinstance(b, ArrayType):
        return field(a.field, b.field)
    return False


def validate_types(m: ModuleStruct) -> list[int]:
    """Validate the type section (3.0 valid/types, valid/modules: rec groups and sub types)
    and return the canonical id of every type (see whisk.types.canonical_ids). A type may
    refer to the types of earlier rec groups and of its own; a supertype must come earlier,
    not be final and be matched by the sub type's composite type."""
    subtypes = m.subtypes
    if not subtypes:
        # every type a plain function type (final, no supertypes, a group of its own): its id
        # is that of the function type alone, unless it names a type index
        ids = []
        known = ALONE_IDS
        for t in m.types:
            if type(t) is not FuncType:
                break
            tid = known.get((t.params, t.results))
            if tid is None:
                if any(isinstance(v, RefType) and isinstance(v.heap, int)
                       for v in t.params + t.results):
                    break
                tid = func_type_id(t)
            ids.append(tid)
        else:
            return ids
        subtypes = m.subtypes = [SubType(True, (), t) for t in m.types]
        m.rec_groups = [1] * len(subtypes)
    start = 0
    for n in m.rec_groups:
        end = start + n
        for x in range(start, end):
            st = subtypes[x]
            for t in _comp_refs(st.comp):
                _check_vt(t, end)
            if len(st.supers) > 1:
                raise ValidationError("multiple supertypes")
            for y in st.supers:
                if y >= x:
                    raise ValidationError(f"unknown type {y}")
        start = end
    ids = canonical_ids(subtypes, m.rec_groups)
    for x, st in enumerate(subtypes):
        for y in st.supers:
            sup = subtypes[y]
            if sup.final or not _comp_matches(st.comp, sup.comp, ids):
                raise ValidationError(f"sub type {x} does not match super type {y}")
    return ids


def match_vt(a: ValType, b: ValType, ids: list[int]) -> bool:
    """Value type ``a`` matches ``b`` (3.0 valid/matching) in a module whose types have the
    canonical ``ids``."""
    return a == b or match_valtype_closed(close_valtype(a, ids), close_valtype(b, ids))


MAX_PAGES64 = 1 << 48     # memory64: 2^64 bytes in pages of 64 KiB (3.0 spec 3.2.6)


def const_type(m: ModuleStruct, expr: tuple[Instr, ...], nglobals_visible: int, nfuncs: int,
               gtypes: list[GlobalType] | None = None, features: Features | None = None
               ) -> ValType:
    """Validate a constant expression (spec 3.4.13 "Constant Expressions"; 2.0: 3.3.10) and
    return its result type.

    Constant instructions: ``t.const``, ``ref.null``, ``ref.func``, ``global.get`` of an
    immutable global among the first ``nglobals_visible`` of the index space (the caller's
    context C: the imported globals, then for a global initialiser the globals defined before
    it, for element and data segments all of them, spec 3.5 "Modules"), and, with the
    ``extended_const`` feature (on unless ``features`` disables it), ``i32``/``i64``
    ``add``/``sub``/``mul``. As the reference interpreter does, constness is checked first
    (ValidationError "constant expression required", "unknown global N"), then typing over an
    operand stack ("type mismatch"). ``gtypes`` is ``m.global_types()`` if the caller has it
    (building it per expression made loading quadratic in the number of globals and element
    items)."""
    if gtypes is None:
        gtypes = m.global_types()
    extended = features is None or "extended_const" in features
    for ins in expr:
        name = ins.name
        if name == "global.get":
            if ins.imm >= nglobals_visible:
                if not extended and ins.imm < len(gtypes):
                    raise ValidationError(
                        f"unknown global {ins.imm} ({disabled_message('extended_const')}: "
                        f"only imported globals are constant)")
                raise ValidationError(f"unknown global {ins.imm}")
            if gtypes[ins.imm].mutable:
                raise ValidationError("constant expression required")
        elif name in _CONST_BINOPS:
            if not extended:
                raise ValidationError(f"constant expression required "
                                      f"({disabled_message('extended_const')}: {name})")
        elif (name not in _CONST_RESULT and name not in ("ref.null", "ref.func")
              and name not in _CONST_GC):
            raise ValidationError("constant expression required")
    stack: list[ValType] = []
    for ins in expr:
        name = ins.name
        if name in _CONST_GC:
            _const_gc(m, ins, stack)
        elif name in _CONST_RESULT:
            stack.append(_CONST_RESULT[name])
        elif name in _CONST_BINOPS:
            t = _CONST_BINOPS[name]
            if len(stack) < 2 or stack[-1] != t or stack[-2] != t:
                raise ValidationError("type mismatch")
            stack.pop()
        elif name == "ref.null":
            _check_vt(ins.imm, len(m.types))
            stack.append(ins.imm)
        elif name == "ref.func":
            if ins.imm >= nfuncs:
                raise ValidationError(f"unknown function {ins.imm}")
            # 3.0: (ref $t), the function's exact type (2.0: funcref, its supertype)
            stack.append(RefType(False, _func_type_indices(m)[ins.imm]))
        else:                                       # global.get
            stack.append(gtypes[ins.imm].valtype)
    if len(stack) != 1:
        raise ValidationError("type mismatch")
    return stack[0]


def _const_gc(m: ModuleStruct, ins: Instr, stack: "list[ValType]") -> None:
    """Apply the typing rule of a constant GC instruction (3.0 valid/instructions) to the
    operand stack of a constant expression; ValidationError "unknown type N", "type mismatch",
    "field type is not defaultable", "array type is not defaultable"."""
    def pop(want: ValType) -> ValType:
        if not stack:
            raise ValidationError("type mismatch")
        got = stack.pop()
        if got != want and not match_vt(got, want, m.type_ids):
            raise ValidationError("type mismatch")
        return got

    def comp(kind: type) -> Any:
        x = ins.imm if isinstance(ins.imm, int) else ins.imm[0]
        if x >= len(m.types):
            raise ValidationError(f"unknown type {x}")
        c = m.types[x]
        if not isinstance(c, kind):
            raise ValidationError("type mismatch")
        return x, c

    def unpack(t: ValType) -> ValType:
        return "i32" if t in ("i8", "i16") else t
    name = ins.name
    if name == "ref.i31":
        pop("i32")
        stack.append(RefType(False, "i31"))
    elif name in ("any.convert_extern", "extern.convert_any"):
        src, dst = ("extern", "any") if name == "any.convert_extern" else ("any", "extern")
        got = pop(RefType(True, src))
        nullable = not (isinstance(got, RefType) and not got.nullable)
        stack.append(ref_type(nullable, dst))
    elif name.startswith("struct."):
        x, c = comp(StructType)
        if name == "struct.new":
            for f in reversed(c.fields):
                pop(unpack(f.storage))
        elif not all(_defaultable(unpack(f.storage)) for f in c.fields):
            raise ValidationError("field type is not defaultable")
        stack.append(RefType(False, x))
    else:
        x, c = comp(ArrayType)
        t = unpack(c.field.storage)
        if name == "array.new_fixed":
            for _ in range(ins.imm[1]):
                pop(t)
        else:
            pop("i32")
            if name == "array.new":
                pop(t)
            elif not _defaultable(t):
                raise ValidationError("array type is not defaultable")
        stack.append(RefType(False, x))


def _func_type_indices(m: ModuleStruct) -> list[int]:
    return m.imported_type_indices() + list(m.funcs)


def _expect_const(m: ModuleStruct, expr: tuple[Instr, ...] | None, want: ValType, nglobals: int,
                  nfuncs: int, gtypes: list[GlobalType], features: Features | None) -> None:
    got = const_type(m, expr or (), nglobals, nfuncs, gtypes, features)
    if got != want and not match_vt(got, want, m.type_ids):
        raise ValidationError("type mismatch")


def _require_no_v128(m: ModuleStruct, features: Features) -> None:
    """With ``simd`` disabled, the v128 value type (spec 2.3.2) is not available: a function
    type, global type or local declaration that names it fails (ValidationError; instructions
    of SIMD fail in the lowerer). Block types and ``select`` annotations are not checked (without
    SIMD instructions no v128 value can reach them)."""
    for ft in m.types:
        if isinstance(ft, FuncType) and ("v128" in ft.params or "v128" in ft.results):
            features.require("simd", "v128 in a function type")
    for gt in m.global_types():
        if gt.valtype == "v128":
            features.require("simd", "v128 global")
    for c in m.codes:
        for _, t in c.locals:
            if t == "v128":
                features.require("simd", "v128 local")


def declared_refs(m: ModuleStruct) -> set[int]:
    """C.refs (spec 3.4.10): function indices named by ``ref.func`` outside function bodies or
    exported."""
    refs: set[int] = set()
    exprs = [g.init for g in m.globals] + [e for e in m.table_inits if e]
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


def validate_module(m: ModuleStruct, features: Features | None = None) -> LoweredModule:
    """Validate a decoded module (spec 3.4) and pre-decode its function bodies.

    ``features`` (default all, see :mod:`whisk.features`) limits what the module may use.
    Returns the core's LoweredModule. Raises ValidationError (or DecodeError for a malformed
    function body, or an instruction of a disabled feature)."""
    from .._core.lower import lower_module

    ntypes = len(m.types)
    if features is not None and "function_references" not in features and m.subtypes:
        features.require("function_references", "a rec group, sub type or GC type")
    m.type_ids = validate_types(m)
    for t in m.imported_type_indices() + list(m.funcs):
        if t >= ntypes:
            raise ValidationError(f"unknown type {t}")
        if not isinstance(m.types[t], FuncType):
            raise ValidationError("type mismatch")
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
        _check_vt(tt.elem, ntypes)
        if tt.address == "i32":
            _limits(tt.limits, 0xFFFFFFFF, "table")
        else:
            _limits(tt.limits, 0xFFFFFFFFFFFFFFFF, "table")
    for mt in mems:
        if mt.address == "i32":
            _limits(mt.limits, MAX_PAGES, "memory")
        else:
            _limits(mt.limits, MAX_PAGES64, "memory64")
    if len(mems) > 1 and features is not None and "multi_memory" not in features:
        raise ValidationError(f"multiple memories ({disabled_message('multi_memory')})")
    if features is not None and "simd" not in features:
        _require_no_v128(m, features)
    for gt in gtypes:
        _check_vt(gt.valtype, ntypes)
    for k, tt in enumerate(m.tables):
        init = m.table_inits[k] if k < len(m.table_inits) else None
        if init is None:
            if not _defaultable(tt.elem):
                raise ValidationError("type mismatch")
        else:
            # (3.0 valid/modules: a table's initialiser sees the imported globals only)
            _expect_const(m, init, tt.elem, nimported_globals, nfuncs, gtypes, features)
    # The globals constant expressions may read (spec 3.5 "Modules", WebAssembly 3.0): a global's
    # initialiser the imported globals and those defined before it (C'), a segment's
    # expressions every global (C). WebAssembly 2.0 (extended_const off): imported ones only.
    extended = features is None or "extended_const" in features
    nsegment_globals = len(gtypes) if extended else nimported_globals
    for i, g in enumerate(m.globals):
        _expect_const(m, g.init, g.type.valtype, nimported_globals + i if extended else
                      nimported_globals, nfuncs, gtypes, features)
    for e in m.elems:
        _check_vt(e.reftype, ntypes)
        for item in e.init:
            _expect_const(m, item, e.reftype, nsegment_globals, nfuncs, gtypes, features)
        if e.mode == "active":
            if e.table >= len(tables):
                raise ValidationError(f"unknown table {e.table}")
            if not match_vt(e.reftype, tables[e.table].elem, m.type_ids):
                raise ValidationError("type mismatch")
            _expect_const(m, e.offset, tables[e.table].address, nsegment_globals, nfuncs, gtypes,
                          features)
    for d in m.datas:
        if d.mode == "active":
            if d.memory >= len(mems):
                raise ValidationError(f"unknown memory {d.memory}")
            _expect_const(m, d.offset, mems[d.memory].address, nsegment_globals, nfuncs, gtypes,
                          features)
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
    ctx = _lowering_context(m, features)
    codes = [(list(c.locals), c.body, c.offset) for c in m.codes]
    return lower_module(
        ctx["types"], ctx["func_types"], len(m.imported("func")), codes, ctx["globals"],
        ctx["tables"], ctx["mems"], ctx["elem_types"], ctx["ndatas"], ctx["refs"],
        ctx["features"], ctx["table_addrs"], tags=ctx["tags"], typeinfo=ctx["typeinfo"],
        fields=ctx["fields"])


def _lowering_context(m: ModuleStruct, features: Features | None) -> dict[str, Any]:
    """The module context the core's lowerer takes (``Lowerer.setup``'s arguments), of a
    validated module."""
    types = [(t.params, t.results) if isinstance(t, FuncType) else ((), ()) for t in m.types]
    kinds: list[int] | None = None         # None: all function types without supertypes
    supers: list[int] | None = None
    if m.subtypes:
        kinds = [0 if isinstance(t, FuncType) else 1 if isinstance(t, StructType) else 2
                 for t in m.types]
        supers = [st.supers[0] if st.supers else -1 for st in m.subtypes]
    gtypes = m.global_types()
    tables = m.table_types()
    return dict(
        types=types, func_types=m.imported_type_indices() + list(m.funcs),
        globals=[(g.valtype, g.mutable) for g in gtypes], tables=[t.elem for t in tables],
        mems=[mt.address for mt in m.memory_types()], elem_types=[e.reftype for e in m.elems],
        ndatas=m.data_count, refs=declared_refs(m),
        features=None if features is None else features.mask,
        table_addrs=[t.address for t in tables], tags=m.tag_type_indices(),
        typeinfo=(kinds, supers, list(m.type_ids)), fields=_fields(m))


def _fields(m: ModuleStruct) -> "list[Any] | None":
    """Per type: None for a function type, the [(storage, mutable)] of a struct type's fields
    or of an array type's element (the lowerer's ``fields``); None if all are function types."""
    if all(isinstance(t, FuncType) for t in m.types):
        return None
    return [[(f.storage, f.mutable) for f in t.fields] if isinstance(t, StructType)
            else [(t.field.storage, t.field.mutable)] if isinstance(t, ArrayType) else None
            for t in m.types]


def instruction_offsets(m: ModuleStruct, features: Features | None,
                        func_index: int) -> tuple[list[int], list[int], list[int]]:
    """Where each instruction of defined function ``func_index`` (function index space) went in
    its lowered code: ``(starts, ends, offsets)``, per wasm instruction in order, the range
    ``[start, end)`` of code words (from the function's entry) written while lowering it and
    its byte offset in the module binary. The body is lowered again, recording (lowering is
    deterministic, so the layout is the one the module runs); used on a trap only
    (``Trap.frames``' ``module_offset``), so that loading and running pay nothing."""
    from .._core.lower import Lowerer

    ctx = _lowering_context(m, features)
    lw = Lowerer()
    lw.setup(ctx["types"], ctx["func_types"], ctx["globals"], ctx["tables"], ctx["mems"],
             ctx["elem_types"], ctx["ndatas"], ctx["refs"], ctx["features"],
             ctx["table_addrs"], ctx["tags"], ctx["typeinfo"], ctx["fields"])
    c = m.codes[func_index - len(m.imported("func"))]
    return lw.instruction_offsets(func_index, ctx["func_types"][func_index], list(c.locals),
                                  c.body, c.offset)


def _defaultable(t: ValType) -> bool:
    """Whether a value type has a default value (3.0 valid/types): all but non-null refs."""
    return not (isinstance(t, RefType) and not t.nullable)
