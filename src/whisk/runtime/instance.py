"""Instances: the public ``Instance`` and its ``Exports`` (spec 4.5.4, instantiation).

Instantiation resolves imports and checks their types (spec 4.5.2, import matching), allocates
the module's own tables, memory and globals, evaluates constant expressions, initialises active
element and data segments in order, drops declarative ones, and runs the start function.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterator, Mapping, Sequence
from ..record import record
from typing import Any

from .._core.runtime import Func, Global, I31Ref, InstanceCore, Memory, Store, Table, Tag
from ..errors import LinkError, ResourceError
from ..module import ExportType, ImportType, Module
from ..structure import Instr, ModuleStruct
from ..types import ExternType, close_type, close_valtype
from .caller import Caller
from .matching import Extern, match_import

__all__ = ["Instance", "Exports", "Extern"]

#: The extended constant instructions (spec 3.4.13 "Constant Expressions", WebAssembly 3.0) on
#: Python ints.
_CONST_BINOPS: dict[str, Callable[[int, int], int]] = {
    "i32.add": operator.add, "i32.sub": operator.sub, "i32.mul": operator.mul,
    "i64.add": operator.add, "i64.sub": operator.sub, "i64.mul": operator.mul,
}


class Exports(Mapping[str, Extern]):
    """An instance's exports: a read-only mapping name -> Func | Table | Memory | Global | Tag,
    also readable as attributes (``instance.exports.fib``).

    Attribute access finds an export at plain-attribute speed: every export whose name does not
    start with ``_`` is also an entry of the object's ``__dict__``. Instance attributes win over
    the class's methods, so an export named ``get``, ``items``, ``keys`` or ``values`` is what
    ``exports.get`` gives; the mapping interface (``exports["get"]``, ``in``, ``len``, iteration)
    always works. Exports whose names start with ``_`` are reached by subscript only. Assigning or
    deleting an attribute raises AttributeError."""

    def __init__(self, items: dict[str, Extern]):
        d = object.__getattribute__(self, "__dict__")
        # exports first, then _items: no export lands on _items (its name starts with _)
        d.update((k, v) for k, v in items.items() if k[:1] != "_")
        d["_items"] = items

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError("an instance's exports are read-only")

    def __delattr__(self, name: str) -> None:
        raise AttributeError("an instance's exports are read-only")

    _items: dict[str, Extern]

    def __getitem__(self, name: str) -> Extern:
        return self._items[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def __contains__(self, name: object) -> bool:
        return name in self._items

    def __eq__(self, other: object) -> bool:
        # not Mapping.__eq__: it calls self.items(), which an export named "items" shadows
        if isinstance(other, Exports):
            return self._items == other._items
        if isinstance(other, Mapping):
            return self._items == {k: other[k] for k in other}
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    # Any, not Extern: ``exports.fib(3)`` and ``memoryview(exports.memory)`` are what attribute
    # access is for; ``exports["fib"]`` gives the precise union to narrow with isinstance
    def __getattr__(self, name: str) -> Any:
        # (only reached when normal lookup failed: names with a leading _ never become exports
        # by attribute, so they would shadow the mapping's own attributes)
        if name in object.__getattribute__(self, "_items"):
            raise AttributeError(f"the export {name!r} starts with '_': use exports[{name!r}]")
        raise AttributeError(f"no export named {name!r}")

    def __repr__(self) -> str:
        return f"<whisk.Exports {list(self._items)}>"


@record(frozen=False)
class _Imports:
    externs: list[Extern]           # one per import, in order
    callers: list[Caller]           # to bind once the instance exists


def _resolve(m: ModuleStruct, imports: Mapping[str, Mapping[str, object]]) -> _Imports:
    """Resolve and match every import (spec 4.5.4 steps 3-4); LinkError names every missing
    one at once."""
    out = _Imports([], [])
    missing = []
    if not isinstance(imports, Mapping):
        raise TypeError(f"imports must be a mapping of module names to mappings, not "
                        f"{type(imports).__name__}")
    for imp in m.imports:
        ns = imports.get(imp.module)
        if ns is not None and not isinstance(ns, Mapping):
            raise TypeError(f"imports[{imp.module!r}] must be a mapping of names to externs, "
                            f"not {type(ns).__name__}")
        if ns is None or imp.name not in ns:
            missing.append(f"{imp.module}.{imp.name}")
            continue
        where = f"{imp.module}.{imp.name}"
        ids = m.type_ids
        cid = ids[imp.desc] if isinstance(imp.desc, int) and ids else None
        want = close_type(m.import_type(imp), ids) if ids else m.import_type(imp)
        out.externs.append(match_import(where, want, ns[imp.name], out.callers, cid))
    if missing:
        raise LinkError("unknown import: " + ", ".join(missing))
    return out


#: The GC constant instructions (3.0 spec 3.3.10 constant expressions; exec/instructions):
#: they run in _gc_const.
_GC_CONST = frozenset(("struct.new", "struct.new_default", "array.new", "array.new_default",
                       "array.new_fixed", "ref.i31", "any.convert_extern", "extern.convert_any"))


def _gc_const(core: Any, m: ModuleStruct, name: str, imm: Any, stack: list[Any]) -> None:
    """Run GC constant instruction ``name`` (immediate ``imm``) on the constant-expression
    stack (raw-bit form: numbers as ints, references as Python values). A reference's Python
    value is the same in the any and extern hierarchies (a handle, or the host object), so
    any.convert_extern and extern.convert_any leave it as it is."""
    if name == "ref.i31":
        stack.append(I31Ref(stack.pop() & 0x7FFFFFFF))
    elif name in ("any.convert_extern", "extern.convert_any"):
        pass
    elif name == "struct.new":
        stack.append(core.gc_new(imm, _pop(stack, len(m.types[imm].fields))))
    elif name == "struct.new_default":
        stack.append(core.gc_new(imm, None))
    elif name == "array.new":
        count = stack.pop() & 0xFFFFFFFF
        value = stack.pop()
        stack.append(core.gc_new(imm, None, count, value))
    elif name == "array.new_default":
        stack.append(core.gc_new(imm, None, stack.pop() & 0xFFFFFFFF))
    else:                                        # array.new_fixed x n
        x, n = imm
        stack.append(core.gc_new(x, _pop(stack, n)))


def _pop(stack: list[Any], n: int) -> list[Any]:
    """The top n values of the stack, removed (in stack order)."""
    values = stack[len(stack) - n:] if n else []
    del stack[len(stack) - n:]
    return values


def _check_bytes(store: Store, need: int, what: str) -> None:
    left = store.bytes_left()
    if left is not None and need > left:
        raise ResourceError(f"{what} ({need} bytes) exceeds the store's max_memory_bytes "
                            f"({store.max_memory_bytes}; {left} bytes left)")


class Instance:
    """A module instance (spec 4.5.4): ``Instance(module, imports=None, *, store=None)``.

    ``imports`` maps module names to mappings of field names to Func, Table, Memory, Global,
    Tag or a Python callable: typed from the import declaration, or from its annotations
    (``whisk.i32``, ...; checked against the declaration); one whose first parameter is
    annotated ``whisk.Caller`` gets the calling instance's Caller. An Instance's ``exports``
    can be given as one such mapping. ``whisk.Linker`` builds imports by name. Raises
    LinkError listing every missing import, or naming the first import whose type does not
    match; Trap if a segment initialisation or the start
    function traps (WasmException if the start function throws). ``store`` (a ``whisk.Store``) sets fuel, resource and call depth limits and
    is what ``interrupt()`` stops; without one the instance gets a store of its own
    (``instance.store``). Past a store limit (a table or memory minimum over
    ``max_memory_bytes`` or ``max_table_elements``, or the counts of instances, tables and
    memories) instantiation raises ResourceError, a LinkError, before allocating anything.
    TypeError if ``module`` is not a Module, ``imports`` not a mapping of mappings, or
    ``store`` not a Store.
    """

    def __init__(self, module: Module, imports: Mapping[str, Mapping[str, object]] | None = None,
                 *, store: Store | None = None):
        self._init(module, imports, store, None)

    def _init(self, module: Module, imports: Mapping[str, Mapping[str, object]] | None,
              store: Store | None, ready: Callable[[Instance], None] | None) -> None:
        # ``ready(self)`` runs once the exports exist, before segments and the start function
        if not isinstance(module, Module):
            raise TypeError(f"module must be a whisk.Module, not {type(module).__name__}")
        if store is not None and not isinstance(store, Store):
            raise TypeError(f"store must be a whisk.Store, not {type(store).__name__}")
        m = module._struct
        store = store if store is not None else Store()
        imported = _resolve(m, imports if imports is not None else {})
        funcs = [x for x in imported.externs if isinstance(x, Func)]
        tables = [x for x in imported.externs if isinstance(x, Table)]
        mems = [x for x in imported.externs if isinstance(x, Memory)]
        globals_ = [x for x in imported.externs if isinstance(x, Global)]
        tags = [x for x in imported.externs if isinstance(x, Tag)]
        # resource limits (Store): counts first, then each size before it is allocated
        store.admit(len(m.tables), len(m.mems))
        for x in tables + mems:
            store.attach(x)                 # an imported host table or memory not yet charged
        ids = m.type_ids
        for tt in m.tables:
            tt = close_type(tt, ids)
            _check_bytes(store, tt.limits.min * 8, f"table of {tt.limits.min} elements")
            # ResourceError if the minimum passes the store's max_table_elements:
            t = Table(tt.elem, tt.limits.min, tt.limits.max, store.max_table_elements,
                      address_type=tt.address)
            store.attach(t)
            t.type = tt
            tables.append(t)
        for mt in m.mems:
            _check_bytes(store, mt.limits.min * 65536, f"memory minimum of {mt.limits.min} pages")
            mem = Memory(mt.limits.min, mt.limits.max, store.max_memory_bytes,
                         address_type=mt.address)
            store.attach(mem)
            mem.type = mt
            mems.append(mem)
        for g in m.globals:
            gt = close_type(g.type, ids)
            glob = Global(gt.valtype, None, gt.mutable)
            glob.type = gt
            globals_.append(glob)
        core = InstanceCore()
        closed = [close_type(t, ids) for t in m.types]
        defined = [(closed[t], info, ids[t]) for t, info in zip(m.funcs, module._lowered.funcs)]
        all_funcs = core.build(module._lowered, closed, funcs, defined, tables, mems, globals_,
                               [d.data for d in m.datas], store, list(ids))
        for i, f in enumerate(all_funcs):
            if f.name is None and i in m.func_names:
                f.name = m.func_names[i]
        # the module's own tags (3.0 spec 4.5.3.4): new identities, before any code runs
        for ti in m.tags:
            tag = Tag(closed[ti])
            tag.type_id = ids[ti]           # its module's type (maybe in a rec group)
            tags.append(tag)
        core.set_tags(tags)
        core.module = module
        self._core = core
        nimported_globals = len(m.imported("global"))

        def const(expr: tuple[Instr, ...] | None) -> int | Func | None:
            # constant expressions (spec 4.4.10; validated) in raw-bit form: numbers as int
            # bits (i32/i64 consts may be signed); the extended constant instructions (3.0)
            # i32/i64 add/sub/mul wrap to their width
            stack: list[int | Func | None] = []
            for ins in expr or ():
                name = ins.name
                if name in ("i32.const", "i64.const", "v128.const", "f32.const", "f64.const"):
                    stack.append(ins.imm)
                elif name == "ref.null":
                    stack.append(None)
                elif name == "ref.func":
                    stack.append(all_funcs[ins.imm])
                elif name == "global.get":
                    stack.append(globals_[ins.imm].value_bits)
                elif name in _GC_CONST:
                    _gc_const(core, m, name, ins.imm, stack)
                else:
                    b, a = stack.pop(), stack.pop()
                    assert isinstance(a, int) and isinstance(b, int)
                    stack.append(_CONST_BINOPS[name](a, b) & (
                        0xFFFFFFFF if name[1:3] == "32" else 0xFFFFFFFFFFFFFFFF))
            return stack[-1] if stack else None

        def offset(expr: tuple[Instr, ...] | None, address: str) -> int:
            value = const(expr)
            assert isinstance(value, int)       # validation typed the offset (i32 or i64)
            return value & (0xFFFFFFFF if address == "i32" else 0xFFFFFFFFFFFFFFFF)

        for g, glob in zip(m.globals, globals_[nimported_globals:]):
            glob.set_initial(const(g.init), raw=True)
        ntables_imported = len(tables) - len(m.tables)
        for k, init in enumerate(m.table_inits):
            if init is not None:            # 3.0: a table's initialiser fills every element
                t = tables[ntables_imported + k]
                value = const(init)
                for i in range(len(t)):
                    t[i] = value
        core.set_elems([(close_valtype(e.reftype, ids), [const(item) for item in e.init])
                        for e in m.elems])
        spaces: dict[str, Sequence[Extern]] = {
            "func": all_funcs, "table": tables, "memory": mems, "global": globals_, "tag": tags}
        self.exports = Exports({x.name: spaces[x.kind][x.index] for x in m.exports})
        self.module = module
        for caller in imported.callers:
            caller._bind(self)
        if ready is not None:
            ready(self)
        # segment initialisation (spec 4.5.4 steps 14-15), in order; a trap aborts
        for i, e in enumerate(m.elems):
            if e.mode == "active":
                core.table_init(e.table, i, offset(e.offset, tables[e.table].address_type), 0,
                                len(e.init))
                core.elem_drop(i)
            elif e.mode == "declarative":
                core.elem_drop(i)
        for i, d in enumerate(m.datas):
            if d.mode == "active":
                core.memory_init(i, offset(d.offset, mems[d.memory].address_type), 0,
                                 len(d.data), d.memory)
                core.data_drop(i)
        if m.start is not None:
            all_funcs[m.start]()

    @property
    def store(self) -> Store:
        """The Store this instance belongs to."""
        return self._core.store

    def interrupt(self) -> None:
        """Stop guest code running in this instance's store (``Store.interrupt()``)."""
        self._core.store.interrupt()

    def __repr__(self) -> str:
        return f"<whisk.Instance exports={list(self.exports)}>"

    def __reduce__(self) -> tuple[object, ...]:
        # An instance is live state of this process: refuse clearly (pickle the Module instead).
        raise TypeError(
            "cannot pickle a whisk.Instance: it holds live memories, tables, globals and host "
            "functions of a store in this process; pickle the whisk.Module instead and "
            "instantiate it in the worker process (whisk.Instance(module, imports))")
