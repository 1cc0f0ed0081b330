"""``whisk.run``: run a WASI command module (its ``_start``) to completion, or initialize a
WASI reactor (its ``_initialize``)."""

from __future__ import annotations

import os
import time
from typing import Any, Mapping, Sequence

from ._core.runtime import Store
from .errors import Exit, LinkError
from .wasi import MODULE as WASI_MODULE
from .wasi import SIGNATURES as WASI_SIGNATURES
from .wasi.table import FUNC_TYPES as WASI_FUNC_TYPES
from .wasi import WasiConfig, WasiEnv

__all__ = ["run", "instantiate_wasi", "load_module"]

#: argv[0] when ``run`` is given a module object and no ``argv0``.
DEFAULT_ARGV0 = "main.wasm"


def load_module(module_or_path: Any, features: Any = None) -> tuple[Any, str | None]:
    """A ``whisk.Module`` from a module, a path (str or ``os.PathLike``) or the binary's bytes
    (loaded with ``features``, a ``whisk.Features`` or None for all), and the file's base name
    (None unless given a path)."""
    import whisk

    if isinstance(module_or_path, whisk.Module):
        return module_or_path, None
    if isinstance(module_or_path, (bytes, bytearray, memoryview)):
        return whisk.Module(bytes(module_or_path), features=features), None
    path = os.fspath(module_or_path)
    return whisk.Module.from_file(path, features=features), os.path.basename(path)


def check_wasi_imports(module: Any) -> None:
    """Raise ``LinkError`` if the module imports a ``wasi_snapshot_preview1`` function that does
    not exist or with a type other than the witx's (a plain Python callable takes its type from
    the import declaration, so a wrong declaration would otherwise go unnoticed)."""
    from .types import FuncType

    struct = getattr(module, "_struct", None)
    if struct is not None:
        # the common case, cheaply: every WASI import names a known function of its type
        # (an unclosed type: a WASI signature has numbers only, so a reference type differs)
        for imp in struct.imports:
            if imp.module != WASI_MODULE:
                continue
            want = WASI_FUNC_TYPES.get(imp.name)
            if want is None or struct.import_type(imp) != want:
                break
        else:
            return
    for imp in getattr(module, "imports", ()):
        if imp.module != WASI_MODULE:
            continue
        sig = WASI_SIGNATURES.get(imp.name)
        if sig is None:
            raise LinkError(f"unknown import: {imp.module}::{imp.name} is not a WASI preview 1 function")
        if not isinstance(imp.type, FuncType) or (tuple(imp.type.params), tuple(imp.type.results)) != sig:
            raise LinkError(
                f"incompatible import type for {imp.module}::{imp.name}: "
                f"expected {FuncType(*sig)}, module declares {imp.type}")


def instantiate_wasi(module: Any, config: WasiConfig, store: Any = None) -> tuple[Any, WasiEnv]:
    """Instantiate ``module`` (in ``store``, a ``whisk.Store`` or None for a new one) with the
    WASI imports of a new ``WasiEnv(config)`` bound to the instance's exported ``memory``
    (``whisk.Linker.define_wasi``). Returns ``(instance, env)``; the caller closes ``env``.
    Unlike ``Linker.instantiate``, this does not call a reactor's ``_initialize``: the caller
    does (``call_initialize``), so that a timeout covers it."""
    from .runtime.linker import Linker

    check_wasi_imports(module)
    linker = Linker(store)
    env = linker.define_wasi(config)
    try:
        instance = linker._instantiate(module)
    except BaseException:
        env.close()
        raise
    return instance, env


class Deadline:
    """One ``timeout`` (seconds, or None for none) shared by the calls of one run: the first
    call gets it as given (so a bad value raises there), later ones what is left of it."""

    def __init__(self, timeout: float | None) -> None:
        self.timeout = timeout
        self.end: float | None = None

    def next(self) -> float | None:
        """The timeout for the next call."""
        if self.timeout is None:
            return None
        if self.end is None:
            self.end = time.monotonic() + self.timeout
            return self.timeout
        return max(0.0, self.end - time.monotonic())


def call_initialize(instance: Any, deadline: Deadline) -> bool:
    """Call the instance's ``_initialize`` export if it has one (a WASI reactor's constructor;
    wasmtime calls it whenever it is exported); see ``whisk.runtime.linker.initialize_reactor``."""
    from .runtime.linker import initialize_reactor

    if "_initialize" not in instance.exports:
        return False
    return initialize_reactor(instance, timeout=deadline.next())


def run(module_or_path: Any, args: Sequence[str | bytes] = (), *, argv0: str | bytes | None = None,
        env: Mapping[str, str] | None = None, preopens: Mapping[str, Any] | None = None,
        stdin: Any = None, stdout: Any = None, stderr: Any = None, store: Any = None,
        fuel: int | None = None, timeout: float | None = None, features: Any = None) -> int:
    """Run a WASI (preview 1) command module, or initialize a reactor, and return the exit
    status.

    ``module_or_path``: a ``whisk.Module``, a path to a ``.wasm`` file, or the binary's bytes.
    ``args`` are the guest's arguments after ``argv[0]``, which is ``argv0`` or else the file's
    base name (``"main.wasm"`` for a module object). ``env``: the guest's environment variables
    (nothing is inherited from the host). ``preopens``: ``{"/guest/dir": "host/dir"}``; a
    value ``whisk.wasi.Preopen("host/dir", read_only=True)`` preopens it read-only.
    ``stdin``: bytes or a binary file object; ``stdout``/``stderr``: binary file objects; None
    means the process's own streams. ``store``: a ``whisk.Store`` to run in (its limits
    apply); ``fuel``: an instruction budget (a new store's fuel, or the given store's);
    ``timeout``: seconds before the run stops with ``whisk.Interrupted("timeout")``;
    ``features``: the ``whisk.Features`` a module given as a path or bytes is loaded with
    (default all).

    The module is instantiated with the ``wasi_snapshot_preview1`` imports and its ``memory``
    export bound; then, as ``wasmtime run`` does, its ``_initialize`` export is called if it
    has one (a WASI *reactor*'s constructor, WASI application ABI), then its ``_start`` export
    (a *command*'s entry point) if it has one. A reactor (``_initialize``, no ``_start``) thus
    only runs its constructor: use a ``whisk.Linker`` with ``define_wasi`` (or
    ``python -m whisk --invoke NAME``) to call its other exports. ``timeout`` covers both
    calls.

    Returns 0 if the calls return, or the code the guest passed to ``proc_exit``. A trap
    propagates as ``whisk.errors.Trap`` (running out of fuel as ``whisk.Exhaustion``); a
    module that imports something else than WASI, exports neither ``_start`` nor
    ``_initialize`` (nothing to run; wasmtime would silently do nothing), or whose
    ``_initialize`` is not of type ``[] -> []``, raises ``whisk.errors.LinkError``.
    """
    module, filename = load_module(module_or_path, features)
    if argv0 is None:
        argv0 = filename or DEFAULT_ARGV0
    config = WasiConfig(argv=(argv0, *args), env=env, preopens=preopens,
                        stdin=stdin, stdout=stdout, stderr=stderr)
    if store is None:
        store = Store()
    if fuel is not None:
        store.fuel = fuel
    instance, wasi = instantiate_wasi(module, config, store)
    with wasi:
        exports = instance.exports
        if "_start" not in exports and "_initialize" not in exports:
            raise LinkError("module exports no '_start' function (not a WASI command) and no "
                            "'_initialize' function (not a WASI reactor)")
        deadline = Deadline(timeout)
        try:
            call_initialize(instance, deadline)
            if "_start" in exports:
                exports["_start"](timeout=deadline.next())
        except Exit as exc:
            return exc.code
    return 0
