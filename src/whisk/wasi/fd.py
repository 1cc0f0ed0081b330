"""File descriptor functions of wasi_snapshot_preview1: ``fd_*``.

Sizes, offsets and lengths are in bytes; timestamps in nanoseconds. Out-parameters are
pointers into the guest's linear memory; every pointer and length argument is an i32 that
arrives signed and is read as u32.
"""

from __future__ import annotations

import os
import struct

from . import errno as E
from .env import (U32, U64, Descriptor, WasiEnv, WasiErrno, check_range, host_filetype,
                  pack_filestat, read_iovecs)

_FDSTAT = struct.Struct("<BxHxxxxQQ")       # filetype u8, fs_flags u16 @2, base @8, inheriting @16
_DIRENT = struct.Struct("<QQIB3x")          # d_next, d_ino, d_namlen, d_type
_FDFLAGS_ALL = (E.FDFLAGS_APPEND | E.FDFLAGS_DSYNC | E.FDFLAGS_NONBLOCK | E.FDFLAGS_RSYNC
                | E.FDFLAGS_SYNC)


def _io_target(env: WasiEnv, fd: int, rights: int) -> Descriptor:
    """The descriptor for a read/write/seek/tell: a directory gives ``ERRNO_BADF``, a missing
    right ``ERRNO_NOTCAPABLE``."""
    desc = env.get(fd)
    if desc.kind == "dir":
        raise WasiErrno(E.ERRNO_BADF)
    if (desc.rights_base & rights) != rights:
        raise WasiErrno(E.ERRNO_NOTCAPABLE)
    return desc


def _write_all(stream, data: bytes) -> None:
    """Write all of ``data`` to a host stream (raw streams may take less per call), then flush."""
    view = memoryview(data)
    while view:
        done = stream.write(view)
        if done is None or done >= len(view):
            break
        view = view[done:]
    flush = getattr(stream, "flush", None)
    if flush is not None:
        flush()


def _store_u32(m: memoryview, ptr: int, value: int) -> None:
    struct.pack_into("<I", m, ptr, value)


# --- implemented ----------------------------------------------------------------------------------

def fd_write(env: WasiEnv, fd: int, iovs: int, iovs_len: int, nwritten_ptr: int) -> int:
    """witx ``fd_write(fd, iovs: ciovec_array) -> size`` (like POSIX ``writev``): write the
    ``iovs_len`` buffers described at ``iovs`` in order and store the number of bytes written
    (u32) at ``nwritten_ptr``. Standard streams are flushed after every call, so stdout and
    stderr output reaches the host in the order the guest wrote it."""
    desc = _io_target(env, fd, E.RIGHTS_FD_WRITE)
    m = env.mem()
    nwritten_ptr &= U32
    check_range(m, nwritten_ptr, 4)
    buffers = read_iovecs(m, iovs, iovs_len)
    if desc.kind == "stream":
        data = b"".join([m[buf:buf + n] for buf, n in buffers])
        if data:
            _write_all(desc.file, data)
        _store_u32(m, nwritten_ptr, len(data))
        return E.ERRNO_SUCCESS
    f = desc.file
    if desc.fdflags & E.FDFLAGS_APPEND:
        f.seek(0, os.SEEK_END)
    total = 0
    for buf, n in buffers:
        if not n:
            continue
        try:
            done = f.write(m[buf:buf + n])
        except OSError:
            if total:
                break
            raise
        if done is None:                    # non-blocking descriptor, would block
            if total:
                break
            return E.ERRNO_AGAIN
        total += done
        if done < n:
            break
    if desc.fdflags & (E.FDFLAGS_SYNC | E.FDFLAGS_DSYNC) and total:
        os.fsync(f.fileno())
    _store_u32(m, nwritten_ptr, total)
    return E.ERRNO_SUCCESS


def fd_read(env: WasiEnv, fd: int, iovs: int, iovs_len: int, nread_ptr: int) -> int:
    """witx ``fd_read(fd, iovs: iovec_array) -> size`` (like POSIX ``readv``): read into the
    ``iovs_len`` buffers described at ``iovs`` and store the number of bytes read (u32) at
    ``nread_ptr``; 0 means end of file. A standard input stream returns what one read of the
    host stream gives (it does not wait to fill every buffer)."""
    desc = _io_target(env, fd, E.RIGHTS_FD_READ)
    m = env.mem()
    nread_ptr &= U32
    check_range(m, nread_ptr, 4)
    buffers = read_iovecs(m, iovs, iovs_len)
    total = 0
    if desc.kind == "stream":
        want = sum(n for _, n in buffers)
        if want:
            stream = desc.file
            read1 = getattr(stream, "read1", None)
            data = read1(want) if read1 is not None else stream.read(want)
            data = data or b""
            for buf, n in buffers:
                chunk = data[total:total + n]
                m[buf:buf + len(chunk)] = chunk
                total += len(chunk)
                if total >= len(data):
                    break
        _store_u32(m, nread_ptr, total)
        return E.ERRNO_SUCCESS
    f = desc.file
    for buf, n in buffers:
        if not n:
            continue
        try:
            done = f.readinto(m[buf:buf + n])
        except OSError:
            if total:
                break
            raise
        if done is None:
            if total:
                break
            return E.ERRNO_AGAIN
        total += done
        if done < n:
            break
    _store_u32(m, nread_ptr, total)
    return E.ERRNO_SUCCESS


def fd_seek(env: WasiEnv, fd: int, offset: int, whence: int, newoffset_ptr: int) -> int:
    """witx ``fd_seek(fd, offset: filedelta, whence) -> filesize`` (like POSIX ``lseek``): move
    the file offset by ``offset`` bytes (signed i64) from the start (``WHENCE_SET``), the
    current offset (``WHENCE_CUR``) or the end (``WHENCE_END``) and store the new offset from
    the start (u64) at ``newoffset_ptr``. Standard streams give ``ERRNO_SPIPE``; a resulting
    negative offset ``ERRNO_INVAL``."""
    desc = env.get(fd)
    if desc.kind == "stream":
        return E.ERRNO_SPIPE
    if desc.kind == "dir":
        return E.ERRNO_BADF
    whence &= U32
    if whence not in (E.WHENCE_SET, E.WHENCE_CUR, E.WHENCE_END):
        return E.ERRNO_INVAL
    # fd_seek needs RIGHTS_FD_SEEK; a seek that leaves the offset alone needs only FD_TELL
    needed = E.RIGHTS_FD_TELL if (whence == E.WHENCE_CUR and offset == 0) else E.RIGHTS_FD_SEEK
    if not desc.rights_base & (needed | E.RIGHTS_FD_SEEK):
        return E.ERRNO_NOTCAPABLE
    if offset >= 1 << 63:                   # accept an unsigned spelling of the i64 too
        offset -= 1 << 64
    m = env.mem()
    newoffset_ptr &= U32
    check_range(m, newoffset_ptr, 8)
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
    position = f.seek(target, os.SEEK_SET)
    struct.pack_into("<Q", m, newoffset_ptr, position & U64)
    return E.ERRNO_SUCCESS


def fd_tell(env: WasiEnv, fd: int, offset_ptr: int) -> int:
    """witx ``fd_tell(fd) -> filesize`` (like ``lseek(fd, 0, SEEK_CUR)``): store the current
    file offset (u64) at ``offset_ptr``. Standard streams give ``ERRNO_SPIPE``."""
    desc = env.get(fd)
    if desc.kind == "stream":
        return E.ERRNO_SPIPE
    if desc.kind == "dir":
        return E.ERRNO_BADF
    if not desc.rights_base & (E.RIGHTS_FD_TELL | E.RIGHTS_FD_SEEK):
        return E.ERRNO_NOTCAPABLE
    m = env.mem()
    offset_ptr &= U32
    check_range(m, offset_ptr, 8)
    struct.pack_into("<Q", m, offset_ptr, desc.file.tell() & U64)
    return E.ERRNO_SUCCESS


def fd_close(env: WasiEnv, fd: int) -> int:
    """witx ``fd_close(fd)`` (like POSIX ``close``): remove ``fd`` from the table and close the
    host file behind it. Closing a standard stream only flushes the host stream (it belongs to
    the embedder); closing a preopened directory is allowed."""
    desc = env.get(fd)
    del env.fds[fd & U32]
    if desc.kind == "file":
        desc.file.close()
    elif desc.kind == "stream":
        flush = getattr(desc.file, "flush", None)
        if flush is not None:
            flush()
    return E.ERRNO_SUCCESS


def fd_fdstat_get(env: WasiEnv, fd: int, stat_ptr: int) -> int:
    """witx ``fd_fdstat_get(fd) -> fdstat``: store the descriptor's ``fdstat`` (24 bytes:
    filetype u8, fdflags u16 at offset 2, base rights u64 at 8, inheriting rights u64 at 16) at
    ``stat_ptr``."""
    desc = env.get(fd)
    m = env.mem()
    stat_ptr &= U32
    check_range(m, stat_ptr, E.SIZEOF_FDSTAT)
    _FDSTAT.pack_into(m, stat_ptr, desc.filetype, desc.fdflags, desc.rights_base,
                      desc.rights_inheriting)
    return E.ERRNO_SUCCESS


def fd_fdstat_set_flags(env: WasiEnv, fd: int, flags: int) -> int:
    """witx ``fd_fdstat_set_flags(fd, flags: fdflags)`` (like ``fcntl(F_SETFL)``): replace the
    descriptor's flags. ``FDFLAGS_APPEND`` makes every write go to the end of the file;
    ``FDFLAGS_SYNC``/``DSYNC`` make writes ``fsync``; the others are recorded. Unknown bits give
    ``ERRNO_INVAL``."""
    desc = env.get(fd, E.RIGHTS_FD_FDSTAT_SET_FLAGS)
    flags &= U32
    if flags & ~_FDFLAGS_ALL:
        return E.ERRNO_INVAL
    desc.fdflags = flags
    return E.ERRNO_SUCCESS


def fd_filestat_get(env: WasiEnv, fd: int, buf_ptr: int) -> int:
    """witx ``fd_filestat_get(fd) -> filestat``: store the ``filestat`` (64 bytes: dev, ino,
    filetype, nlink, size in bytes, atim, mtim, ctim in ns) of the open file at ``buf_ptr``.
    A standard stream without a host file descriptor reports zeros and its filetype."""
    desc = env.get(fd, E.RIGHTS_FD_FILESTAT_GET)
    m = env.mem()
    buf_ptr &= U32
    check_range(m, buf_ptr, E.SIZEOF_FILESTAT)
    if desc.kind == "file":
        st = os.fstat(desc.file.fileno())
        pack_filestat(m, buf_ptr, st)
    elif desc.kind == "dir":
        pack_filestat(m, buf_ptr, os.stat(desc.host_path), E.FILETYPE_DIRECTORY)
    else:
        try:
            st = os.fstat(desc.file.fileno())
        except (AttributeError, OSError, ValueError):
            st = None
        pack_filestat(m, buf_ptr, st, desc.filetype)
    return E.ERRNO_SUCCESS


def fd_prestat_get(env: WasiEnv, fd: int, buf_ptr: int) -> int:
    """witx ``fd_prestat_get(fd) -> prestat``: for a preopened directory store its ``prestat``
    (8 bytes: tag u8 ``PREOPENTYPE_DIR``, then the name length u32 at offset 4) at ``buf_ptr``;
    any other descriptor gives ``ERRNO_BADF`` (wasi-libc scans fds from 3 until that)."""
    desc = env.get(fd)
    if desc.preopen is None:
        return E.ERRNO_BADF
    m = env.mem()
    buf_ptr &= U32
    check_range(m, buf_ptr, E.SIZEOF_PRESTAT)
    struct.pack_into("<B3xI", m, buf_ptr, E.PREOPENTYPE_DIR, len(desc.preopen))
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


def _directory_listing(desc: Descriptor) -> list[tuple[bytes, int, int]]:
    """``(name, inode, filetype)`` of every entry of a directory: ``.`` and ``..`` first, then
    the entries sorted by name (so cookies stay valid between calls)."""
    host = desc.host_path
    entries = [(b".", os.stat(host).st_ino, E.FILETYPE_DIRECTORY)]
    try:
        parent_ino = os.stat(os.path.join(host, os.pardir)).st_ino
    except OSError:
        parent_ino = 0
    entries.append((b"..", parent_ino, E.FILETYPE_DIRECTORY))
    found = []
    with os.scandir(host) as it:
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
    Entries are ``.``, ``..``, then the directory's names sorted."""
    desc = env.get(fd, E.RIGHTS_FD_READDIR)
    if desc.kind != "dir":
        return E.ERRNO_NOTDIR
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
    _store_u32(m, bufused_ptr, used)
    return E.ERRNO_SUCCESS


# --- not implemented yet: ERRNO_NOSYS ---------------------------------------------------------------

def fd_advise(env: WasiEnv, fd: int, offset: int, length: int, advice: int) -> int:
    """witx ``fd_advise(fd, offset: filesize, len: filesize, advice)``: not implemented yet,
    ``ERRNO_NOSYS``."""
    return E.ERRNO_NOSYS


def fd_allocate(env: WasiEnv, fd: int, offset: int, length: int) -> int:
    """witx ``fd_allocate(fd, offset: filesize, len: filesize)``: not implemented yet,
    ``ERRNO_NOSYS``."""
    return E.ERRNO_NOSYS


def fd_datasync(env: WasiEnv, fd: int) -> int:
    """witx ``fd_datasync(fd)``: not implemented yet, ``ERRNO_NOSYS``."""
    return E.ERRNO_NOSYS


def fd_fdstat_set_rights(env: WasiEnv, fd: int, fs_rights_base: int, fs_rights_inheriting: int) -> int:
    """witx ``fd_fdstat_set_rights(fd, fs_rights_base: rights, fs_rights_inheriting: rights)``:
    not implemented yet, ``ERRNO_NOSYS``."""
    return E.ERRNO_NOSYS


def fd_filestat_set_size(env: WasiEnv, fd: int, size: int) -> int:
    """witx ``fd_filestat_set_size(fd, size: filesize)``: not implemented yet, ``ERRNO_NOSYS``."""
    return E.ERRNO_NOSYS


def fd_filestat_set_times(env: WasiEnv, fd: int, atim: int, mtim: int, fst_flags: int) -> int:
    """witx ``fd_filestat_set_times(fd, atim: timestamp, mtim: timestamp, fst_flags: fstflags)``:
    not implemented yet, ``ERRNO_NOSYS``."""
    return E.ERRNO_NOSYS


def fd_pread(env: WasiEnv, fd: int, iovs: int, iovs_len: int, offset: int, nread_ptr: int) -> int:
    """witx ``fd_pread(fd, iovs: iovec_array, offset: filesize) -> size``: not implemented yet,
    ``ERRNO_NOSYS``."""
    return E.ERRNO_NOSYS


def fd_pwrite(env: WasiEnv, fd: int, iovs: int, iovs_len: int, offset: int, nwritten_ptr: int) -> int:
    """witx ``fd_pwrite(fd, iovs: ciovec_array, offset: filesize) -> size``: not implemented yet,
    ``ERRNO_NOSYS``."""
    return E.ERRNO_NOSYS


def fd_renumber(env: WasiEnv, fd: int, to: int) -> int:
    """witx ``fd_renumber(fd, to: fd)``: not implemented yet, ``ERRNO_NOSYS``."""
    return E.ERRNO_NOSYS


def fd_sync(env: WasiEnv, fd: int) -> int:
    """witx ``fd_sync(fd)``: not implemented yet, ``ERRNO_NOSYS``."""
    return E.ERRNO_NOSYS
