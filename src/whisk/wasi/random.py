"""Randomness: ``random_get`` (wasi_snapshot_preview1)."""

from __future__ import annotations

import os

from . import errno as E
from .env import U32, WasiEnv, check_range


def random_get(env: WasiEnv, buf: int, buf_len: int) -> int:
    """witx ``random_get(buf: pointer<u8>, buf_len: size)``: fill ``buf_len`` bytes at ``buf``
    with random data from the host's CSPRNG (``os.urandom``)."""
    m = env.mem()
    buf &= U32
    buf_len &= U32
    check_range(m, buf, buf_len)
    chunk = 1 << 20
    for at in range(buf, buf + buf_len, chunk):
        n = min(chunk, buf + buf_len - at)
        m[at:at + n] = os.urandom(n)
    return E.ERRNO_SUCCESS
