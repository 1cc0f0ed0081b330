"""The Windows side of ``dirfd``: pinned directory handles instead of directory descriptors.

Python has no ``dir_fd`` on Windows, so a guest path must in the end reach the OS as a path
string. What keeps that string honest:

- every directory on the way (the preopen, each directory the resolver walks through, each
  directory descriptor ``path_open`` makes) is held open by a ``WinDir``: a handle opened with
  ``CreateFileW(FILE_FLAG_BACKUP_SEMANTICS | FILE_FLAG_OPEN_REPARSE_POINT)`` and a share mode
  without ``FILE_SHARE_DELETE``, so nobody (guest or host) can rename, move or remove that
  directory while it is held; a ``WinDir`` also holds its parent, up to the preopen, so the
  whole chain from the root stays in place and its path string keeps naming the same
  directories;
- its ``path`` is what ``GetFinalPathNameByHandleW`` says the handle is, checked to be
  exactly ``parent.path`` plus the one name asked for (so a name that was swapped for a
  junction or a symbolic link, or that Windows resolved to something else, is refused);
- a component that is a reparse point (symbolic link or junction) is never opened: ``stat_at``
  reports it as a symbolic link, the resolver reads it (``os.readlink``) and expands it inside
  the sandbox (an absolute target, which every junction has, gives ``ERRNO_NOTCAPABLE``);
- ``resolve.check_component`` already refused names Windows would read as more than one plain
  name (``\\``, ``:``, trailing dots or spaces, device names).

What remains (see RATIONALE.md): the final component of an operation is named by path, so a
host process that swaps it for a junction between whisk's look and the operation could make
that one operation follow it; the guest alone cannot (it cannot make junctions, and the
symbolic links it makes are checked).

The module imports on every OS (the Win32 functions are loaded on first use) so that its pure
helpers can be tested anywhere.
"""

from __future__ import annotations

import ctypes
import errno as host_errno
import ntpath
import os
import stat
from typing import Any

__all__ = ["WinDir", "open_root", "open_child", "close", "stat_at", "readlink_at", "at",
           "fsync", "scandir", "join", "is_child"]

_FILE_READ_ATTRIBUTES = 0x80
_FILE_LIST_DIRECTORY = 0x01
_SYNCHRONIZE = 0x100000
_FILE_SHARE_READ = 0x1
_FILE_SHARE_WRITE = 0x2                 # no FILE_SHARE_DELETE (0x4): the directory is pinned
_OPEN_EXISTING = 3
_FILE_FLAG_BACKUP_SEMANTICS = 0x02000000     # needed to open a directory
_FILE_FLAG_OPEN_REPARSE_POINT = 0x00200000   # open a link or junction itself, never follow it
_FILE_ATTRIBUTE_DIRECTORY = 0x10
_FILE_ATTRIBUTE_REPARSE_POINT = 0x400
_IO_REPARSE_TAG_SYMLINK = 0xA000000C
_IO_REPARSE_TAG_MOUNT_POINT = 0xA0000003     # a junction
_NAME_SURROGATE = 0x20000000                 # the tag bit of links and junctions

_kernel32: Any = None


_FILE_ATTRIBUTE_TAG_INFO = 9                 # the FILE_INFO_BY_HANDLE_CLASS


class _TagInfo(ctypes.Structure):
    """FILE_ATTRIBUTE_TAG_INFO: the attributes and the reparse tag of an open handle."""
    _fields_ = [("attributes", ctypes.c_uint32), ("tag", ctypes.c_uint32)]


def _k32() -> Any:
    global _kernel32
    if _kernel32 is None:
        from ctypes import wintypes
        k = getattr(ctypes, "WinDLL")("kernel32", use_last_error=True)
        k.CreateFileW.argtypes = [wintypes.LPCWSTR, wintypes.DWORD, wintypes.DWORD,
                                  wintypes.LPVOID, wintypes.DWORD, wintypes.DWORD,
                                  wintypes.HANDLE]
        k.CreateFileW.restype = wintypes.HANDLE
        k.GetFinalPathNameByHandleW.argtypes = [wintypes.HANDLE, wintypes.LPWSTR,
                                                wintypes.DWORD, wintypes.DWORD]
        k.GetFinalPathNameByHandleW.restype = wintypes.DWORD
        k.GetFileInformationByHandleEx.argtypes = [wintypes.HANDLE, ctypes.c_int,
                                                   ctypes.POINTER(_TagInfo), wintypes.DWORD]
        k.GetFileInformationByHandleEx.restype = wintypes.BOOL
        k.CloseHandle.argtypes = [wintypes.HANDLE]
        k.CloseHandle.restype = wintypes.BOOL
        _kernel32 = k
    return _kernel32


def _error(path: str) -> OSError:
    code = getattr(ctypes, "get_last_error")()       # Windows-only names: no stubs elsewhere
    exc: OSError = getattr(ctypes, "WinError")(code)
    exc.filename = path
    return exc


def _open_handle(path: str, follow: bool) -> Any:
    flags = _FILE_FLAG_BACKUP_SEMANTICS | (0 if follow else _FILE_FLAG_OPEN_REPARSE_POINT)
    handle = _k32().CreateFileW(path, _FILE_READ_ATTRIBUTES | _FILE_LIST_DIRECTORY | _SYNCHRONIZE,
                                _FILE_SHARE_READ | _FILE_SHARE_WRITE, None, _OPEN_EXISTING,
                                flags, None)
    if handle is None or handle == ctypes.c_void_p(-1).value:
        raise _error(path)
    return handle


def _attributes(handle: Any, path: str) -> tuple[int, int]:
    """The file attributes and reparse tag (0 unless a reparse point) of an open handle."""
    info = _TagInfo()
    if not _k32().GetFileInformationByHandleEx(handle, _FILE_ATTRIBUTE_TAG_INFO,
                                               ctypes.byref(info), ctypes.sizeof(info)):
        raise _error(path)
    return int(info.attributes), int(info.tag)


def _final_path(handle: Any, path: str) -> str:
    size = 512
    while True:
        buf = ctypes.create_unicode_buffer(size)
        n = _k32().GetFinalPathNameByHandleW(handle, buf, size, 0)   # VOLUME_NAME_DOS
        if n == 0:
            raise _error(path)
        if n < size:
            return buf.value
        size = n + 1


def join(directory: str, name: str) -> str:
    """``directory`` plus one ``name`` (no normalisation: ``\\\\?\\`` paths are taken as
    they are, so exactly one separator goes in)."""
    return directory + name if directory.endswith("\\") else directory + "\\" + name


def is_child(final: str, parent: str, name: str) -> bool:
    """Whether the final path of a handle opened as ``join(parent, name)`` is that very entry
    (compared as Windows compares names: case-insensitively)."""
    return ntpath.normcase(final) == ntpath.normcase(join(parent, name))


class WinDir:
    """A directory pinned open: ``handle`` (no ``FILE_SHARE_DELETE``), ``path`` (its final
    path), ``parent`` (the ``WinDir`` it was opened in, held as long as this one is).
    Reference-counted: ``open_child(d, None)`` hands out ``d`` again, ``close`` drops one
    reference and closes the handle (then drops the parent) when none is left."""

    __slots__ = ("handle", "path", "parent", "refs")

    def __init__(self, handle: Any, path: str, parent: "WinDir | None"):
        self.handle = handle
        self.path = path
        self.parent = parent
        self.refs = 1

    def __repr__(self) -> str:
        return f"<WinDir {self.path!r}>"


def open_root(path: str) -> Any:
    """Pin the host directory ``path`` (a preopen: the embedder's choice, so a link or
    junction as the preopen itself is followed)."""
    handle = _open_handle(path, follow=True)
    try:
        if not _attributes(handle, path)[0] & _FILE_ATTRIBUTE_DIRECTORY:
            raise NotADirectoryError(host_errno.ENOTDIR, "not a directory", path)
        return WinDir(handle, _final_path(handle, path), None)
    except BaseException:
        _k32().CloseHandle(handle)
        raise


def open_child(parent: Any, name: str | None, walk: bool = False) -> Any:
    """Pin the directory ``name`` in ``parent`` (``parent`` itself for None) without following
    a reparse point: a link or junction (a name-surrogate reparse point; others, such as
    cloud-file placeholders, are directories like any) raises ``OSError(ELOOP)``, a file
    ``ENOTDIR``, and a
    final path that is not ``parent.path`` plus ``name`` ``ELOOP`` (the resolver looks
    again). ``walk`` makes no difference here."""
    if name is None:
        parent.refs += 1
        return parent
    path = join(parent.path, name)
    handle = _open_handle(path, follow=False)
    try:
        attrs, tag = _attributes(handle, path)
        if attrs & _FILE_ATTRIBUTE_REPARSE_POINT and tag & _NAME_SURROGATE:
            raise OSError(host_errno.ELOOP, "a link or junction", path)
        if not attrs & _FILE_ATTRIBUTE_DIRECTORY:
            raise NotADirectoryError(host_errno.ENOTDIR, "not a directory", path)
        final = _final_path(handle, path)
        if not is_child(final, parent.path, name):
            raise OSError(host_errno.ELOOP, f"opened as {final!r}", path)
    except BaseException:
        _k32().CloseHandle(handle)
        raise
    parent.refs += 1
    return WinDir(handle, final, parent)


def close(handle: Any) -> None:
    """Drop one reference to the ``WinDir`` ``handle``; the last closes its Win32 handle,
    then drops its parent."""
    d = handle
    while d is not None:
        d.refs -= 1
        if d.refs > 0:
            return
        _k32().CloseHandle(d.handle)
        d.handle, d = None, d.parent


def at(parent: Any, name: str | None) -> tuple[str, Any]:
    """``(path, None)``: ``name`` in the pinned ``parent`` (``parent`` itself for None)."""
    return (parent.path if name is None else join(parent.path, name)), None


def stat_at(parent: Any, name: str | None, follow: bool = False) -> os.stat_result:
    """``lstat`` of ``name`` in ``parent``; a junction (or any name-surrogate reparse point)
    is reported as a symbolic link, so the resolver reads it instead of entering it."""
    path, _ = at(parent, name)
    st = os.stat(path, follow_symlinks=follow)
    attrs = getattr(st, "st_file_attributes", 0)
    tag = getattr(st, "st_reparse_tag", 0)
    if not follow and attrs & _FILE_ATTRIBUTE_REPARSE_POINT and tag & _NAME_SURROGATE \
            and not stat.S_ISLNK(st.st_mode):
        extra = {f: getattr(st, f) for f in ("st_atime_ns", "st_mtime_ns", "st_ctime_ns",
                                             "st_file_attributes", "st_reparse_tag")}
        st = os.stat_result((stat.S_IFLNK | 0o777,) + tuple(st)[1:], extra)
    return st


def readlink_at(parent: Any, name: str) -> str:
    """The target of the link or junction ``name`` in ``parent``."""
    return os.readlink(join(parent.path, name))


def fsync(handle: Any) -> None:
    """Nothing: Windows cannot flush a directory handle opened for reading."""


def scandir(handle: Any) -> Any:
    """``os.scandir`` of the pinned directory's path."""
    return os.scandir(handle.path)
