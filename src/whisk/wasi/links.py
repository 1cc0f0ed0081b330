"""Links and renames of wasi_snapshot_preview1: ``path_symlink``, ``path_readlink``,
``path_link``, ``path_rename``. Both ends of a link or rename are resolved in their own
sandbox (``resolve``), so nothing can be linked or moved out of a preopen; a symbolic link the
guest creates may not point out of it either.
"""

from __future__ import annotations

import os

from . import errno as E
from .env import U32, WasiEnv, WasiErrno, check_range, read_string, store_u32
from .path import path_arg, resolve_at
from .resolve import WINDOWS, check_symlink_target

__all__ = ["path_symlink", "path_readlink", "path_link", "path_rename"]

#: Windows' ERROR_PRIVILEGE_NOT_HELD: creating symbolic links needs developer mode or admin.
_NO_SYMLINK_PRIVILEGE = 1314


def path_symlink(env: WasiEnv, old_path_ptr: int, old_path_len: int, fd: int, new_path_ptr: int,
                 new_path_len: int) -> int:
    """witx ``path_symlink(old_path: string, fd, new_path: string)`` (like ``symlinkat``):
    create the symbolic link ``new_path`` (relative to the directory ``fd``) whose contents
    are ``old_path``. ``ERRNO_EXIST`` if ``new_path`` exists. A target that is absolute or
    climbs out of the sandbox (read lexically from the link's directory) gives
    ``ERRNO_NOTCAPABLE``; on Windows a host that does not let the user create symbolic links
    gives ``ERRNO_PERM``, as does a read-only preopen."""
    desc, new_path = path_arg(env, fd, E.RIGHTS_PATH_SYMLINK, new_path_ptr, new_path_len)
    target = read_string(env.mem(), old_path_ptr, old_path_len)
    with resolve_at(desc, new_path) as r:
        desc.check_writable()
        if r.exists:
            return E.ERRNO_EXIST
        if r.must_be_dir:
            return E.ERRNO_NOENT
        check_symlink_target(target, len(r.parts) - 1)
        is_dir = False
        if WINDOWS:       # Windows needs to know; only a target inside the sandbox is looked at
            parent = "/".join(r.parts[:-1])
            try:
                with resolve_at(desc, f"{parent}/{target}" if parent else target, 1) as t:
                    is_dir = t.is_dir
            except (WasiErrno, OSError):
                pass
            target = target.replace("/", "\\")
        try:
            os.symlink(target, r.target, target_is_directory=is_dir, dir_fd=r.dir_fd)
        except OSError as exc:
            if getattr(exc, "winerror", None) == _NO_SYMLINK_PRIVILEGE:
                return E.ERRNO_PERM
            raise
    return E.ERRNO_SUCCESS


def path_readlink(env: WasiEnv, fd: int, path_ptr: int, path_len: int, buf: int, buf_len: int,
                  bufused_ptr: int) -> int:
    """witx ``path_readlink(fd, path: string, buf: pointer<u8>, buf_len: size) -> size`` (like
    ``readlinkat``): copy the contents of the symbolic link ``path`` to ``buf`` (cut to
    ``buf_len`` bytes, no NUL) and store the bytes copied (u32) at ``bufused_ptr``.
    ``ERRNO_INVAL`` if ``path`` is not a symbolic link; ``ERRNO_NOTCAPABLE`` for a link the
    host made with an absolute target (the guest cannot name it). Windows' ``\\`` separators
    read as ``/``."""
    desc, path = path_arg(env, fd, E.RIGHTS_PATH_READLINK, path_ptr, path_len)
    with resolve_at(desc, path) as r:
        if not r.exists:
            return E.ERRNO_NOENT
        if not r.is_symlink:
            return E.ERRNO_INVAL
        target = os.readlink(r.target, dir_fd=r.dir_fd)
    if WINDOWS:
        target = target.replace("\\", "/")
    if target.startswith("/") or os.path.isabs(target) or (WINDOWS and ":" in target):
        return E.ERRNO_NOTCAPABLE
    data = os.fsencode(target)
    m = env.mem()
    buf &= U32
    n = min(len(data), buf_len & U32)
    check_range(m, buf, n)
    check_range(m, bufused_ptr & U32, 4)
    m[buf:buf + n] = data[:n]
    store_u32(m, bufused_ptr, n)
    return E.ERRNO_SUCCESS


def path_link(env: WasiEnv, old_fd: int, old_flags: int, old_path_ptr: int, old_path_len: int,
              new_fd: int, new_path_ptr: int, new_path_len: int) -> int:
    """witx ``path_link(old_fd, old_flags: lookupflags, old_path: string, new_fd,
    new_path: string)`` (like ``linkat``): make ``new_path`` (under ``new_fd``) a hard link to
    ``old_path`` (under ``old_fd``; with ``LOOKUPFLAGS_SYMLINK_FOLLOW`` a final symbolic link
    is followed, else the link itself is linked). ``ERRNO_EXIST`` if ``new_path`` exists,
    ``ERRNO_PERM`` for a directory or when either side lies under a read-only preopen (a
    link out of a read-only tree would make its files writable)."""
    old, old_path = path_arg(env, old_fd, E.RIGHTS_PATH_LINK_SOURCE, old_path_ptr, old_path_len)
    new, new_path = path_arg(env, new_fd, E.RIGHTS_PATH_LINK_TARGET, new_path_ptr, new_path_len)
    with resolve_at(old, old_path, old_flags) as src, resolve_at(new, new_path) as dst:
        old.check_writable()
        new.check_writable()
        if not src.exists:
            return E.ERRNO_NOENT
        if src.is_dir:
            return E.ERRNO_PERM
        if dst.exists:
            return E.ERRNO_EXIST
        if dst.must_be_dir:
            return E.ERRNO_NOENT
        at = dict(src_dir_fd=src.dir_fd, dst_dir_fd=dst.dir_fd)
        if os.link in os.supports_follow_symlinks:      # a link found last is linked itself
            at["follow_symlinks"] = False
        os.link(src.target, dst.target, **at)
    return E.ERRNO_SUCCESS


def path_rename(env: WasiEnv, fd: int, old_path_ptr: int, old_path_len: int, new_fd: int,
                new_path_ptr: int, new_path_len: int) -> int:
    """witx ``path_rename(fd, old_path: string, new_fd, new_path: string)`` (like
    ``renameat``): move ``old_path`` (under ``fd``) to ``new_path`` (under ``new_fd``),
    replacing a file there, or an empty directory when a directory is moved (on every host,
    Windows included). A symbolic link is moved itself. ``ERRNO_ISDIR`` / ``ERRNO_NOTDIR``
    when a file and a directory would replace each other, ``ERRNO_NOTEMPTY`` for a non-empty
    target directory, ``ERRNO_INVAL`` to move a directory into itself or move a preopen's
    root, ``ERRNO_PERM`` under a read-only preopen."""
    old, old_path = path_arg(env, fd, E.RIGHTS_PATH_RENAME_SOURCE, old_path_ptr, old_path_len)
    new, new_path = path_arg(env, new_fd, E.RIGHTS_PATH_RENAME_TARGET, new_path_ptr, new_path_len)
    with resolve_at(old, old_path) as src, resolve_at(new, new_path) as dst:
        old.check_writable()
        new.check_writable()
        if not src.exists:
            return E.ERRNO_NOENT
        if src.name is None or dst.name is None:
            return E.ERRNO_INVAL if src.name is not None else E.ERRNO_BUSY
        if WINDOWS:                         # POSIX renameat does these checks itself
            s, d = os.path.normcase(src.target), os.path.normcase(dst.target)
            if s == d:
                return E.ERRNO_SUCCESS
            if src.is_dir and d.startswith(s + os.sep):
                return E.ERRNO_INVAL
        if src.is_dir:
            if dst.exists and not dst.is_dir:
                return E.ERRNO_NOTDIR
            if dst.is_dir and WINDOWS:
                os.rmdir(dst.target)        # fails (ERRNO_NOTEMPTY) unless empty, like rename
        elif dst.is_dir:
            return E.ERRNO_ISDIR
        elif src.must_be_dir or dst.must_be_dir:
            return E.ERRNO_NOTDIR
        os.replace(src.target, dst.target, src_dir_fd=src.dir_fd, dst_dir_fd=dst.dir_fd)
    return E.ERRNO_SUCCESS
