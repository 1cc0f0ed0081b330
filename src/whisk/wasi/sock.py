"""Sockets: ``sock_accept``, ``sock_recv``, ``sock_send``, ``sock_shutdown``
(wasi_snapshot_preview1).

Preview 1 cannot create sockets: the guest only gets the ones the embedder hands it
(``WasiConfig(sockets=[...])``, like wasmtime's ``--tcplisten``) and the connections it accepts
on them. On any other descriptor these functions give ``ERRNO_NOTSOCK`` (``ERRNO_BADF`` if the
descriptor does not exist), as wasmtime does. ``fd_read``/``fd_write`` on a socket use
``recv_into`` / ``send_all`` below.
"""

from __future__ import annotations

import socket
import struct

from . import errno as E
from .env import (U32, Descriptor, WasiEnv, WasiErrno, iovec_views, out_ptr, socket_descriptor,
                  store_u32)

__all__ = ["sock_accept", "sock_recv", "sock_send", "sock_shutdown", "recv_into", "send_all"]

_SHUTDOWN = {E.SDFLAGS_RD: socket.SHUT_RD, E.SDFLAGS_WR: socket.SHUT_WR,
             E.SDFLAGS_RD | E.SDFLAGS_WR: socket.SHUT_RDWR}
_MSG_TRUNC = getattr(socket, "MSG_TRUNC", 0)
_MSG_WAITALL = getattr(socket, "MSG_WAITALL", 0)


def _socket(env: WasiEnv, fd: int, rights: int) -> Descriptor:
    desc = env.get(fd)
    if desc.kind != "socket":
        raise WasiErrno(E.ERRNO_NOTSOCK)
    if (desc.rights_base & rights) != rights:
        raise WasiErrno(E.ERRNO_NOTCAPABLE)
    return desc


def recv_into(sock: socket.socket, views: list[memoryview], msg_flags: int = 0) -> tuple[int, bool]:
    """Receive into ``views`` (scattered where the host has ``recvmsg_into``, else into the
    first one: a short read). Returns the byte count and whether a datagram was cut."""
    if not views:
        return 0, False
    if hasattr(sock, "recvmsg_into"):
        n, _, flags, _ = sock.recvmsg_into(views, 0, msg_flags)
        return n, bool(flags & _MSG_TRUNC)
    return sock.recv_into(views[0], 0, msg_flags), False


def send_all(sock: socket.socket, views: list[memoryview]) -> int:
    """Send ``views`` (gathered where the host has ``sendmsg``); returns the bytes sent."""
    if not views:
        return 0
    if hasattr(sock, "sendmsg"):
        return int(sock.sendmsg(views))
    return sock.send(views[0] if len(views) == 1 else b"".join(views))


def sock_accept(env: WasiEnv, fd: int, flags: int, fd_ptr: int) -> int:
    """witx ``sock_accept(fd, flags: fdflags) -> fd`` (like ``accept4``): accept a connection
    on the listening socket ``fd`` and store the new descriptor (u32) at ``fd_ptr``.
    ``flags`` may hold ``FDFLAGS_NONBLOCK`` only (else ``ERRNO_INVAL``)."""
    desc = _socket(env, fd, E.RIGHTS_SOCK_ACCEPT)
    flags &= U32
    if flags & ~E.FDFLAGS_NONBLOCK:
        return E.ERRNO_INVAL
    m = env.mem()
    fd_ptr = out_ptr(m, fd_ptr, 4)
    conn, _ = desc.file.accept()
    conn.setblocking(not flags & E.FDFLAGS_NONBLOCK)
    new = socket_descriptor(conn, owned=True)
    new.rights_base &= ~E.RIGHTS_SOCK_ACCEPT
    struct.pack_into("<I", m, fd_ptr, env.add(new))
    return E.ERRNO_SUCCESS


def sock_recv(env: WasiEnv, fd: int, ri_data: int, ri_data_len: int, ri_flags: int,
              ro_datalen_ptr: int, ro_flags_ptr: int) -> int:
    """witx ``sock_recv(fd, ri_data: iovec_array, ri_flags: riflags) -> (size, roflags)`` (like
    ``recvmsg``): receive into the buffers of ``ri_data``; store the bytes received (u32) at
    ``ro_datalen_ptr`` (0: the peer shut down) and the ``roflags`` (u16;
    ``ROFLAGS_RECV_DATA_TRUNCATED`` if a datagram did not fit) at ``ro_flags_ptr``.
    ``ri_flags``: ``RIFLAGS_RECV_PEEK``, ``RIFLAGS_RECV_WAITALL``."""
    desc = _socket(env, fd, E.RIGHTS_FD_READ)
    ri_flags &= U32
    if ri_flags & ~(E.RIFLAGS_RECV_PEEK | E.RIFLAGS_RECV_WAITALL):
        return E.ERRNO_INVAL
    m = env.mem()
    ro_datalen_ptr = out_ptr(m, ro_datalen_ptr, 4)
    ro_flags_ptr = out_ptr(m, ro_flags_ptr, 2)
    msg_flags = 0
    if ri_flags & E.RIFLAGS_RECV_PEEK:
        msg_flags |= socket.MSG_PEEK
    if ri_flags & E.RIFLAGS_RECV_WAITALL:
        msg_flags |= _MSG_WAITALL
    n, truncated = recv_into(desc.file, iovec_views(m, ri_data, ri_data_len), msg_flags)
    struct.pack_into("<I", m, ro_datalen_ptr, n)
    struct.pack_into("<H", m, ro_flags_ptr, E.ROFLAGS_RECV_DATA_TRUNCATED if truncated else 0)
    return E.ERRNO_SUCCESS


def sock_send(env: WasiEnv, fd: int, si_data: int, si_data_len: int, si_flags: int,
              so_datalen_ptr: int) -> int:
    """witx ``sock_send(fd, si_data: ciovec_array, si_flags: siflags) -> size`` (like
    ``sendmsg``): send the buffers of ``si_data`` and store the bytes sent (u32) at
    ``so_datalen_ptr``. No ``siflags`` are defined: they must be 0 (else ``ERRNO_INVAL``)."""
    desc = _socket(env, fd, E.RIGHTS_FD_WRITE)
    if si_flags & 0xFFFF:
        return E.ERRNO_INVAL
    m = env.mem()
    out_ptr(m, so_datalen_ptr, 4)
    store_u32(m, so_datalen_ptr, send_all(desc.file, iovec_views(m, si_data, si_data_len)))
    return E.ERRNO_SUCCESS


def sock_shutdown(env: WasiEnv, fd: int, how: int) -> int:
    """witx ``sock_shutdown(fd, how: sdflags)`` (like ``shutdown``): shut down the receiving
    (``SDFLAGS_RD``), sending (``SDFLAGS_WR``) or both sides of the connection; other values
    give ``ERRNO_INVAL``."""
    desc = _socket(env, fd, E.RIGHTS_SOCK_SHUTDOWN)
    mode = _SHUTDOWN.get(how & U32)
    if mode is None:
        return E.ERRNO_INVAL
    desc.file.shutdown(mode)
    return E.ERRNO_SUCCESS
