"""``whisk.run``: run a WASI command module (its ``_start``) to completion."""

from __future__ import annotations

import os
from typing import Any, Mapping, Sequence

from ._core.runtime import Store
from .errors import Exit, LinkError
from .wasi import MODULE as WASI_MODULE
from .wasi import SIGNATURES as WASI_SIGNATURES
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
    (``whisk.Linker.define_wasi``). Returns ``(instance, env)``; the caller closes ``env``."""
    from .runtime.linker import Linker

    check_wasi_imports(module)
    linker = Linker(store)
    env = linker.define_wasi(config)
    try:
        instance = linker.instantiate(module)
    except BaseException:
        env.close()
        raise
    return instance, env


def run(module_or_path: Any, args: Sequence[str | bytes] = (), *, argv0: str | bytes | None = None,
        env: Mapping[str, str] | None = None, preopens: Mapping[str, Any] | None = None,
        stdin: Any = None, stdout: Any = None, stderr: Any = None, store: Any = None,
        fuel: int | None = None, timeout: float | None = None, features: Any = None) -> int:
    """Run a WASI (preview 1) command module and return its exit status.

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

    The module is instantiated with the ``wasi_snapshot_preview1`` imports, its ``memory``
    export bound, and its ``_start`` export called. Returns 0 if ``_start`` returns, or the code
    the guest passed to ``proc_exit``. A trap propagates as ``whisk.errors.Trap`` (running out
    of fuel as ``whisk.Exhaustion``); a module that
    imports something else than WASI, or exports no ``_start``, raises
    ``whisk.errors.LinkError``.
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
        try:
            start = instance.exports["_start"]
        except (KeyError, LookupError):
            raise LinkError("module exports no '_start' function (not a WASI command)") from None
        try:
            start(timeout=timeout)
        except Exit as exc:
            return exc.code
    return 0
