"""The sandboxed path resolution every ``path_*`` function of wasi_snapshot_preview1 goes through.

A path is resolved relative to a directory descriptor's open host directory
(``dirfd.HostDir``), which is the root of a sandbox:

- paths use ``/`` separators on every host OS; an absolute path is refused
  (``ERRNO_NOTCAPABLE``; wasi-libc already turns ``/guest/path`` into a preopen plus a relative
  path);
- the path is walked one component at a time: each directory on the way is opened relative to
  the one before (``openat`` with ``O_DIRECTORY | O_NOFOLLOW``; ``O_PATH`` on Linux), and the
  resolver keeps the stack of open directories, so ``..`` pops the stack (never handed to the
  OS) and cannot climb above the root (``ERRNO_NOTCAPABLE``); at most ``MAX_OPEN`` of them
  stay open, the outer ones being reopened by name the same way when ``..`` returns to them;
- symbolic links are read (``readlinkat``) and expanded by whisk under the same rules: a target
  that is absolute, or that climbs out, gives ``ERRNO_NOTCAPABLE``; more than ``MAX_SYMLINKS``
  expansions give ``ERRNO_LOOP``. The OS never follows a link: the final operation gets the
  open parent directory plus one plain name (``dir_fd=``), and a final link the guest asked not
  to follow (``lookupflags`` without ``SYMLINK_FOLLOW``) is acted on itself;
- on Windows a component containing ``\\`` or ``:`` (a second separator, a drive or an
  alternate data stream), ending in ``.`` or a space (Windows strips those, so ``.. `` would
  be ``..``), or naming a device (``CON``, ``NUL``, ``COM1``, ...) is refused with
  ``ERRNO_NOTCAPABLE``.

Because every step is relative to a directory that is already open, a directory renamed,
removed, or replaced by a symbolic link (by the guest or by a host process, even at the same
moment) cannot lead the resolution outside: a component swapped for a link between the look
and the open fails the ``O_NOFOLLOW`` open and is looked at again. On Windows the same holds
through pinned directory handles (``winpath``).

``resolve`` returns a ``Resolved``, which owns the directories it opened: use it in a ``with``
block (or call ``close()``).
"""

from __future__ import annotations

import os
import stat
from typing import Any

from . import dirfd
from . import errno as E
from .env import WasiErrno

__all__ = ["resolve", "Resolved", "check_symlink_target", "check_component", "MAX_SYMLINKS"]

#: Largest number of symbolic link expansions in one resolution (Linux's MAXSYMLINKS).
MAX_SYMLINKS = 40
#: Most directories one resolution keeps open at a time (see ``_Walk``). Not on Windows:
#: there every directory on the way stays pinned (``winpath``), and handles are plentiful.
MAX_OPEN = 32 if os.name != "nt" else 1 << 30

WINDOWS = dirfd.WINDOWS
_WINDOWS_DEVICES = frozenset(
    ["CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$"]
    + [f"{d}{i}" for d in ("COM", "LPT") for i in "123456789\u00b9\u00b2\u00b3"])


class Resolved:
    """The result of ``resolve``: the entry ``name`` in the open host directory ``dir`` (a
    ``dirfd`` handle), or ``dir`` itself when ``name`` is None (the path named the root).

    ``parts`` are the components below the root (no symbolic link among them but maybe the
    last, when not followed); ``st`` is the entry's ``lstat`` (None if it does not exist);
    ``must_be_dir`` whether the guest path ended in ``/``, ``/.`` or ``/..``. ``target`` and
    ``dir_fd`` are the arguments naming the entry for an ``os`` function
    (``os.unlink(r.target, dir_fd=r.dir_fd)``). ``close()`` closes the directories the
    resolution opened (not the root)."""

    __slots__ = ("dir", "name", "parts", "st", "must_be_dir", "_opened")

    def __init__(self, dir: Any, name: str | None, parts: tuple[str, ...],
                 st: os.stat_result | None, must_be_dir: bool, opened: list[Any]):
        self.dir = dir
        self.name = name
        self.parts = parts
        self.st = st
        self.must_be_dir = must_be_dir
        self._opened = opened

    @property
    def target(self) -> str:
        return dirfd.at(self.dir, self.name)[0]

    @property
    def dir_fd(self) -> Any:
        return dirfd.at(self.dir, self.name)[1]

    @property
    def exists(self) -> bool:
        return self.st is not None

    @property
    def is_dir(self) -> bool:
        return self.st is not None and stat.S_ISDIR(self.st.st_mode)

    @property
    def is_symlink(self) -> bool:
        return self.st is not None and stat.S_ISLNK(self.st.st_mode)

    def close(self) -> None:
        opened, self._opened = self._opened, []
        for handle in reversed(opened):
            dirfd.close(handle)

    def __enter__(self) -> "Resolved":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<Resolved {'/'.join(self.parts) or '.'!r} exists={self.exists}>"


def check_component(name: str) -> None:
    """Refuse (``ERRNO_NOTCAPABLE``) a path component the host OS would read as more than one
    plain name (only Windows has such names)."""
    if WINDOWS and ("\\" in name or ":" in name or name[-1] in ". "
                    or name.split(".")[0].rstrip(" ").upper() in _WINDOWS_DEVICES):
        raise WasiErrno(E.ERRNO_NOTCAPABLE)


def _link_target(parent: Any, name: str) -> list[str]:
    """The components of the target of the symbolic link ``name`` in ``parent``; an absolute
    target gives ``ERRNO_NOTCAPABLE``."""
    target = dirfd.readlink_at(parent, name)
    if WINDOWS:
        target = target.replace("\\", "/")
    if not target:
        raise WasiErrno(E.ERRNO_NOENT)
    if target.startswith("/") or os.path.isabs(target) or (WINDOWS and ":" in target):
        raise WasiErrno(E.ERRNO_NOTCAPABLE)
    return target.split("/")


class _Walk:
    """The directories a resolution has entered below its root, innermost last, as
    ``[handle, name]`` (``name`` in the one below). At most ``MAX_OPEN`` handles stay open, so
    a deep path cannot exhaust the host's descriptors: the outermost are closed and, when
    ``..`` comes back to one, reopened by name from the nearest open directory below it
    (``O_NOFOLLOW``, like every step), which keeps the walk inside the sandbox."""

    def __init__(self, root: Any):
        self.root = root
        self.entries: list[list[Any]] = []

    def __len__(self) -> int:
        return len(self.entries)

    def top(self) -> Any:
        """The innermost directory (the root when none was entered), open."""
        if not self.entries:
            return self.root
        if self.entries[-1][0] is None:
            i = len(self.entries) - 1
            while i >= 0 and self.entries[i][0] is None:
                i -= 1
            parent = self.entries[i][0] if i >= 0 else self.root
            for entry in self.entries[i + 1:]:
                entry[0] = parent = dirfd.open_child(parent, entry[1], walk=True)
                self._trim()
        return self.entries[-1][0]

    def push(self, handle: Any, name: str) -> None:
        self.entries.append([handle, name])
        self._trim()

    def pop(self) -> str:
        handle, name = self.entries.pop()
        if handle is not None:
            dirfd.close(handle)
        return str(name)

    def _trim(self) -> None:
        open_entries = [e for e in self.entries if e[0] is not None]
        for entry in open_entries[:max(0, len(open_entries) - MAX_OPEN)]:
            dirfd.close(entry[0])
            entry[0] = None

    def names(self) -> tuple[str, ...]:
        return tuple(name for _, name in self.entries)

    def handles(self) -> list[Any]:
        return [h for h, _ in self.entries if h is not None]

    def close(self) -> None:
        for entry in reversed(self.entries):
            if entry[0] is not None:
                dirfd.close(entry[0])
                entry[0] = None


def resolve(root: Any, path: str, follow: bool) -> Resolved:
    """Resolve the guest ``path`` inside the open host directory ``root`` (a ``dirfd``
    handle; ``HostDir.handle``).

    ``follow``: whether a symbolic link as the final component is expanded
    (``LOOKUPFLAGS_SYMLINK_FOLLOW``); links in the middle always are. The final component may
    not exist (``st`` None); a missing or non-directory component before it gives
    ``ERRNO_NOENT`` / ``ERRNO_NOTDIR``. Host errors (``OSError``) propagate; the directories
    opened on the way are closed then, and by ``Resolved.close()`` otherwise.
    """
    if not path:
        raise WasiErrno(E.ERRNO_NOENT)
    if path.startswith("/"):
        raise WasiErrno(E.ERRNO_NOTCAPABLE)
    raw = path.split("/")
    must_be_dir = raw[-1] in ("", ".", "..")
    pending = list(reversed(raw))          # components still to walk, next one last
    walk = _Walk(root)
    expansions = 0

    def done(name: str | None, st: os.stat_result | None) -> Resolved:
        parts = walk.names() + ((name,) if name is not None else ())
        return Resolved(walk.top(), name, parts, st, must_be_dir, walk.handles())

    try:
        while pending:
            name = pending.pop()
            if name in ("", "."):
                continue
            if name == "..":
                if not walk:
                    raise WasiErrno(E.ERRNO_NOTCAPABLE)
                walk.pop()
                continue
            check_component(name)
            last = all(p in ("", ".") for p in pending)
            parent = walk.top()
            try:
                st = dirfd.stat_at(parent, name)
            except FileNotFoundError:
                if last:
                    return done(name, None)
                raise WasiErrno(E.ERRNO_NOENT) from None
            except NotADirectoryError:
                raise WasiErrno(E.ERRNO_NOTDIR) from None
            if stat.S_ISLNK(st.st_mode) and (not last or follow or must_be_dir):
                expansions += 1
                if expansions > MAX_SYMLINKS:
                    raise WasiErrno(E.ERRNO_LOOP)
                pending.extend(reversed(_link_target(parent, name)))
                continue
            if last:
                if not stat.S_ISDIR(st.st_mode) and not stat.S_ISLNK(st.st_mode) and must_be_dir:
                    raise WasiErrno(E.ERRNO_NOTDIR)
                return done(name, st)
            if not stat.S_ISDIR(st.st_mode):
                raise WasiErrno(E.ERRNO_NOTDIR)
            try:
                child = dirfd.open_child(parent, name, walk=True)
            except OSError as exc:
                if exc.errno not in dirfd.SWAPPED:
                    raise
                expansions += 1                # swapped since the stat: look at it again
                if expansions > MAX_SYMLINKS:
                    raise WasiErrno(E.ERRNO_LOOP) from None
                pending.append(name)
                continue
            walk.push(child, name)
        # the path ended in "." or ".." : it names a directory entered, or the root
        if not walk:
            return done(None, dirfd.stat_at(root, None))
        name = walk.pop()
        return done(name, dirfd.stat_at(walk.top(), name))
    except BaseException:
        walk.close()
        raise


def check_symlink_target(target: str, depth: int) -> None:
    """Refuse (``ERRNO_NOTCAPABLE``) the target of a symbolic link the guest creates
    ``depth`` directories below the sandbox root if it is absolute or, read lexically, climbs
    above the root; an empty target gives ``ERRNO_NOENT``. Links inside the target are checked
    again whenever the new link is followed."""
    if not target:
        raise WasiErrno(E.ERRNO_NOENT)
    if target.startswith("/") or os.path.isabs(target):
        raise WasiErrno(E.ERRNO_NOTCAPABLE)
    for name in target.split("/"):
        if name in ("", "."):
            continue
        if name == "..":
            depth -= 1
            if depth < 0:
                raise WasiErrno(E.ERRNO_NOTCAPABLE)
            continue
        check_component(name)
        depth += 1
