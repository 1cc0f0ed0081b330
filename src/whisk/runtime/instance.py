"""Modules and instances: the public ``Module`` and ``Instance`` (spec 4.5.4, instantiation).

Instantiation resolves imports and checks their types (spec 4.5.2, import matching), allocates
the module's own tables, memory and globals, evaluates constant expressions, initialises active
element and data segments in order, drops declarative ones, and runs the start function.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass

from .._core.runtime import Func, Global, InstanceCore, Memory, Store, Table
from ..binary import decode_module
from ..binary.bodies import first_decode_error
from ..errors import DecodeError, LinkError, ValidationError
from ..module import Import, Instr, ModuleStruct
from ..types import FuncType, GlobalType, MemoryType, TableType
from ..validate.module import validate_module
from .caller import Caller, host_func

__all__ = ["Module", "Instance", "ImportType", "ExportType", "Exports"]

Extern = Func | Table | Memory | Global


@dataclass(frozen=True)
class ImportType:
    """An import of a module: ``module`` and ``name`` strings and the expected ``type``
    (FuncType, TableType, MemoryType or GlobalType)."""

    module: str
    name: str
    type: object


@dataclass(frozen=True)
class ExportType:
    """An export of a module: ``name`` and the ``type`` of the exported item."""

    name: str
    type: object


class Module:
    """A decoded and validated WebAssembly module (spec 2.5), ready to instantiate.

    ``Module(source)`` takes the bytes of a ``.wasm`` binary (any bytes-like object). Raises
    DecodeError if the binary is malformed (spec 5), ValidationError if it is invalid (spec 3).
    Function bodies are pre-decoded into the core's instruction format once, here.
    """

    def __init__(self, source: bytes | bytearray | memoryview):
        data = bytes(source)
        try:
            self._struct: ModuleStruct = decode_module(data)
            self._lowered = validate_module(self._struct)
        except (DecodeError, ValidationError) as e:
            # report what the spec's decoder meets first, reading bodies in file order
            first = first_decode_error(data)
            if first is not None:
                raise first from None
            raise e

    @classmethod
    def from_file(cls, path: str | os.PathLike) -> "Module":
        """Read and load a ``.wasm`` file. Raises OSError, DecodeError, ValidationError."""
        with open(path, "rb") as f:
            return cls(f.read())

    @property
    def imports(self) -> tuple[ImportType, ...]:
        """The module's imports in order, each with its expected type."""
        m = self._struct
        out = []
        for imp in m.imports:
            t = m.types[imp.desc] if imp.kind == "func" else imp.desc
            out.append(ImportType(imp.module, imp.name, t))
        return tuple(out)

    @property
    def exports(self) -> tuple[ExportType, ...]:
        """The module's exports in order, each with its type."""
        m = self._struct
        spaces = {"func": m.func_types(), "table": m.table_types(), "memory": m.memory_types(),
                  "global": m.global_types()}
        return tuple(ExportType(e.name, spaces[e.kind][e.index]) for e in m.exports)

    def custom_sections(self, name: str) -> list[bytes]:
        """The payloads of the custom sections called ``name``, in order."""
        return [payload for n, payload in self._struct.customs if n == name]

    def __repr__(self) -> str:
        return f"<whisk.Module imports={len(self._struct.imports)} exports={len(self._struct.exports)}>"


class Exports(Mapping):
    """An instance's exports: a read-only mapping name -> Func | Table | Memory | Global, also
    readable as attributes (``instance.exports.fib``)."""

    def __init__(self, items: dict[str, Extern]):
        object.__setattr__(self, "_items", items)

    def __getitem__(self, name: str) -> Extern:
        return self._items[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def __getattribute__(self, name: str):
        # exports win over the Mapping methods: `exports.get` is the export named "get" if any
        if name[:1] != "_":
            items = object.__getattribute__(self, "_items")
            if name in items:
                return items[name]
        return object.__getattribute__(self, name)

    def __getattr__(self, name: str) -> Extern:
        raise AttributeError(f"no export named {name!r}")

    def __repr__(self) -> str:
        return f"<whisk.Exports {list(self._items)}>"


def _extern_desc(v: object) -> str:
    if isinstance(v, Func):
        return f"func {v.type}"
    if isinstance(v, Table):
        return f"table {v.elem} {len(v)}..{v.max}"
    if isinstance(v, Memory):
        return f"memory {v.pages}..{v.max_pages}"
    if isinstance(v, Global):
        return f"global {'mut ' if v.mutable else ''}{v.valtype}"
    return type(v).__name__


def _match(imp: Import, want: object, given: object, callers: list[Caller]) -> Extern:
    """Import matching (spec 4.5.2): the given extern against the declared type. A Python
    callable becomes a Func of the declared type (checked against its annotations, if any);
    the Caller it takes, if any, is added to ``callers``."""
    where = f"{imp.module}.{imp.name}"

    def fail() -> LinkError:
        return LinkError(f"incompatible import type for {where}: expected {want!r}, "
                         f"given {_extern_desc(given)}")

    if imp.kind == "func":
        if isinstance(given, Func):
            if given.type != want:
                raise fail()
            return given
        if callable(given) and not isinstance(given, (Table, Memory, Global)):
            func, caller = host_func(given, want, where)
            if caller is not None:
                callers.append(caller)
            return func
        raise fail()
    if imp.kind == "table":
        if not isinstance(given, Table) or given.elem != want.elem:
            raise fail()
        if len(given) < want.limits.min:
            raise fail()
        if want.limits.max is not None and (given.max is None or given.max > want.limits.max):
            raise fail()
        return given
    if imp.kind == "memory":
        if not isinstance(given, Memory):
            raise fail()
        if given.pages < want.limits.min:
            raise fail()
        gmax = given.max_pages
        if want.limits.max is not None and (gmax is None or gmax > want.limits.max):
            raise fail()
        return given
    if not isinstance(given, Global) or given.valtype != want.valtype or given.mutable != want.mutable:
        raise fail()
    return given


class Instance:
    """A module instance (spec 4.5.4): ``Instance(module, imports=None, *, store=None)``.

    ``imports`` maps module names to mappings of field names to Func, Table, Memory, Global or
    a Python callable: typed from the import declaration, or from its annotations
    (``whisk.i32``, ...; checked against the declaration); one whose first parameter is
    annotated ``whisk.Caller`` gets the calling instance's Caller. An Instance's ``exports``
    can be given as one such mapping. ``whisk.Linker`` builds imports by name. Raises
    LinkError listing every missing import, or naming the first import whose type does not
    match; Trap if a segment initialisation or the start
    function traps. ``store`` (a ``whisk.Store``) sets fuel, memory and call depth limits and is
    what ``interrupt()`` stops; without one the instance gets a store of its own
    (``instance.store``). A memory whose minimum exceeds the store's ``max_memory_bytes`` fails
    with LinkError.
    """

    def __init__(self, module: Module, imports: Mapping[str, Mapping[str, object]] | None = None,
                 *, store: Store | None = None):
        self._init(module, imports, store, None)

    def _init(self, module: Module, imports: Mapping[str, Mapping[str, object]] | None,
              store: Store | None, ready: Callable[[Instance], None] | None) -> None:
        # ``ready(self)`` runs once the exports exist, before segments and the start function
        m = module._struct
        store = store if store is not None else Store()
        imports = imports or {}
        missing = []
        resolved: list[Extern] = []
        callers: list[Caller] = []
        for imp in m.imports:
            ns = imports.get(imp.module)
            if ns is None or imp.name not in ns:
                missing.append(f"{imp.module}.{imp.name}")
                continue
            want = m.types[imp.desc] if imp.kind == "func" else imp.desc
            resolved.append(_match(imp, want, ns[imp.name], callers))
        if missing:
            raise LinkError("unknown import: " + ", ".join(missing))
        kinds = [imp.kind for imp in m.imports]
        funcs = [x for k, x in zip(kinds, resolved) if k == "func"]
        tables = [x for k, x in zip(kinds, resolved) if k == "table"]
        mems = [x for k, x in zip(kinds, resolved) if k == "memory"]
        globals_ = [x for k, x in zip(kinds, resolved) if k == "global"]
        for tt in m.tables:
            t = Table(tt.elem, tt.limits.min, tt.limits.max)
            t.type = tt
            tables.append(t)
        for mt in m.mems:
            try:
                mem = Memory(mt.limits.min, mt.limits.max, store.max_memory_bytes)
            except MemoryError as e:
                raise LinkError(str(e)) from None
            mem.type = mt
            mems.append(mem)
        for g in m.globals:
            glob = Global(g.type.valtype, None, g.type.mutable)
            glob.type = g.type
            globals_.append(glob)
        core = InstanceCore()
        defined = [(m.types[t], info) for t, info in zip(m.funcs, module._lowered.funcs)]
        all_funcs = core.build(module._lowered, m.types, funcs, defined, tables,
                               mems[0] if mems else None, globals_, [d.data for d in m.datas],
                               store)
        for i, f in enumerate(all_funcs):
            if f.name is None and i in m.func_names:
                f.name = m.func_names[i]
        self._core = core
        nimported_globals = len(m.imported("global"))

        def const(expr: tuple[Instr, ...]):
            # constant expressions (spec 4.4.10) in raw-bit form
            value = None
            for ins in expr:
                if ins.name in ("i32.const", "i64.const", "v128.const"):
                    value = ins.imm
                elif ins.name in ("f32.const", "f64.const"):
                    value = ins.imm
                elif ins.name == "ref.null":
                    value = None
                elif ins.name == "ref.func":
                    value = all_funcs[ins.imm]
                elif ins.name == "global.get":
                    value = globals_[ins.imm].value_bits
            return value

        for g, glob in zip(m.globals, globals_[nimported_globals:]):
            glob.set_initial(const(g.init), raw=True)
        core.set_elems([(e.reftype, [const(item) for item in e.init]) for e in m.elems])
        exports: dict[str, Extern] = {}
        spaces = {"func": all_funcs, "table": tables, "memory": mems, "global": globals_}
        for e in m.exports:
            exports[e.name] = spaces[e.kind][e.index]
        self.exports = Exports(exports)
        self.module = module
        for caller in callers:
            caller._bind(self)
        if ready is not None:
            ready(self)
        # segment initialisation (spec 4.5.4 steps 14-15), in order; a trap aborts
        for i, e in enumerate(m.elems):
            if e.mode == "active":
                offset = const(e.offset) & 0xFFFFFFFF
                core.table_init(e.table, i, offset, 0, len(e.init))
                core.elem_drop(i)
            elif e.mode == "declarative":
                core.elem_drop(i)
        for i, d in enumerate(m.datas):
            if d.mode == "active":
                offset = const(d.offset) & 0xFFFFFFFF
                core.memory_init(i, offset, 0, len(d.data))
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
