"""File attributes of wasi_snapshot_preview1: ``fd_filestat_get``, ``fd_filestat_set_size``,
``fd_filestat_set_times``, ``fd_allocate``, ``path_filestat_get``, ``path_filestat_set_times``.
Sizes are in bytes, times in nanoseconds since the Unix epoch.
"""

from __future__ import annotations

import os
import time
from typing import Any

from . import dirfd
from . import errno as E
from .env import Descriptor, WasiEnv, WasiErrno, out_ptr, pack_filestat, u64_arg
from .path import path_arg, resolve_at

__all__ = ["fd_filestat_get", "fd_filestat_set_size", "fd_filestat_set_times", "fd_allocate",
           "path_filestat_get", "path_filestat_set_times"]


def _new_times(st: os.stat_result, atim: int, mtim: int, fst_flags: int) -> tuple[int, int]:
    """The ``(atime, mtime)`` in ns that ``fst_flags`` asks for, the current ones of ``st``
    where it asks for nothing. ``ERRNO_INVAL`` for unknown flags, or a time both given and
    ``_NOW``."""
    fst_flags &= 0xFFFF
    if fst_flags & ~E.FSTFLAGS_ALL:
        raise WasiErrno(E.ERRNO_INVAL)
    now = time.time_ns()
    times = []
    for given, set_flag, now_flag, current in (
            (atim, E.FSTFLAGS_ATIM, E.FSTFLAGS_ATIM_NOW, st.st_atime_ns),
            (mtim, E.FSTFLAGS_MTIM, E.FSTFLAGS_MTIM_NOW, st.st_mtime_ns)):
        if fst_flags & set_flag and fst_flags & now_flag:
            raise WasiErrno(E.ERRNO_INVAL)
        times.append(u64_arg(given) if fst_flags & set_flag
                     else now if fst_flags & now_flag else current)
    return times[0], times[1]


def _host_file(desc: Descriptor, rights: int) -> Descriptor:
    """``desc`` if it is a file whisk opened (a directory gives ``ERRNO_ISDIR``, anything else
    ``ERRNO_BADF``); ``ERRNO_PERM`` under a read-only preopen, ``ERRNO_NOTCAPABLE`` without
    ``rights``."""
    if desc.kind != "file":
        raise WasiErrno(E.ERRNO_ISDIR if desc.kind == "dir" else E.ERRNO_BADF)
    desc.check_writable()
    if (desc.rights_base & rights) != rights:
        raise WasiErrno(E.ERRNO_NOTCAPABLE)
    return desc


def fd_filestat_get(env: WasiEnv, fd: int, buf_ptr: int) -> int:
    """witx ``fd_filestat_get(fd) -> filestat``: store the ``filestat`` (64 bytes: dev, ino,
    filetype, nlink, size in bytes, atim, mtim, ctim in ns) of the open file at ``buf_ptr``.
    A standard stream or socket without a host file descriptor reports zeros and its
    filetype."""
    desc = env.get(fd, E.RIGHTS_FD_FILESTAT_GET)
    m = env.mem()
    buf_ptr = out_ptr(m, buf_ptr, E.SIZEOF_FILESTAT)
    if desc.kind == "file":
        pack_filestat(m, buf_ptr, os.fstat(desc.file.fileno()))
    elif desc.kind == "dir":
        pack_filestat(m, buf_ptr, dirfd.stat_at(desc.handle, None), E.FILETYPE_DIRECTORY)
    else:
        try:
            st = os.fstat(desc.file.fileno())
        except (AttributeError, OSError, ValueError):
            st = None
        pack_filestat(m, buf_ptr, st, desc.filetype)
    return E.ERRNO_SUCCESS


def fd_filestat_set_size(env: WasiEnv, fd: int, size: int) -> int:
    """witx ``fd_filestat_set_size(fd, size: filesize)`` (like ``ftruncate``): make the file
    ``size`` bytes long, cutting it or extending it with zeros; the file offset is unchanged.
    Needs ``RIGHTS_FD_FILESTAT_SET_SIZE``; ``ERRNO_PERM`` under a read-only preopen."""
    desc = _host_file(env.get(fd), E.RIGHTS_FD_FILESTAT_SET_SIZE)
    os.ftruncate(desc.file.fileno(), u64_arg(size))
    return E.ERRNO_SUCCESS


def fd_allocate(env: WasiEnv, fd: int, offset: int, length: int) -> int:
    """witx ``fd_allocate(fd, offset: filesize, len: filesize)`` (like ``posix_fallocate``):
    make sure the bytes ``[offset, offset + len)`` of the file are allocated, extending the
    file with zeros if it is shorter. ``len`` 0 gives ``ERRNO_INVAL`` (as POSIX has it). Needs
    ``RIGHTS_FD_ALLOCATE``; ``ERRNO_PERM`` under a read-only preopen."""
    desc = _host_file(env.get(fd), E.RIGHTS_FD_ALLOCATE)
    offset, length = u64_arg(offset), u64_arg(length)
    if length == 0:
        return E.ERRNO_INVAL
    end = offset + length
    if end >= 1 << 63:
        return E.ERRNO_FBIG
    fileno = desc.file.fileno()
    if hasattr(os, "posix_fallocate"):
        try:
            os.posix_fallocate(fileno, offset, length)
            return E.ERRNO_SUCCESS
        except OSError:                     # not supported by this file system: extend below
            pass
    if os.fstat(fileno).st_size < end:
        os.ftruncate(fileno, end)
    return E.ERRNO_SUCCESS


def _set_times(target: str | int, st: os.stat_result, atim: int, mtim: int, fst_flags: int,
               dir_fd: Any = None, is_link: bool = False) -> int:
    """Set the times of ``target`` (an fd, or a name in ``dir_fd``), never following a
    symbolic link where the host can help it (``is_link``: the entry is one)."""
    times = _new_times(st, atim, mtim, fst_flags)
    if isinstance(target, int):
        os.utime(target, ns=times)
    elif os.utime in os.supports_follow_symlinks:
        os.utime(target, ns=times, dir_fd=dir_fd, follow_symlinks=False)
    elif is_link:                           # the host cannot change a link's own times
        return E.ERRNO_NOTSUP
    else:
        os.utime(target, ns=times, dir_fd=dir_fd)
    return E.ERRNO_SUCCESS


def fd_filestat_set_times(env: WasiEnv, fd: int, atim: int, mtim: int, fst_flags: int) -> int:
    """witx ``fd_filestat_set_times(fd, atim: timestamp, mtim: timestamp, fst_flags: fstflags)``
    (like ``futimens``): set the access and/or modification time of the open file or
    directory: ``FSTFLAGS_ATIM``/``MTIM`` to the given time, ``FSTFLAGS_ATIM_NOW``/``MTIM_NOW``
    to the current time; a time with neither flag is left alone. Needs
    ``RIGHTS_FD_FILESTAT_SET_TIMES``; ``ERRNO_PERM`` under a read-only preopen."""
    desc = env.get(fd)
    desc.check_writable()
    if not desc.rights_base & E.RIGHTS_FD_FILESTAT_SET_TIMES:
        return E.ERRNO_NOTCAPABLE
    if desc.kind == "dir":
        target, dir_fd = dirfd.at(desc.handle, None)
        return _set_times(target, dirfd.stat_at(desc.handle, None), atim, mtim, fst_flags, dir_fd)
    if desc.kind != "file":
        return E.ERRNO_BADF
    fileno = desc.file.fileno()
    if os.utime in os.supports_fd:
        return _set_times(fileno, os.fstat(fileno), atim, mtim, fst_flags)
    if desc.host_path is None:
        return E.ERRNO_NOTSUP
    return _set_times(desc.host_path, os.fstat(fileno), atim, mtim, fst_flags)


def path_filestat_get(env: WasiEnv, fd: int, flags: int, path_ptr: int, path_len: int, buf_ptr: int) -> int:
    """witx ``path_filestat_get(fd, flags: lookupflags, path: string) -> filestat`` (like
    ``fstatat``): store the ``filestat`` (64 bytes; sizes in bytes, times in ns) of ``path``
    at ``buf_ptr``. With ``LOOKUPFLAGS_SYMLINK_FOLLOW`` a final symbolic link is followed,
    otherwise the link itself is described."""
    desc, path = path_arg(env, fd, E.RIGHTS_PATH_FILESTAT_GET, path_ptr, path_len)
    m = env.mem()
    buf_ptr = out_ptr(m, buf_ptr, E.SIZEOF_FILESTAT)
    with resolve_at(desc, path, flags) as r:
        if not r.exists:
            return E.ERRNO_NOENT
        pack_filestat(m, buf_ptr, r.st)
    return E.ERRNO_SUCCESS


def path_filestat_set_times(env: WasiEnv, fd: int, flags: int, path_ptr: int, path_len: int,
                            atim: int, mtim: int, fst_flags: int) -> int:
    """witx ``path_filestat_set_times(fd, flags: lookupflags, path: string, atim: timestamp,
    mtim: timestamp, fst_flags: fstflags)`` (like ``utimensat``): set the times of ``path`` as
    ``fd_filestat_set_times`` does. With ``LOOKUPFLAGS_SYMLINK_FOLLOW`` a final symbolic link
    is followed, else the link's own times are set (``ERRNO_NOTSUP`` on hosts that cannot).
    ``ERRNO_PERM`` under a read-only preopen."""
    desc, path = path_arg(env, fd, E.RIGHTS_PATH_FILESTAT_SET_TIMES, path_ptr, path_len)
    with resolve_at(desc, path, flags) as r:
        desc.check_writable()
        if r.st is None:
            return E.ERRNO_NOENT
        return _set_times(r.target, r.st, atim, mtim, fst_flags, r.dir_fd, r.is_symlink)
