"""Descriptor functions of wasi_snapshot_preview1 that work on the descriptor table and the
descriptor's state rather than its data: ``fd_close``, ``fd_renumber``, ``fd_fdstat_get``,
``fd_fdstat_set_flags``, ``fd_fdstat_set_rights``, ``fd_prestat_get``, ``fd_prestat_dir_name``,
``fd_advise``, ``fd_sync``, ``fd_datasync``. Reading and writing are in ``rw``, attributes in
``filestat``, directory listings in ``readdir``.
"""

from __future__ import annotations

import os
import struct

from . import dirfd
from . import errno as E
from .env import U32, U64, Descriptor, WasiEnv, WasiErrno, check_range, out_ptr, u64_arg

__all__ = ["fd_close", "fd_renumber", "fd_fdstat_get", "fd_fdstat_set_flags",
           "fd_fdstat_set_rights", "fd_prestat_get", "fd_prestat_dir_name", "fd_advise",
           "fd_sync", "fd_datasync"]

_FDSTAT = struct.Struct("<BxHxxxxQQ")       # filetype u8, fs_flags u16 @2, base @8, inheriting @16
_ADVICE_MAX = E.ADVICE_NOREUSE
_FADVISE = {E.ADVICE_NORMAL: "POSIX_FADV_NORMAL", E.ADVICE_SEQUENTIAL: "POSIX_FADV_SEQUENTIAL",
            E.ADVICE_RANDOM: "POSIX_FADV_RANDOM", E.ADVICE_WILLNEED: "POSIX_FADV_WILLNEED",
            E.ADVICE_DONTNEED: "POSIX_FADV_DONTNEED", E.ADVICE_NOREUSE: "POSIX_FADV_NOREUSE"}


def fd_close(env: WasiEnv, fd: int) -> int:
    """witx ``fd_close(fd)`` (like POSIX ``close``): remove ``fd`` from the table and close the
    host file or socket behind it. Closing a standard stream only flushes the host stream (it
    belongs to the embedder, as do configured sockets); closing a preopened directory is
    allowed."""
    desc = env.get(fd)
    del env.fds[fd & U32]
    desc.release()
    return E.ERRNO_SUCCESS


def fd_renumber(env: WasiEnv, fd: int, to: int) -> int:
    """witx ``fd_renumber(fd, to: fd)`` (like ``dup2(fd, to)`` then ``close(fd)``): move the
    descriptor ``fd`` to number ``to``, closing what ``to`` held. Both must be open
    (``ERRNO_BADF``), as in wasmtime; renumbering a descriptor to itself does nothing."""
    env.get(fd)
    old = env.get(to)
    fd &= U32
    to &= U32
    if fd == to:
        return E.ERRNO_SUCCESS
    env.fds[to] = env.fds.pop(fd)
    old.release()
    return E.ERRNO_SUCCESS


def fd_fdstat_get(env: WasiEnv, fd: int, stat_ptr: int) -> int:
    """witx ``fd_fdstat_get(fd) -> fdstat``: store the descriptor's ``fdstat`` (24 bytes:
    filetype u8, fdflags u16 at offset 2, base rights u64 at 8, inheriting rights u64 at 16) at
    ``stat_ptr``."""
    desc = env.get(fd)
    m = env.mem()
    _FDSTAT.pack_into(m, out_ptr(m, stat_ptr, E.SIZEOF_FDSTAT), desc.filetype, desc.fdflags,
                      desc.rights_base, desc.rights_inheriting)
    return E.ERRNO_SUCCESS


def fd_fdstat_set_flags(env: WasiEnv, fd: int, flags: int) -> int:
    """witx ``fd_fdstat_set_flags(fd, flags: fdflags)`` (like ``fcntl(F_SETFL)``): replace the
    descriptor's flags. ``FDFLAGS_APPEND`` makes every write go to the end of the file;
    ``FDFLAGS_SYNC``/``DSYNC`` make writes ``fsync``; ``FDFLAGS_NONBLOCK`` makes a socket
    non-blocking (regular files never block; the host's standard streams are left alone);
    ``RSYNC`` is recorded. Unknown bits give ``ERRNO_INVAL``."""
    desc = env.get(fd, E.RIGHTS_FD_FDSTAT_SET_FLAGS)
    flags &= U32
    if flags & ~E.FDFLAGS_ALL:
        return E.ERRNO_INVAL
    if desc.kind == "socket":
        desc.file.setblocking(not flags & E.FDFLAGS_NONBLOCK)
    desc.fdflags = flags
    return E.ERRNO_SUCCESS


def fd_fdstat_set_rights(env: WasiEnv, fd: int, fs_rights_base: int, fs_rights_inheriting: int) -> int:
    """witx ``fd_fdstat_set_rights(fd, fs_rights_base: rights, fs_rights_inheriting: rights)``:
    replace the descriptor's rights. Rights can only be dropped: asking for one the
    descriptor does not have gives ``ERRNO_NOTCAPABLE`` and changes nothing."""
    desc = env.get(fd)
    base, inheriting = fs_rights_base & U64, fs_rights_inheriting & U64
    if base & ~desc.rights_base or inheriting & ~desc.rights_inheriting:
        return E.ERRNO_NOTCAPABLE
    desc.rights_base, desc.rights_inheriting = base, inheriting
    return E.ERRNO_SUCCESS


def fd_prestat_get(env: WasiEnv, fd: int, buf_ptr: int) -> int:
    """witx ``fd_prestat_get(fd) -> prestat``: for a preopened directory store its ``prestat``
    (8 bytes: tag u8 ``PREOPENTYPE_DIR``, then the name length u32 at offset 4) at ``buf_ptr``;
    any other descriptor gives ``ERRNO_BADF`` (wasi-libc scans fds from 3 until that)."""
    desc = env.get(fd)
    if desc.preopen is None:
        return E.ERRNO_BADF
    m = env.mem()
    struct.pack_into("<B3xI", m, out_ptr(m, buf_ptr, E.SIZEOF_PRESTAT), E.PREOPENTYPE_DIR,
                     len(desc.preopen))
    return E.ERRNO_SUCCESS


def fd_prestat_dir_name(env: WasiEnv, fd: int, path: int, path_len: int) -> int:
    """witx ``fd_prestat_dir_name(fd, path: pointer<u8>, path_len: size)``: copy the guest name
    of a preopened directory (UTF-8, no NUL) to ``path``. ``ERRNO_BADF`` if ``fd`` is not a
    preopen, ``ERRNO_NAMETOOLONG`` if ``path_len`` is smaller than the name."""
    desc = env.get(fd)
    if desc.preopen is None:
        return E.ERRNO_BADF
    name = desc.preopen
    path &= U32
    if (path_len & U32) < len(name):
        return E.ERRNO_NAMETOOLONG
    m = env.mem()
    check_range(m, path, len(name))
    m[path:path + len(name)] = name
    return E.ERRNO_SUCCESS


def fd_advise(env: WasiEnv, fd: int, offset: int, length: int, advice: int) -> int:
    """witx ``fd_advise(fd, offset: filesize, len: filesize, advice)`` (like
    ``posix_fadvise``): tell the host how the guest will use the bytes ``[offset, offset +
    len)`` (``len`` 0: to the end). Passed on where the host has ``posix_fadvise``, else
    accepted and ignored (advice never changes what the guest reads). Needs
    ``RIGHTS_FD_ADVISE``; an unknown ``advice`` gives ``ERRNO_INVAL``."""
    desc = env.get(fd, E.RIGHTS_FD_ADVISE)
    offset, length = u64_arg(offset), u64_arg(length)
    advice &= U32
    if advice > _ADVICE_MAX:
        return E.ERRNO_INVAL
    if desc.kind == "file" and hasattr(os, "posix_fadvise"):
        host_advice = getattr(os, _FADVISE[advice], None)
        if host_advice is not None:
            os.posix_fadvise(desc.file.fileno(), offset, length, host_advice)
    return E.ERRNO_SUCCESS


def _sync(desc: Descriptor, data_only: bool) -> int:
    if desc.kind == "file":
        fileno = desc.file.fileno()
        if data_only and hasattr(os, "fdatasync"):
            os.fdatasync(fileno)
        else:
            os.fsync(fileno)
    elif desc.kind == "dir":
        dirfd.fsync(desc.handle)                       # refused by some file systems: ignored
    else:
        raise WasiErrno(E.ERRNO_BADF)
    return E.ERRNO_SUCCESS


def fd_sync(env: WasiEnv, fd: int) -> int:
    """witx ``fd_sync(fd)`` (like ``fsync``): write the file's data and metadata (or the
    directory's entries) through to the device. Needs ``RIGHTS_FD_SYNC``."""
    return _sync(env.get(fd, E.RIGHTS_FD_SYNC), data_only=False)


def fd_datasync(env: WasiEnv, fd: int) -> int:
    """witx ``fd_datasync(fd)`` (like ``fdatasync``): write the file's data through to the
    device (``fsync`` where the host has no ``fdatasync``). Needs ``RIGHTS_FD_DATASYNC``."""
    return _sync(env.get(fd, E.RIGHTS_FD_DATASYNC), data_only=True)
