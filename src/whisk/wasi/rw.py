"""Reading, writing and the file offset (wasi_snapshot_preview1): ``fd_read``, ``fd_write``,
``fd_pread``, ``fd_pwrite``, ``fd_seek``, ``fd_tell``.

Buffers are ``memoryview`` slices of guest memory handed straight to the host (``readinto``,
``write``, ``preadv``/``pwritev``, ``recvmsg_into``/``sendmsg``), so regular files and
sockets are read and written without copies. Sizes and offsets are in bytes; every pointer
and length argument is an i32 that arrives signed and is read as u32.
"""

from __future__ import annotations

import os
from typing import Any, Callable

from . import errno as E
from .env import U64, Descriptor, WasiEnv, WasiErrno, iovec_views, out_ptr, store_u32, store_u64, u64_arg
from .sock import recv_into, send_all

__all__ = ["fd_read", "fd_write", "fd_pread", "fd_pwrite", "fd_seek", "fd_tell"]

#: Most buffers one ``preadv``/``pwritev`` takes (POSIX's IOV_MAX on Linux and macOS).
_IOV_MAX = 1024


def _io_target(env: WasiEnv, fd: int, rights: int) -> Descriptor:
    """The descriptor for a read/write: a directory gives ``ERRNO_BADF``, a missing right
    ``ERRNO_NOTCAPABLE`` (``ERRNO_PERM`` for a write under a read-only preopen)."""
    desc = env.get(fd)
    if desc.kind == "dir":
        raise WasiErrno(E.ERRNO_BADF)
    if rights & E.RIGHTS_FD_WRITE:
        desc.check_writable()
    if (desc.rights_base & rights) != rights:
        raise WasiErrno(E.ERRNO_NOTCAPABLE)
    return desc


def _each(views: list[memoryview], op: Callable[[memoryview], int | None]) -> int:
    """Apply ``op`` (``readinto`` or ``write``) to the buffers in order until one is short;
    the total transferred. An error after some bytes went through ends the transfer early
    (the guest sees a short count); ``None`` (would block) first gives ``ERRNO_AGAIN``."""
    total = 0
    for view in views:
        try:
            done = op(view)
        except OSError:
            if total:
                break
            raise
        if done is None:
            if total:
                break
            raise WasiErrno(E.ERRNO_AGAIN)
        total += done
        if done < len(view):
            break
    return total


def _write_stream(stream: Any, views: list[memoryview]) -> int:
    """Write every buffer to a host stream (raw streams may take less per call), then flush,
    so stdout and stderr reach the host in the order the guest wrote them."""
    total = 0
    for view in views:
        while view:
            done = stream.write(view)
            if done is None or done >= len(view):
                total += len(view)
                break
            total += done
            view = view[done:]
    flush = getattr(stream, "flush", None)
    if flush is not None:
        flush()
    return total


def _read_stream(stream: Any, views: list[memoryview]) -> int:
    """What one read of a host stream gives (it does not wait to fill every buffer)."""
    want = sum(len(v) for v in views)
    if not want:
        return 0
    read1 = getattr(stream, "read1", None)
    data = (read1(want) if read1 is not None else stream.read(want)) or b""
    total = 0
    for view in views:
        chunk = data[total:total + len(view)]
        view[:len(chunk)] = chunk
        total += len(chunk)
        if total >= len(data):
            break
    return total


def fd_write(env: WasiEnv, fd: int, iovs: int, iovs_len: int, nwritten_ptr: int) -> int:
    """witx ``fd_write(fd, iovs: ciovec_array) -> size`` (like POSIX ``writev``): write the
    ``iovs_len`` buffers described at ``iovs`` in order and store the number of bytes written
    (u32) at ``nwritten_ptr``. With ``FDFLAGS_APPEND`` every write goes to the end of the
    file; with ``FDFLAGS_SYNC``/``DSYNC`` it is synced to the device. Standard streams are
    flushed after every call."""
    desc = _io_target(env, fd, E.RIGHTS_FD_WRITE)
    m = env.mem()
    nwritten_ptr = out_ptr(m, nwritten_ptr, 4)
    views = iovec_views(m, iovs, iovs_len)
    if desc.kind == "stream":
        total = _write_stream(desc.file, views)
    elif desc.kind == "socket":
        total = send_all(desc.file, views)
    else:
        f = desc.file
        if desc.fdflags & E.FDFLAGS_APPEND:
            f.seek(0, os.SEEK_END)
        total = _each(views, f.write)
        if desc.fdflags & (E.FDFLAGS_SYNC | E.FDFLAGS_DSYNC) and total:
            os.fsync(f.fileno())
    store_u32(m, nwritten_ptr, total)
    return E.ERRNO_SUCCESS


def fd_read(env: WasiEnv, fd: int, iovs: int, iovs_len: int, nread_ptr: int) -> int:
    """witx ``fd_read(fd, iovs: iovec_array) -> size`` (like POSIX ``readv``): read into the
    ``iovs_len`` buffers described at ``iovs`` and store the number of bytes read (u32) at
    ``nread_ptr``; 0 means end of file. A standard input stream returns what one read of the
    host stream gives (it does not wait to fill every buffer)."""
    desc = _io_target(env, fd, E.RIGHTS_FD_READ)
    m = env.mem()
    nread_ptr = out_ptr(m, nread_ptr, 4)
    views = iovec_views(m, iovs, iovs_len)
    if desc.kind == "stream":
        total = _read_stream(desc.file, views)
    elif desc.kind == "socket":
        total = recv_into(desc.file, views)[0]
    else:
        total = _each(views, desc.file.readinto)
    store_u32(m, nread_ptr, total)
    return E.ERRNO_SUCCESS


def _transfer_at(env: WasiEnv, fd: int, rights: int, iovs: int, iovs_len: int, offset: int,
                 count_ptr: int, vectored: str, method: str) -> int:
    """``fd_pread``/``fd_pwrite``: ``os.<vectored>`` (``preadv``/``pwritev``) on the buffers at
    ``offset``, or where the host lacks it, the file's ``<method>`` (``readinto``/``write``)
    after a seek that is undone afterwards. Stores the byte count (u32) at ``count_ptr``."""
    if env.get(fd).kind in ("stream", "socket"):
        return E.ERRNO_SPIPE
    desc = _io_target(env, fd, rights | E.RIGHTS_FD_SEEK)
    offset = u64_arg(offset)
    m = env.mem()
    count_ptr = out_ptr(m, count_ptr, 4)
    views = iovec_views(m, iovs, iovs_len)[:_IOV_MAX]
    f = desc.file
    if not views:
        total = 0
    elif hasattr(os, vectored):
        total = getattr(os, vectored)(f.fileno(), views, offset)
    else:
        saved = f.tell()
        f.seek(offset)
        try:
            total = _each(views, getattr(f, method))
        finally:
            f.seek(saved)
    store_u32(m, count_ptr, total)
    return E.ERRNO_SUCCESS


def fd_pread(env: WasiEnv, fd: int, iovs: int, iovs_len: int, offset: int, nread_ptr: int) -> int:
    """witx ``fd_pread(fd, iovs: iovec_array, offset: filesize) -> size`` (like POSIX
    ``preadv``): read into the buffers from file offset ``offset`` without using or changing
    the descriptor's offset; store the bytes read (u32; 0 at or past the end) at
    ``nread_ptr``. Needs ``RIGHTS_FD_READ`` and ``RIGHTS_FD_SEEK``; a stream gives
    ``ERRNO_SPIPE``."""
    return _transfer_at(env, fd, E.RIGHTS_FD_READ, iovs, iovs_len, offset, nread_ptr,
                        "preadv", "readinto")


def fd_pwrite(env: WasiEnv, fd: int, iovs: int, iovs_len: int, offset: int, nwritten_ptr: int) -> int:
    """witx ``fd_pwrite(fd, iovs: ciovec_array, offset: filesize) -> size`` (like POSIX
    ``pwritev``): write the buffers at file offset ``offset`` (extending the file, with zeros
    before it if it lies past the end) without using or changing the descriptor's offset;
    store the bytes written (u32) at ``nwritten_ptr``. Needs ``RIGHTS_FD_WRITE`` and
    ``RIGHTS_FD_SEEK``; a stream gives ``ERRNO_SPIPE``."""
    return _transfer_at(env, fd, E.RIGHTS_FD_WRITE, iovs, iovs_len, offset, nwritten_ptr,
                        "pwritev", "write")


def fd_seek(env: WasiEnv, fd: int, offset: int, whence: int, newoffset_ptr: int) -> int:
    """witx ``fd_seek(fd, offset: filedelta, whence) -> filesize`` (like POSIX ``lseek``): move
    the file offset by ``offset`` bytes (signed i64) from the start (``WHENCE_SET``), the
    current offset (``WHENCE_CUR``) or the end (``WHENCE_END``) and store the new offset from
    the start (u64) at ``newoffset_ptr``. Seeking past the end is allowed (a read there gives
    end of file, a write fills the gap with zeros). Standard streams and sockets give
    ``ERRNO_SPIPE``; a resulting negative offset ``ERRNO_INVAL``."""
    desc = env.get(fd)
    if desc.kind in ("stream", "socket"):
        return E.ERRNO_SPIPE
    if desc.kind == "dir":
        return E.ERRNO_BADF
    whence &= 0xFFFFFFFF
    if whence not in (E.WHENCE_SET, E.WHENCE_CUR, E.WHENCE_END):
        return E.ERRNO_INVAL
    # fd_seek needs RIGHTS_FD_SEEK; a seek that leaves the offset alone needs only FD_TELL
    needed = E.RIGHTS_FD_TELL if (whence == E.WHENCE_CUR and offset == 0) else E.RIGHTS_FD_SEEK
    if not desc.rights_base & (needed | E.RIGHTS_FD_SEEK):
        return E.ERRNO_NOTCAPABLE
    if offset >= 1 << 63:                   # accept an unsigned spelling of the i64 too
        offset -= 1 << 64
    m = env.mem()
    newoffset_ptr = out_ptr(m, newoffset_ptr, 8)
    f = desc.file
    if whence == E.WHENCE_SET:
        target = offset
    elif whence == E.WHENCE_CUR:
        target = f.tell() + offset
    else:
        target = os.fstat(f.fileno()).st_size + offset
    if target < 0:
        return E.ERRNO_INVAL
    if target > (1 << 63) - 1:
        return E.ERRNO_OVERFLOW
    store_u64(m, newoffset_ptr, f.seek(target, os.SEEK_SET))
    return E.ERRNO_SUCCESS


def fd_tell(env: WasiEnv, fd: int, offset_ptr: int) -> int:
    """witx ``fd_tell(fd) -> filesize`` (like ``lseek(fd, 0, SEEK_CUR)``): store the current
    file offset (u64) at ``offset_ptr``. Standard streams and sockets give ``ERRNO_SPIPE``."""
    desc = env.get(fd)
    if desc.kind in ("stream", "socket"):
        return E.ERRNO_SPIPE
    if desc.kind == "dir":
        return E.ERRNO_BADF
    if not desc.rights_base & (E.RIGHTS_FD_TELL | E.RIGHTS_FD_SEEK):
        return E.ERRNO_NOTCAPABLE
    m = env.mem()
    store_u64(m, offset_ptr, desc.file.tell() & U64)
    return E.ERRNO_SUCCESS
