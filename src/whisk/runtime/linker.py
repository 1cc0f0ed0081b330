"""``whisk.Linker``: name externs once, instantiate many modules against them (spec 4.5.4).

    linker = whisk.Linker()
    linker.define("env", "log", log)                 # a Func/Memory/Table/Global or a callable
    linker.define_instance("lib", lib_instance)      # every export of an instance
    wasi = linker.define_wasi(whisk.WasiConfig(argv=["prog"]))
    instance = linker.instantiate(module)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .._core.runtime import Func, Global, Memory, Store, Table, Tag
from ..errors import LinkError, Trap
from ..types import FuncType
from ..wasi import MODULE as WASI_MODULE
from ..wasi.table import FUNC_TYPES as WASI_FUNC_TYPES
from ..wasi import WasiConfig, WasiEnv
from .caller import exported_memory
from ..module import Module
from .instance import Extern, Instance
from .valtypes import host_signature

__all__ = ["Linker", "is_reactor", "initialize_reactor"]

#: What a Linker holds under a name: an extern, or a callable typed by the import using it.
class _LazyFunc:
    """A WASI definition of ``Linker.define_wasi``: ``make()`` gives the Func of type ``type``
    calling ``env.import_function(name)``; the linker keeps it in place of this on first use."""

    __slots__ = ("type", "env", "name")

    def __init__(self, type: FuncType, env: WasiEnv, name: str) -> None:
        self.type = type
        self.env = env
        self.name = name

    def make(self) -> Func:
        return Func(self.type, self.env.import_function(self.name))


Definition = Extern | Callable[..., Any] | _LazyFunc


def _trap(where: str) -> Callable[..., Any]:
    def trap(*args: object) -> Any:
        raise Trap(f"unknown import: {where} has not been defined")
    return trap


#: The WASI reactor's constructor export (WASI application ABI, "reactors").
INITIALIZE = "_initialize"
#: The WASI command's entry point export (WASI application ABI, "commands").
START = "_start"


def is_reactor(instance: Instance) -> bool:
    """Whether ``instance`` is a WASI reactor with a constructor: it exports ``_initialize``
    and no ``_start`` (the ABI's two kinds are exclusive; ``_start`` makes it a command)."""
    exports = instance.exports
    return INITIALIZE in exports and START not in exports


def initialize_reactor(instance: Instance, timeout: float | None = None) -> bool:
    """Call ``instance``'s ``_initialize`` export, if it exports a function by that name, with
    ``timeout`` (seconds, or None), and return whether it did. The WASI application ABI has
    the environment call a reactor's ``_initialize`` once, after instantiation and before any
    other export; wasmtime's ``run`` calls it whenever it is exported, as ``whisk.run`` does.

    Raises LinkError if ``_initialize`` is a function of another type than ``[] -> []``; its
    Trap, ``whisk.Exit`` (``proc_exit``) or other errors propagate.
    """
    exports = instance.exports      # subscripts: an export named "get" wins over .get()
    func = exports[INITIALIZE] if INITIALIZE in exports else None
    if not isinstance(func, Func):
        return False
    functype = func.type
    if tuple(functype.params) or tuple(functype.results):
        raise LinkError(f"the WASI reactor export '{INITIALIZE}' must have type [] -> [], "
                        f"not {functype}")
    func(timeout=timeout)
    return True


class Linker:
    """Definitions by ``(module, name)`` and instantiation against them (spec 4.5.4).

    ``Linker(store=None)``: the instances it makes belong to ``store`` (a ``whisk.Store``; a
    new one if None), available as ``linker.store``. Defining a name twice raises LinkError
    unless ``linker.allow_shadowing`` is True (then the later definition wins).
    """

    def __init__(self, store: Store | None = None) -> None:
        if store is not None and not isinstance(store, Store):
            raise TypeError(f"store must be a whisk.Store, not {type(store).__name__}")
        self.store: Store = store if store is not None else Store()
        #: Whether a later ``define`` of the same name replaces the earlier one.
        self.allow_shadowing: bool = False
        self._defs: dict[tuple[str, str], Definition] = {}
        self._wasi: WasiEnv | None = None

    def define(self, module: str, name: str, extern: Definition) -> None:
        """Define ``module.name`` as ``extern``: a Func, Memory, Table, Global or Tag, or a
        Python callable. A callable annotated with value types (``whisk.i32``, ...; see
        ``whisk.func_type_of``) is wrapped into a Func now, so an import of another type fails
        with LinkError; an unannotated one is typed from the import that uses it. A first
        parameter annotated ``whisk.Caller`` receives the importing instance's Caller.

        Raises TypeError for anything else (or partial annotations), LinkError if the name is
        defined already and ``allow_shadowing`` is False.
        """
        if not isinstance(extern, (Func, Memory, Table, Global, Tag)):
            if not callable(extern):
                raise TypeError(f"cannot define {module}.{name} as {type(extern).__name__}: "
                                "expected a Func, Memory, Table, Global, Tag or callable")
            sig = host_signature(extern)
            if sig.type is not None and not sig.wants_caller:
                extern = Func(sig.type, extern)   # a Caller-taking one: one Func per instance
        self._check_free([(module, name)])
        self._defs[module, name] = extern

    def define_instance(self, name: str, instance: Instance) -> None:
        """Define every export of ``instance`` under the module name ``name``. Raises
        LinkError (defining none of them) if one is defined already and shadowing is off."""
        self._check_free([(name, export) for export in instance.exports])
        exports = instance.exports      # subscripts: an export named "items" wins over .items()
        for export in exports:
            self._defs[name, export] = exports[export]

    def define_wasi(self, config: WasiConfig | None = None) -> WasiEnv:
        """Define the 46 ``wasi_snapshot_preview1`` functions, backed by a new
        ``WasiEnv(config)`` that the next instantiations of modules importing WASI get; each
        such instance's exported ``memory`` is bound to it right after instantiation, before
        its start function. An import of a WASI function with another type fails with
        LinkError. Returns the env: close it (or use ``with``) to close the files the guest
        opened. Raises OSError if a preopened directory is missing."""
        env = WasiEnv(config)
        try:
            self._check_free([(WASI_MODULE, name) for name in WASI_FUNC_TYPES])
        except LinkError:
            env.close()
            raise
        for name, functype in WASI_FUNC_TYPES.items():
            # the Func is made when an instantiation first imports it: a module imports a few
            # of the 46, and making all of them cost a sixth of a hello-world ``whisk.run``
            self._defs[WASI_MODULE, name] = _LazyFunc(functype, env, name)
        self._wasi = env
        return env

    def define_unknown_imports_as_traps(self, module: Module) -> None:
        """Define each function import of ``module`` that is not defined yet as a function of
        the import's type that raises ``whisk.Trap("unknown import: m.n has not been
        defined")`` when called. Raises LinkError if an undefined import is a table, memory or
        global or tag (defining nothing)."""
        undefined = [imp for imp in module.imports if (imp.module, imp.name) not in self._defs]
        others = [f"{imp.module}.{imp.name}" for imp in undefined
                  if not isinstance(imp.type, FuncType)]
        if others:
            raise LinkError("unknown import (only functions can be defined as traps): "
                            + ", ".join(others))
        for imp in undefined:
            assert isinstance(imp.type, FuncType)
            self._defs[imp.module, imp.name] = Func(imp.type, _trap(f"{imp.module}.{imp.name}"))

    def instantiate(self, module: Module) -> Instance:
        """Instantiate ``module`` (spec 4.5.4) in the linker's store, each import resolved by
        its ``(module, name)``. Raises LinkError naming every undefined import at once
        (``"unknown import: a.x, b.y"``) or the first whose type does not match
        (``"incompatible import type for a.x: ..."``); Trap if a segment or the start
        function traps.

        After ``define_wasi``, a WASI *reactor* (a module exporting ``_initialize`` and no
        ``_start``; WASI application ABI) also gets its ``_initialize`` called, once, right
        after instantiation, so its other exports are ready to use (do not call it again). A
        command (``_start``) is left for the caller to start. A trap in ``_initialize``
        propagates as Trap, a ``proc_exit`` there as ``whisk.Exit``, and an ``_initialize``
        function of another type than ``[] -> []`` raises LinkError.
        """
        instance = self._instantiate(module)
        if self._wasi is not None and is_reactor(instance):
            initialize_reactor(instance)
        return instance

    def _instantiate(self, module: Module) -> Instance:
        """``instantiate`` without calling a reactor's ``_initialize`` (``whisk.run`` calls it
        itself, under the run's timeout)."""
        imports: dict[str, dict[str, Definition]] = {}
        # names only: not module.imports, which closes every type (Instance raises the TypeError
        # for a non-module)
        declared = module._struct.imports if isinstance(module, Module) else ()
        for imp in declared:
            given = self._defs.get((imp.module, imp.name))
            if type(given) is _LazyFunc:
                given = self._defs[imp.module, imp.name] = given.make()
            if given is not None:
                imports.setdefault(imp.module, {})[imp.name] = given
        ready = None
        wasi = self._wasi
        if wasi is not None and any(imp.module == WASI_MODULE for imp in declared):
            def ready(instance: Instance) -> None:
                memory = exported_memory(instance.exports, any_name=False)
                if memory is not None:
                    wasi.bind(memory)
        instance = Instance.__new__(Instance)
        instance._init(module, imports, self.store, ready)
        return instance

    def _check_free(self, keys: list[tuple[str, str]]) -> None:
        if self.allow_shadowing:
            return
        taken = [f"{m}.{n}" for m, n in keys if (m, n) in self._defs]
        if taken:
            raise LinkError("defined twice (set allow_shadowing to replace): " + ", ".join(taken))

    def __repr__(self) -> str:
        return f"<whisk.Linker {len(self._defs)} definitions>"
