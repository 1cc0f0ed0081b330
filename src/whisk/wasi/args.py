"""Command-line arguments and environment variables: ``args_get``, ``args_sizes_get``,
``environ_get``, ``environ_sizes_get`` (wasi_snapshot_preview1)."""

from __future__ import annotations

import struct

from . import errno as E
from .env import U32, WasiEnv, check_range


def _sizes(env: WasiEnv, strings: list[bytes], count_ptr: int, size_ptr: int) -> int:
    m = env.mem()
    count_ptr &= U32
    size_ptr &= U32
    check_range(m, count_ptr, 4)
    check_range(m, size_ptr, 4)
    struct.pack_into("<I", m, count_ptr, len(strings))
    struct.pack_into("<I", m, size_ptr, sum(len(s) + 1 for s in strings))
    return E.ERRNO_SUCCESS


def _put(env: WasiEnv, strings: list[bytes], ptrs: int, buf: int) -> int:
    """Write the NUL-terminated ``strings`` one after the other at ``buf`` and their addresses
    (u32 each) at ``ptrs``."""
    m = env.mem()
    ptrs &= U32
    buf &= U32
    blob = b"".join(s + b"\0" for s in strings)
    check_range(m, ptrs, 4 * len(strings))
    check_range(m, buf, len(blob))
    addresses = []
    at = buf
    for s in strings:
        addresses.append(at)
        at += len(s) + 1
    m[buf:buf + len(blob)] = blob
    struct.pack_into(f"<{len(strings)}I", m, ptrs, *addresses)
    return E.ERRNO_SUCCESS


def args_sizes_get(env: WasiEnv, argc_ptr: int, argv_buf_size_ptr: int) -> int:
    """witx ``args_sizes_get() -> (size, size)``: store the number of arguments (u32) at
    ``argc_ptr`` and the bytes their NUL-terminated strings take (u32) at
    ``argv_buf_size_ptr``."""
    return _sizes(env, env.args, argc_ptr, argv_buf_size_ptr)


def args_get(env: WasiEnv, argv: int, argv_buf: int) -> int:
    """witx ``args_get(argv: pointer<pointer<u8>>, argv_buf: pointer<u8>)``: store the
    NUL-terminated arguments at ``argv_buf`` and a u32 pointer to each at ``argv``; the sizes
    are those of ``args_sizes_get``."""
    return _put(env, env.args, argv, argv_buf)


def environ_sizes_get(env: WasiEnv, count_ptr: int, buf_size_ptr: int) -> int:
    """witx ``environ_sizes_get() -> (size, size)``: store the number of environment variables
    (u32) and the bytes their NUL-terminated ``NAME=VALUE`` strings take (u32)."""
    return _sizes(env, env.environ, count_ptr, buf_size_ptr)


def environ_get(env: WasiEnv, environ: int, environ_buf: int) -> int:
    """witx ``environ_get(environ: pointer<pointer<u8>>, environ_buf: pointer<u8>)``: store the
    NUL-terminated ``NAME=VALUE`` strings at ``environ_buf`` and a u32 pointer to each at
    ``environ``."""
    return _put(env, env.environ, environ, environ_buf)
