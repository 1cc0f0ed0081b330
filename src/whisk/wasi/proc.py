"""Process and scheduling: ``proc_exit``, ``proc_raise``, ``sched_yield``
(wasi_snapshot_preview1)."""

from __future__ import annotations

import os
import time

from ..errors import Exit
from . import errno as E
from .env import WasiEnv


def proc_exit(env: WasiEnv, rval: int) -> None:
    """witx ``proc_exit(rval: exitcode)`` (noreturn): terminate the guest by raising
    ``whisk.errors.Exit(rval)``, which unwinds out of the guest to the embedder. The exit code
    is kept as the guest passed it, a signed i32 (``exit(-1)`` gives -1)."""
    for desc in env.fds.values():          # what the guest wrote reaches the host first
        if desc.kind == "stream":
            flush = getattr(desc.file, "flush", None)
            if flush is not None:
                try:
                    flush()
                except (OSError, ValueError):
                    pass
    raise Exit(rval - (1 << 32) if rval >= 1 << 31 else rval)


def proc_raise(env: WasiEnv, sig: int) -> int:
    """witx ``proc_raise(sig: signal)``: not supported (signals are not part of whisk's WASI);
    always ``ERRNO_NOSYS``."""
    return E.ERRNO_NOSYS


def sched_yield(env: WasiEnv) -> int:
    """witx ``sched_yield()``: yield the host thread's time slice."""
    if hasattr(os, "sched_yield"):
        os.sched_yield()
    else:
        time.sleep(0)
    return E.ERRNO_SUCCESS
