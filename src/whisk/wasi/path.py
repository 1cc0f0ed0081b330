"""Path functions of wasi_snapshot_preview1: ``path_*``, and the sandboxed path resolution they
share.

Every path is resolved relative to a directory descriptor, whose host directory is the root of
a sandbox: paths use ``/`` separators on every host OS, absolute paths are refused
(``ERRNO_NOTCAPABLE``; wasi-libc already turns ``/guest/path`` into a preopen plus a relative
path), ``..`` cannot climb above the directory (``ERRNO_NOTCAPABLE``), and symbolic links are
expanded component by component under the same rules (an absolute link target, or one that
climbs out, gives ``ERRNO_NOTCAPABLE``; more than 40 expansions ``ERRNO_LOOP``).

The checks are done with ``lstat`` on the host before the operation, so a host process that
swaps a directory for a symbolic link at the same moment could race them; the guest alone
cannot escape.
"""

from __future__ import annotations

import errno as host_errno
import io
import os
import stat
import struct
from typing import NamedTuple

from . import errno as E
from .env import (DIRECTORY_RIGHTS, FILE_RIGHTS, U32, U64, Descriptor, WasiEnv, WasiErrno,
                  check_range, host_filetype, pack_filestat, read_string)

#: Largest number of symbolic link expansions in one resolution (Linux's MAXSYMLINKS).
MAX_SYMLINKS = 40

_WINDOWS = os.name == "nt"
_OFLAGS_ALL = E.OFLAGS_CREAT | E.OFLAGS_DIRECTORY | E.OFLAGS_EXCL | E.OFLAGS_TRUNC
_FDFLAGS_ALL = (E.FDFLAGS_APPEND | E.FDFLAGS_DSYNC | E.FDFLAGS_NONBLOCK | E.FDFLAGS_RSYNC
                | E.FDFLAGS_SYNC)


class Resolved(NamedTuple):
    """The result of ``resolve``: ``host_path`` of the final component; ``parts`` the components
    below the root (no symbolic link among them but maybe the last, when not followed);
    ``st`` its ``lstat`` (None if it does not exist); ``must_be_dir`` whether the guest path
    ended in ``/``, ``/.`` or ``/..``."""

    host_path: str
    parts: tuple[str, ...]
    st: os.stat_result | None
    must_be_dir: bool

    @property
    def exists(self) -> bool:
        return self.st is not None


def _check_component(name: str) -> None:
    if _WINDOWS and ("\\" in name or ":" in name):
        # a backslash or drive letter would be a second separator / root on Windows
        raise WasiErrno(E.ERRNO_NOTCAPABLE)


def resolve(root: str, path: str, follow: bool) -> Resolved:
    """Resolve the guest ``path`` inside the host directory ``root`` (absolute).

    ``follow``: whether a symbolic link as the final component is expanded
    (``LOOKUPFLAGS_SYMLINK_FOLLOW``); links in the middle always are. The final component may
    not exist (``st`` None); a missing or non-directory component before it gives
    ``ERRNO_NOENT`` / ``ERRNO_NOTDIR``.
    """
    if not path:
        raise WasiErrno(E.ERRNO_NOENT)
    if path.startswith("/"):
        raise WasiErrno(E.ERRNO_NOTCAPABLE)
    raw = path.split("/")
    must_be_dir = raw[-1] in ("", ".", "..")
    pending = list(reversed(raw))          # components still to walk, next one last
    done: list[str] = []                   # resolved components, below root
    expansions = 0
    st: os.stat_result | None = None       # lstat of done[-1], None after a ".."
    while pending:
        name = pending.pop()
        if name in ("", "."):
            continue
        if name == "..":
            if not done:
                raise WasiErrno(E.ERRNO_NOTCAPABLE)
            done.pop()
            st = None
            continue
        _check_component(name)
        last = all(p in ("", ".") for p in pending)
        host = os.path.join(root, *done, name)
        try:
            st = os.lstat(host)
        except FileNotFoundError:
            if last:
                done.append(name)
                return Resolved(host, tuple(done), None, must_be_dir)
            raise WasiErrno(E.ERRNO_NOENT) from None
        except NotADirectoryError:
            raise WasiErrno(E.ERRNO_NOTDIR) from None
        if stat.S_ISLNK(st.st_mode) and (not last or follow or must_be_dir):
            expansions += 1
            if expansions > MAX_SYMLINKS:
                raise WasiErrno(E.ERRNO_LOOP)
            target = os.readlink(host)
            if _WINDOWS:
                target = target.replace("\\", "/")
            if not target or os.path.isabs(target) or target.startswith("/") or (
                    _WINDOWS and ":" in target):
                raise WasiErrno(E.ERRNO_NOTCAPABLE)
            pending.extend(reversed(target.split("/")))
            continue
        if not stat.S_ISDIR(st.st_mode) and not stat.S_ISLNK(st.st_mode) and (
                not last or must_be_dir):
            raise WasiErrno(E.ERRNO_NOTDIR)
        done.append(name)
    host = os.path.join(root, *done)
    if st is None:                         # the root itself, or a directory reached by ".."
        st = os.stat(host)
    return Resolved(host, tuple(done), st, must_be_dir)


def _path_arg(env: WasiEnv, fd: int, rights: int, path_ptr: int, path_len: int) -> tuple[Descriptor, str]:
    desc = env.get(fd)
    if desc.kind != "dir":
        raise WasiErrno(E.ERRNO_NOTDIR)
    if (desc.rights_base & rights) != rights:
        raise WasiErrno(E.ERRNO_NOTCAPABLE)
    return desc, read_string(env.mem(), path_ptr, path_len)


# --- implemented ------------------------------------------------------------------------------------

def path_open(env: WasiEnv, fd: int, dirflags: int, path_ptr: int, path_len: int, oflags: int,
              fs_rights_base: int, fs_rights_inheriting: int, fdflags: int, fd_ptr: int) -> int:
    """witx ``path_open(fd, dirflags: lookupflags, path: string, oflags, fs_rights_base: rights,
    fs_rights_inheriting: rights, fdflags) -> fd`` (like POSIX ``openat``): open the file or
    directory at ``path`` relative to the directory ``fd`` and store the new descriptor (u32,
    the lowest free number) at ``fd_ptr``.

    ``oflags``: ``OFLAGS_CREAT`` (needs ``RIGHTS_PATH_CREATE_FILE``), ``EXCL``, ``TRUNC``
    (needs ``RIGHTS_PATH_FILESTAT_SET_SIZE``), ``DIRECTORY``. The host file is opened for
    reading if ``fs_rights_base`` has ``RIGHTS_FD_READ`` and for writing if it has
    ``RIGHTS_FD_WRITE`` (or ``FDFLAGS_APPEND``); asking to write a directory gives
    ``ERRNO_ISDIR`` unless ``OFLAGS_DIRECTORY`` is set. The new descriptor gets the requested
    rights that the directory may hand on (its inheriting rights) and that apply to the type
    of file opened. A final symbolic link that is not to be followed gives ``ERRNO_LOOP``.
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
    desc, path = _path_arg(env, fd, needed, path_ptr, path_len)
    if oflags & ~_OFLAGS_ALL or fdflags & ~_FDFLAGS_ALL:
        return E.ERRNO_INVAL
    m = env.mem()
    fd_ptr &= U32
    check_range(m, fd_ptr, 4)

    r = resolve(desc.host_path, path, follow=bool(dirflags & E.LOOKUPFLAGS_SYMLINK_FOLLOW))
    read = bool(fs_rights_base & E.RIGHTS_FD_READ)
    write = bool(fs_rights_base & (E.RIGHTS_FD_WRITE | E.RIGHTS_FD_ALLOCATE
                                   | E.RIGHTS_FD_FILESTAT_SET_SIZE)) or bool(fdflags & E.FDFLAGS_APPEND)
    inheritable = desc.rights_inheriting
    if r.exists:
        if oflags & E.OFLAGS_CREAT and oflags & E.OFLAGS_EXCL:
            return E.ERRNO_EXIST
        mode = r.st.st_mode
        if stat.S_ISLNK(mode):              # a final symbolic link that was not to be followed
            return E.ERRNO_LOOP
        if stat.S_ISDIR(mode):
            # like open(dir, O_WRONLY); asked for with OFLAGS_DIRECTORY, the rights that do
            # not apply to a directory are simply not granted
            if oflags & E.OFLAGS_TRUNC or (
                    fs_rights_base & E.RIGHTS_FD_WRITE and not oflags & E.OFLAGS_DIRECTORY):
                return E.ERRNO_ISDIR
            new = Descriptor("dir", E.FILETYPE_DIRECTORY, host_path=r.host_path,
                             rights_base=fs_rights_base & inheritable & DIRECTORY_RIGHTS,
                             rights_inheriting=fs_rights_inheriting & inheritable,
                             fdflags=fdflags)
            struct.pack_into("<I", m, fd_ptr, env.add(new))
            return E.ERRNO_SUCCESS
        if oflags & E.OFLAGS_DIRECTORY or r.must_be_dir:
            return E.ERRNO_NOTDIR
    else:
        if not oflags & E.OFLAGS_CREAT:
            return E.ERRNO_NOENT
        if oflags & E.OFLAGS_DIRECTORY:
            return E.ERRNO_INVAL
        if r.must_be_dir:
            return E.ERRNO_ISDIR

    flags = getattr(os, "O_BINARY", 0) | getattr(os, "O_NOFOLLOW", 0)
    if read and write:
        flags |= os.O_RDWR
    elif write:
        flags |= os.O_WRONLY
    else:
        flags |= os.O_RDONLY
    if oflags & E.OFLAGS_CREAT:
        flags |= os.O_CREAT
        if oflags & E.OFLAGS_EXCL:
            flags |= os.O_EXCL
    if oflags & E.OFLAGS_TRUNC:
        if write:
            flags |= os.O_TRUNC
        elif r.exists:
            os.truncate(r.host_path, 0)
    host_fd = os.open(r.host_path, flags, 0o666)
    try:
        filetype = host_filetype(os.fstat(host_fd).st_mode)
        file = io.FileIO(host_fd, "r+" if read and write else ("w" if write else "r"), closefd=True)
    except BaseException:
        os.close(host_fd)
        raise
    new = Descriptor("file", filetype, file=file, host_path=r.host_path,
                     rights_base=fs_rights_base & inheritable & FILE_RIGHTS,
                     rights_inheriting=fs_rights_inheriting & inheritable, fdflags=fdflags)
    struct.pack_into("<I", m, fd_ptr, env.add(new))
    return E.ERRNO_SUCCESS


def path_filestat_get(env: WasiEnv, fd: int, flags: int, path_ptr: int, path_len: int, buf_ptr: int) -> int:
    """witx ``path_filestat_get(fd, flags: lookupflags, path: string) -> filestat`` (like
    ``fstatat``): store the ``filestat`` (64 bytes; sizes in bytes, times in ns) of ``path``
    at ``buf_ptr``. With ``LOOKUPFLAGS_SYMLINK_FOLLOW`` a final symbolic link is followed,
    otherwise the link itself is described."""
    desc, path = _path_arg(env, fd, E.RIGHTS_PATH_FILESTAT_GET, path_ptr, path_len)
    m = env.mem()
    buf_ptr &= U32
    check_range(m, buf_ptr, E.SIZEOF_FILESTAT)
    r = resolve(desc.host_path, path, follow=bool(flags & E.LOOKUPFLAGS_SYMLINK_FOLLOW))
    if not r.exists:
        return E.ERRNO_NOENT
    pack_filestat(m, buf_ptr, r.st)
    return E.ERRNO_SUCCESS


def path_create_directory(env: WasiEnv, fd: int, path_ptr: int, path_len: int) -> int:
    """witx ``path_create_directory(fd, path: string)`` (like ``mkdirat``): create the
    directory ``path``; ``ERRNO_EXIST`` if something is there already."""
    desc, path = _path_arg(env, fd, E.RIGHTS_PATH_CREATE_DIRECTORY, path_ptr, path_len)
    r = resolve(desc.host_path, path, follow=False)
    if r.exists:
        return E.ERRNO_EXIST
    os.mkdir(r.host_path, 0o777)
    return E.ERRNO_SUCCESS


def path_unlink_file(env: WasiEnv, fd: int, path_ptr: int, path_len: int) -> int:
    """witx ``path_unlink_file(fd, path: string)`` (like ``unlinkat(fd, path, 0)``): remove the
    file (or symbolic link) ``path``; ``ERRNO_ISDIR`` for a directory."""
    desc, path = _path_arg(env, fd, E.RIGHTS_PATH_UNLINK_FILE, path_ptr, path_len)
    r = resolve(desc.host_path, path, follow=False)
    if not r.exists:
        return E.ERRNO_NOENT
    if stat.S_ISDIR(r.st.st_mode):
        return E.ERRNO_ISDIR
    if r.must_be_dir:
        return E.ERRNO_NOTDIR
    os.unlink(r.host_path)
    return E.ERRNO_SUCCESS


def path_remove_directory(env: WasiEnv, fd: int, path_ptr: int, path_len: int) -> int:
    """witx ``path_remove_directory(fd, path: string)`` (like ``unlinkat(fd, path,
    AT_REMOVEDIR)``): remove the empty directory ``path``; ``ERRNO_NOTEMPTY`` if it is not
    empty, ``ERRNO_NOTDIR`` if it is not a directory, ``ERRNO_INVAL`` for the directory ``fd``
    itself."""
    desc, path = _path_arg(env, fd, E.RIGHTS_PATH_REMOVE_DIRECTORY, path_ptr, path_len)
    r = resolve(desc.host_path, path, follow=False)
    if not r.parts:
        return E.ERRNO_INVAL
    if not r.exists:
        return E.ERRNO_NOENT
    if not stat.S_ISDIR(r.st.st_mode):
        return E.ERRNO_NOTDIR
    try:
        os.rmdir(r.host_path)
    except OSError as exc:
        if exc.errno in (host_errno.ENOTEMPTY, host_errno.EEXIST):
            return E.ERRNO_NOTEMPTY
        raise
    return E.ERRNO_SUCCESS


# --- not implemented yet: ERRNO_NOSYS -----------------------------------------------------------------

def path_filestat_set_times(env: WasiEnv, fd: int, flags: int, path_ptr: int, path_len: int,
                            atim: int, mtim: int, fst_flags: int) -> int:
    """witx ``path_filestat_set_times(fd, flags: lookupflags, path: string, atim: timestamp,
    mtim: timestamp, fst_flags: fstflags)``: not implemented yet, ``ERRNO_NOSYS``."""
    return E.ERRNO_NOSYS


def path_link(env: WasiEnv, old_fd: int, old_flags: int, old_path_ptr: int, old_path_len: int,
              new_fd: int, new_path_ptr: int, new_path_len: int) -> int:
    """witx ``path_link(old_fd, old_flags: lookupflags, old_path: string, new_fd,
    new_path: string)``: not implemented yet, ``ERRNO_NOSYS``."""
    return E.ERRNO_NOSYS


def path_readlink(env: WasiEnv, fd: int, path_ptr: int, path_len: int, buf: int, buf_len: int,
                  bufused_ptr: int) -> int:
    """witx ``path_readlink(fd, path: string, buf: pointer<u8>, buf_len: size) -> size``: not
    implemented yet, ``ERRNO_NOSYS``."""
    return E.ERRNO_NOSYS


def path_rename(env: WasiEnv, fd: int, old_path_ptr: int, old_path_len: int, new_fd: int,
                new_path_ptr: int, new_path_len: int) -> int:
    """witx ``path_rename(fd, old_path: string, new_fd, new_path: string)``: not implemented yet,
    ``ERRNO_NOSYS``."""
    return E.ERRNO_NOSYS


def path_symlink(env: WasiEnv, old_path_ptr: int, old_path_len: int, fd: int, new_path_ptr: int,
                 new_path_len: int) -> int:
    """witx ``path_symlink(old_path: string, fd, new_path: string)``: not implemented yet,
    ``ERRNO_NOSYS``."""
    return E.ERRNO_NOSYS
