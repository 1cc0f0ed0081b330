"""Path functions of wasi_snapshot_preview1 that open, create and remove: ``path_open``,
``path_create_directory``, ``path_unlink_file``, ``path_remove_directory``; and ``path_arg``,
which every ``path_*`` function uses to read its directory descriptor and path. Paths go
through the sandboxed resolution of ``resolve``; the link and rename functions are in
``links``, the ``filestat`` ones in ``filestat``.
"""

from __future__ import annotations

import errno as host_errno
import io
import os
import struct

from . import dirfd
from . import errno as E
from .dirfd import WINDOWS, HostDir
from .env import (DIRECTORY_RIGHTS, FILE_RIGHTS, U32, U64, WRITE_RIGHTS, Descriptor, WasiEnv,
                  WasiErrno, host_filetype, out_ptr, read_string)
from .resolve import Resolved, resolve

__all__ = ["path_open", "path_create_directory", "path_unlink_file", "path_remove_directory",
           "path_arg", "resolve"]

#: Requested rights that need the host file open for writing (a directory cannot be).
_WRITING = E.RIGHTS_FD_WRITE | E.RIGHTS_FD_ALLOCATE | E.RIGHTS_FD_FILESTAT_SET_SIZE
#: Flags of every file ``path_open`` opens: never follow a final symbolic link (the resolver
#: has expanded the ones to follow), never inherited by child processes.
_OPEN_FLAGS = (getattr(os, "O_BINARY", 0) | getattr(os, "O_NOFOLLOW", 0)
               | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_NOINHERIT", 0))


def path_arg(env: WasiEnv, fd: int, rights: int, path_ptr: int, path_len: int) -> tuple[Descriptor, str]:
    """The directory descriptor ``fd`` (``ERRNO_BADF`` if there is none, ``ERRNO_NOTDIR`` if it
    is not a directory, ``ERRNO_NOTCAPABLE`` without ``rights``) and the guest path string."""
    desc = env.get(fd)
    if desc.kind != "dir":
        raise WasiErrno(E.ERRNO_NOTDIR)
    if (desc.rights_base & rights) != rights:
        raise WasiErrno(E.ERRNO_NOTCAPABLE)
    return desc, read_string(env.mem(), path_ptr, path_len)


def resolve_at(desc: Descriptor, path: str, lookupflags: int = 0) -> Resolved:
    """``resolve`` ``path`` under the open directory of ``desc``, following a final symbolic
    link if ``lookupflags`` has ``LOOKUPFLAGS_SYMLINK_FOLLOW``. Use the result in a ``with``
    block: it holds the directories opened on the way."""
    return resolve(desc.handle, path, follow=bool(lookupflags & E.LOOKUPFLAGS_SYMLINK_FOLLOW))


def path_open(env: WasiEnv, fd: int, dirflags: int, path_ptr: int, path_len: int, oflags: int,
              fs_rights_base: int, fs_rights_inheriting: int, fdflags: int, fd_ptr: int) -> int:
    """witx ``path_open(fd, dirflags: lookupflags, path: string, oflags, fs_rights_base: rights,
    fs_rights_inheriting: rights, fdflags) -> fd`` (like POSIX ``openat``): open the file or
    directory at ``path`` relative to the directory ``fd`` and store the new descriptor (u32,
    the lowest free number) at ``fd_ptr``.

    ``oflags``: ``OFLAGS_CREAT`` (needs ``RIGHTS_PATH_CREATE_FILE``), ``EXCL``, ``TRUNC``
    (needs ``RIGHTS_PATH_FILESTAT_SET_SIZE``), ``DIRECTORY``. The new descriptor gets the
    requested rights that the directory may hand on (its inheriting rights) and that apply to
    the type of file opened; the host file is opened for reading if they include
    ``RIGHTS_FD_READ`` and for writing if they include ``RIGHTS_FD_WRITE``,
    ``RIGHTS_FD_ALLOCATE`` or ``RIGHTS_FD_FILESTAT_SET_SIZE`` (or ``fdflags`` has
    ``FDFLAGS_APPEND``). A directory opened while asking for ``RIGHTS_FD_WRITE``, or with
    ``OFLAGS_TRUNC``, gives ``ERRNO_ISDIR``, with or without ``OFLAGS_DIRECTORY`` (as in
    wasmtime, whose preview1 opens the host directory for writing exactly when
    ``RIGHTS_FD_WRITE`` is asked for, which the OS refuses); the other rights that do not
    apply to a directory (``RIGHTS_FD_READ``, ``RIGHTS_FD_SEEK``, ``RIGHTS_FD_ALLOCATE``...)
    are simply not granted. The new directory descriptor holds its own open host directory. A
    final symbolic link that is not to be followed (``dirflags`` without
    ``LOOKUPFLAGS_SYMLINK_FOLLOW``) gives ``ERRNO_LOOP``, as ``O_NOFOLLOW`` does. Under a
    read-only preopen, ``CREAT``, ``TRUNC`` and write access give ``ERRNO_PERM``.
    """
    oflags &= U32
    fdflags &= U32
    fs_rights_base &= U64
    fs_rights_inheriting &= U64
    needed = E.RIGHTS_PATH_OPEN
    if oflags & E.OFLAGS_CREAT:
        needed |= E.RIGHTS_PATH_CREATE_FILE
    if oflags & E.OFLAGS_TRUNC:
        needed |= E.RIGHTS_PATH_FILESTAT_SET_SIZE
    desc, path = path_arg(env, fd, needed, path_ptr, path_len)
    if oflags & ~E.OFLAGS_ALL or fdflags & ~E.FDFLAGS_ALL:
        return E.ERRNO_INVAL
    m = env.mem()
    fd_ptr = out_ptr(m, fd_ptr, 4)
    with resolve_at(desc, path, dirflags) as r:
        new = _open(desc, r, oflags, fs_rights_base, fs_rights_inheriting, fdflags)
    try:
        struct.pack_into("<I", m, fd_ptr, env.add(new))
    except BaseException:
        new.release()
        raise
    return E.ERRNO_SUCCESS


def _open(desc: Descriptor, r: Resolved, oflags: int, fs_rights_base: int,
          fs_rights_inheriting: int, fdflags: int) -> Descriptor:
    """The new descriptor of ``path_open`` for the resolved ``r`` (raises ``WasiErrno``)."""
    granted = fs_rights_base & desc.rights_inheriting
    inheriting = fs_rights_inheriting & desc.rights_inheriting
    read = bool(granted & E.RIGHTS_FD_READ)
    write = bool(granted & _WRITING) or bool(fdflags & E.FDFLAGS_APPEND)
    if desc.read_only and oflags & (E.OFLAGS_CREAT | E.OFLAGS_TRUNC):
        raise WasiErrno(E.ERRNO_PERM)
    if r.exists:
        if oflags & E.OFLAGS_CREAT and oflags & E.OFLAGS_EXCL:
            raise WasiErrno(E.ERRNO_EXIST)
        if r.is_symlink:                    # a final symbolic link that was not to be followed
            raise WasiErrno(E.ERRNO_LOOP)
        if r.is_dir:
            if oflags & E.OFLAGS_TRUNC or fs_rights_base & E.RIGHTS_FD_WRITE:
                raise WasiErrno(E.ERRNO_ISDIR)
            handle = dirfd.open_child(r.dir, r.name)
            host = os.path.join(desc.dir.path, *r.parts) if desc.dir.path else None
            return Descriptor("dir", E.FILETYPE_DIRECTORY, dir=HostDir(handle, host),
                              rights_base=granted & DIRECTORY_RIGHTS,
                              rights_inheriting=inheriting, fdflags=fdflags,
                              read_only=desc.read_only, owned=True)
        if oflags & E.OFLAGS_DIRECTORY or r.must_be_dir:
            raise WasiErrno(E.ERRNO_NOTDIR)
    else:
        if not oflags & E.OFLAGS_CREAT:
            raise WasiErrno(E.ERRNO_NOENT)
        if oflags & E.OFLAGS_DIRECTORY:
            raise WasiErrno(E.ERRNO_INVAL)
        if r.must_be_dir:
            raise WasiErrno(E.ERRNO_ISDIR)
    if desc.read_only and write:
        raise WasiErrno(E.ERRNO_PERM)

    flags = _OPEN_FLAGS | (os.O_RDWR if read and write else (os.O_WRONLY if write else os.O_RDONLY))
    if oflags & E.OFLAGS_CREAT:
        flags |= os.O_CREAT
        if oflags & E.OFLAGS_EXCL:
            flags |= os.O_EXCL
    if oflags & E.OFLAGS_TRUNC:
        if write:
            flags |= os.O_TRUNC
        elif r.exists:                      # truncate, then open for reading only
            os.close(os.open(r.target, _OPEN_FLAGS | os.O_WRONLY | os.O_TRUNC, dir_fd=r.dir_fd))
    host_fd = os.open(r.target, flags, 0o666, dir_fd=r.dir_fd)
    try:
        filetype = host_filetype(os.fstat(host_fd).st_mode)
        file = io.FileIO(host_fd, "r+" if read and write else ("w" if write else "r"), closefd=True)
    except BaseException:
        os.close(host_fd)
        raise
    rights = granted & FILE_RIGHTS
    if desc.read_only:
        rights &= ~WRITE_RIGHTS
    return Descriptor("file", filetype, file=file, host_path=r.target if WINDOWS else None,
                      rights_base=rights, rights_inheriting=inheriting, fdflags=fdflags,
                      read_only=desc.read_only)


def path_create_directory(env: WasiEnv, fd: int, path_ptr: int, path_len: int) -> int:
    """witx ``path_create_directory(fd, path: string)`` (like ``mkdirat``): create the
    directory ``path``; ``ERRNO_EXIST`` if something is there already, ``ERRNO_PERM`` under a
    read-only preopen."""
    desc, path = path_arg(env, fd, E.RIGHTS_PATH_CREATE_DIRECTORY, path_ptr, path_len)
    with resolve_at(desc, path) as r:
        desc.check_writable()
        if r.exists:
            return E.ERRNO_EXIST
        os.mkdir(r.target, 0o777, dir_fd=r.dir_fd)
    return E.ERRNO_SUCCESS


def path_unlink_file(env: WasiEnv, fd: int, path_ptr: int, path_len: int) -> int:
    """witx ``path_unlink_file(fd, path: string)`` (like ``unlinkat(fd, path, 0)``): remove the
    file (or symbolic link) ``path``; ``ERRNO_ISDIR`` for a directory, ``ERRNO_PERM`` under a
    read-only preopen."""
    desc, path = path_arg(env, fd, E.RIGHTS_PATH_UNLINK_FILE, path_ptr, path_len)
    with resolve_at(desc, path) as r:
        desc.check_writable()
        if not r.exists:
            return E.ERRNO_NOENT
        if r.is_dir:
            return E.ERRNO_ISDIR
        if r.must_be_dir:
            return E.ERRNO_NOTDIR
        os.unlink(r.target, dir_fd=r.dir_fd)
    return E.ERRNO_SUCCESS


def path_remove_directory(env: WasiEnv, fd: int, path_ptr: int, path_len: int) -> int:
    """witx ``path_remove_directory(fd, path: string)`` (like ``unlinkat(fd, path,
    AT_REMOVEDIR)``): remove the empty directory ``path``; ``ERRNO_NOTEMPTY`` if it is not
    empty, ``ERRNO_NOTDIR`` if it is not a directory, ``ERRNO_INVAL`` for the directory ``fd``
    itself, ``ERRNO_PERM`` under a read-only preopen."""
    desc, path = path_arg(env, fd, E.RIGHTS_PATH_REMOVE_DIRECTORY, path_ptr, path_len)
    with resolve_at(desc, path) as r:
        desc.check_writable()
        if r.name is None:
            return E.ERRNO_INVAL
        if not r.exists:
            return E.ERRNO_NOENT
        if not r.is_dir:
            return E.ERRNO_NOTDIR
        try:
            os.rmdir(r.target, dir_fd=r.dir_fd)
        except OSError as exc:
            if exc.errno in (host_errno.ENOTEMPTY, host_errno.EEXIST):
                return E.ERRNO_NOTEMPTY
            raise
    return E.ERRNO_SUCCESS
