"""Polling: ``poll_oneoff`` (wasi_snapshot_preview1)."""

from __future__ import annotations

from . import errno as E
from .env import WasiEnv


def poll_oneoff(env: WasiEnv, in_ptr: int, out_ptr: int, nsubscriptions: int, nevents_ptr: int) -> int:
    """witx ``poll_oneoff(in: const_pointer<subscription>, out: pointer<event>,
    nsubscriptions: size) -> size``: not implemented yet, ``ERRNO_NOSYS``."""
    return E.ERRNO_NOSYS
