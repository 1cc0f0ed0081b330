"""Open host directories: what a WASI directory descriptor holds instead of a path string.

Every directory the guest has a descriptor for (each preopen, and each directory opened by
``path_open``) is an open host directory, a ``HostDir``. Guest paths are resolved from it one
component at a time (``resolve``), so a directory that is renamed, removed or replaced by a
symbolic link after it was opened cannot change what the descriptor designates.

On POSIX a handle is a directory file descriptor (``O_RDONLY | O_DIRECTORY | O_CLOEXEC``;
below the root also ``O_NOFOLLOW``) and every operation is an ``*at`` call: ``dir_fd=`` plus
one plain name, never following a symbolic link the resolver has not expanded itself. No path
string built from guest input reaches the OS.

On Windows (no ``dir_fd`` in Python) a handle is a ``winpath.WinDir``: a directory pinned
open without ``FILE_SHARE_DELETE`` (so it cannot be renamed, moved or removed while held),
whose verified final path is joined with one checked name per operation. See ``winpath`` and
RATIONALE.md ("The WASI sandbox: directory descriptors, not path strings").

The functions below are the only way the resolver and the ``path_*`` functions touch a
directory: ``open_root``, ``open_child``, ``close``, ``stat_at``, ``readlink_at``, ``at``,
``fsync`` and ``scandir``.
"""

from __future__ import annotations

import errno as host_errno
import os
import sys
from typing import Any

__all__ = ["HostDir", "open_root", "open_child", "close", "stat_at", "readlink_at", "at",
           "fsync", "scandir", "WINDOWS", "SWAPPED"]

WINDOWS = sys.platform == "win32"

#: Host errnos of ``open_child`` meaning "that name is no longer a plain directory" (it was
#: swapped for a symbolic link or a file after it was looked at): the resolver looks again.
SWAPPED = frozenset([host_errno.ELOOP, host_errno.ENOTDIR, host_errno.EMLINK])

if sys.platform == "win32":             # (spelled so that type checkers narrow on it)
    from .winpath import at, close, fsync, open_child, open_root, readlink_at, scandir, stat_at
else:
    #: The ``os`` functions whose ``dir_fd=`` form whisk relies on (all of them on Linux,
    #: macOS and the BSDs). A host lacking one makes that WASI call fail with
    #: ``ERRNO_NOTSUP`` (Python raises ``NotImplementedError``), never fall back to a path.
    NEEDED_DIR_FD = ("open", "stat", "readlink", "mkdir", "rmdir", "unlink", "rename", "link",
                     "symlink", "utime")

    _ROOT_FLAGS = os.O_RDONLY | os.O_DIRECTORY | getattr(os, "O_CLOEXEC", 0)
    _CHILD_FLAGS = _ROOT_FLAGS | os.O_NOFOLLOW
    #: Directories only walked through: ``O_PATH`` where the host has it (Linux), so that one
    #: the user may search but not list (mode 0o711, say) can be passed, as the OS allows.
    _WALK_FLAGS = (_CHILD_FLAGS & ~os.O_RDONLY) | os.O_PATH if hasattr(os, "O_PATH") \
        else _CHILD_FLAGS

    def open_root(path: str) -> Any:
        """Open the host directory ``path`` (a preopen, from the embedder's configuration)."""
        return os.open(path, _ROOT_FLAGS)

    def open_child(parent: Any, name: str | None, walk: bool = False) -> Any:
        """Open the directory ``name`` in ``parent`` (``parent`` itself again for None) without
        following a symbolic link: a link, or anything but a directory, raises ``OSError``
        (``ELOOP``/``ENOTDIR``/``EMLINK``, see ``SWAPPED``). ``walk``: only to resolve names
        in (``O_PATH`` on Linux: it cannot be listed, so never for a descriptor)."""
        return os.open("." if name is None else name, _WALK_FLAGS if walk else _CHILD_FLAGS,
                       dir_fd=parent)

    def close(handle: Any) -> None:
        """Close a handle from ``open_root`` or ``open_child``."""
        os.close(handle)

    def at(parent: Any, name: str | None) -> tuple[str, Any]:
        """``(path, dir_fd)`` arguments naming ``name`` in ``parent`` for an ``os`` function
        (``parent`` itself for None): ``(name, fd)`` here."""
        return ("." if name is None else name), parent

    def stat_at(parent: Any, name: str | None, follow: bool = False) -> os.stat_result:
        """``lstat`` (``stat`` if ``follow``) of ``name`` in ``parent`` (None: ``parent``)."""
        if name is None:
            return os.fstat(parent)
        return os.stat(name, dir_fd=parent, follow_symlinks=follow)

    def readlink_at(parent: Any, name: str) -> str:
        """The target of the symbolic link ``name`` in ``parent``."""
        return os.readlink(name, dir_fd=parent)

    def fsync(handle: Any) -> None:
        """Write the directory's entries through to the device (ignored where refused)."""
        try:
            os.fsync(handle)
        except OSError:
            pass

    def scandir(handle: Any) -> Any:
        """``os.scandir`` of the open directory (it works on a duplicate of the fd)."""
        return os.scandir(handle)


class HostDir:
    """The open host directory behind a WASI directory descriptor. ``handle`` is what the
    functions of this module take; ``path`` is the host path it was opened as (for messages
    and ``repr`` only: nothing is resolved through it on POSIX). ``close()`` is idempotent."""

    __slots__ = ("handle", "path")

    def __init__(self, handle: Any, path: str | None = None):
        self.handle = handle
        self.path = path

    @classmethod
    def open(cls, path: str) -> "HostDir":
        """Open the host directory ``path`` (a preopen)."""
        return cls(open_root(path), path)

    @property
    def closed(self) -> bool:
        return self.handle is None

    def close(self) -> None:
        handle, self.handle = self.handle, None
        if handle is not None:
            close(handle)

    def __del__(self) -> None:              # an environment nobody closed: do not leak the fd
        try:
            self.close()
        except Exception:
            pass

    def __repr__(self) -> str:
        return f"<HostDir {self.path!r} handle={self.handle!r}>"
