"""The engines the harness compares, behind one small interface.

Each engine instantiates a module from its bytes (no imports) and hands back its exports as
plain Python callables, so the harness times every engine the same way. Results are i32
values normalised to unsigned 32 bits (engines differ in how they return them).
"""

from __future__ import annotations

import functools
import importlib
import importlib.metadata
import io
from typing import Any, Callable

Function = Callable[..., Any]


def _dist_version(dist: str) -> str:
    """The installed version of a distribution, or "?" if it has no metadata."""
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return "?"


class Engine:
    """Base adapter. Subclasses set ``name``, ``module`` (the import name) and ``dist``
    (the pip distribution) and implement ``instantiate``."""

    name = ""
    module = ""
    dist = ""

    def lib(self) -> Any:
        """The engine's Python module (imported on first use)."""
        return importlib.import_module(self.module)

    def available(self) -> bool:
        """Whether the engine's package imports."""
        try:
            self.lib()
        except ImportError:
            return False
        return True

    def version(self) -> str:
        """The installed package's version."""
        return getattr(self.lib(), "__version__", None) or _dist_version(self.dist)

    def instantiate(self, wasm: bytes) -> Callable[[str], Function]:
        """Instantiate ``wasm``; return a function mapping an export name to a callable."""
        raise NotImplementedError


class Whisk(Engine):
    """whisk: ``Instance(Module(bytes)).exports[name]``."""

    name, module, dist = "whisk", "whisk", "whisk-wasm"

    def instantiate(self, wasm: bytes) -> Callable[[str], Function]:
        whisk = self.lib()
        exports = whisk.Instance(whisk.Module(wasm)).exports
        return lambda export: exports[export]


class Wasm3(Engine):
    """wasm3 through pywasm3: a runtime per instance, ``find_function``."""

    name, module, dist = "wasm3", "wasm3", "pywasm3"
    stack_bytes = 1 << 20

    def version(self) -> str:
        return f"{_dist_version(self.dist)} (wasm3 {self.lib().M3_VERSION})"

    def instantiate(self, wasm: bytes) -> Callable[[str], Function]:
        wasm3 = self.lib()
        env = wasm3.Environment()
        runtime = env.new_runtime(self.stack_bytes)
        runtime.load(env.parse_module(bytes(wasm)))
        return _Wasm3Exports(env, runtime)


class _Wasm3Exports:
    """A wasm3 runtime's exports by name; holds the environment, which must outlive it."""

    def __init__(self, env: Any, runtime: Any):
        self.env = env
        self.runtime = runtime

    def __call__(self, export: str) -> Function:
        return self.runtime.find_function(export)


class Wasmtime(Engine):
    """wasmtime-py: one store per instance; calls take the store as first argument."""

    name, module, dist = "wasmtime", "wasmtime", "wasmtime"

    def instantiate(self, wasm: bytes) -> Callable[[str], Function]:
        wasmtime = self.lib()
        engine = wasmtime.Engine()
        store = wasmtime.Store(engine)
        instance = wasmtime.Instance(store, wasmtime.Module(engine, wasm), [])
        exports = instance.exports(store)
        return lambda export: functools.partial(exports[export], store)


class Pywasm(Engine):
    """pywasm (pure Python): ``Runtime.invocate(instance, name, args)`` returns a list."""

    name, module, dist = "pywasm", "pywasm", "pywasm"

    def version(self) -> str:
        return _dist_version(self.dist)

    def instantiate(self, wasm: bytes) -> Callable[[str], Function]:
        pywasm = self.lib()
        runtime = pywasm.core.Runtime()
        instance = runtime.instance(pywasm.core.ModuleDesc.from_reader(io.BytesIO(wasm)))

        def function(export: str) -> Function:
            def call(*args: Any) -> Any:
                results = runtime.invocate(instance, export, list(args))
                return results[0] if results else None
            return call
        return function


ENGINES = {cls.name: cls() for cls in (Whisk, Wasm3, Wasmtime, Pywasm)}


def u32(value: Any) -> int:
    """An i32 result as an unsigned 32-bit integer."""
    return int(value) & 0xFFFFFFFF
