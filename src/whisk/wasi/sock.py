"""Sockets: ``sock_accept``, ``sock_recv``, ``sock_send``, ``sock_shutdown``
(wasi_snapshot_preview1). whisk hands the guest no sockets, so none is implemented yet."""

from __future__ import annotations

from . import errno as E
from .env import WasiEnv


def sock_accept(env: WasiEnv, fd: int, flags: int, fd_ptr: int) -> int:
    """witx ``sock_accept(fd, flags: fdflags) -> fd``: not implemented yet, ``ERRNO_NOSYS``."""
    return E.ERRNO_NOSYS


def sock_recv(env: WasiEnv, fd: int, ri_data: int, ri_data_len: int, ri_flags: int,
              ro_datalen_ptr: int, ro_flags_ptr: int) -> int:
    """witx ``sock_recv(fd, ri_data: iovec_array, ri_flags: riflags) -> (size, roflags)``: not
    implemented yet, ``ERRNO_NOSYS``."""
    return E.ERRNO_NOSYS


def sock_send(env: WasiEnv, fd: int, si_data: int, si_data_len: int, si_flags: int,
              so_datalen_ptr: int) -> int:
    """witx ``sock_send(fd, si_data: ciovec_array, si_flags: siflags) -> size``: not
    implemented yet, ``ERRNO_NOSYS``."""
    return E.ERRNO_NOSYS


def sock_shutdown(env: WasiEnv, fd: int, how: int) -> int:
    """witx ``sock_shutdown(fd, how: sdflags)``: not implemented yet, ``ERRNO_NOSYS``."""
    return E.ERRNO_NOSYS
