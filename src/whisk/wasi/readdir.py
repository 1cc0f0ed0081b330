"""Directory listing of wasi_snapshot_preview1: ``fd_readdir``."""

from __future__ import annotations

import os
import struct

from . import dirfd
from . import errno as E
from .env import U32, U64, Descriptor, WasiEnv, check_range, host_filetype, store_u32

__all__ = ["fd_readdir"]

_DIRENT = struct.Struct("<QQIB3x")          # d_next, d_ino, d_namlen, d_type


def _directory_listing(desc: Descriptor) -> list[tuple[bytes, int, int]]:
    """``(name, inode, filetype)`` of every entry of a directory: ``.`` and ``..`` first, then
    the entries sorted by name (so cookies stay valid between calls)."""
    handle = desc.handle
    entries = [(b".", dirfd.stat_at(handle, None).st_ino, E.FILETYPE_DIRECTORY)]
    try:                        # only the inode number of ".." is read, for the entry
        parent_ino = dirfd.stat_at(handle, "..").st_ino
    except OSError:
        parent_ino = 0
    entries.append((b"..", parent_ino, E.FILETYPE_DIRECTORY))
    found = []
    with dirfd.scandir(handle) as it:
        for entry in it:
            try:
                if entry.is_symlink():
                    ftype = E.FILETYPE_SYMBOLIC_LINK
                elif entry.is_dir(follow_symlinks=False):
                    ftype = E.FILETYPE_DIRECTORY
                elif entry.is_file(follow_symlinks=False):
                    ftype = E.FILETYPE_REGULAR_FILE
                else:
                    ftype = host_filetype(entry.stat(follow_symlinks=False).st_mode)
                ino = entry.inode()
            except OSError:
                ftype, ino = E.FILETYPE_UNKNOWN, 0
            found.append((os.fsencode(entry.name), ino, ftype))
    found.sort()
    return entries + found


def fd_readdir(env: WasiEnv, fd: int, buf: int, buf_len: int, cookie: int, bufused_ptr: int) -> int:
    """witx ``fd_readdir(fd, buf: pointer<u8>, buf_len: size, cookie: dircookie) -> size``: fill
    ``buf`` with directory entries starting at entry number ``cookie`` (0 = the start), each a
    24-byte ``dirent`` (d_next u64 = the cookie of the next entry, d_ino u64, d_namlen u32,
    d_type u8) followed by the name; the last entry is cut off if the buffer is full. Stores
    the bytes used (u32) at ``bufused_ptr``: less than ``buf_len`` means the end was reached.
    Entries are ``.``, ``..``, then the directory's names sorted; the listing is read again
    when ``cookie`` is 0, so a cookie from one listing stays valid while the guest walks it.
    A descriptor that is not a directory gives ``ERRNO_NOTDIR``."""
    desc = env.get(fd)
    if desc.kind != "dir":
        return E.ERRNO_NOTDIR
    if not desc.rights_base & E.RIGHTS_FD_READDIR:
        return E.ERRNO_NOTCAPABLE
    m = env.mem()
    buf &= U32
    buf_len &= U32
    bufused_ptr &= U32
    cookie &= U64
    check_range(m, buf, buf_len)
    check_range(m, bufused_ptr, 4)
    if cookie == 0 or desc.dir_cache is None:
        desc.dir_cache = _directory_listing(desc)
    listing = desc.dir_cache
    out = bytearray()
    index = cookie
    while index < len(listing) and len(out) < buf_len:
        name, ino, ftype = listing[index]
        out += _DIRENT.pack(index + 1, ino & U64, len(name), ftype)
        out += name
        index += 1
    used = min(len(out), buf_len)
    m[buf:buf + used] = out[:used]
    store_u32(m, bufused_ptr, used)
    return E.ERRNO_SUCCESS
