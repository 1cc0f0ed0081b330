"""The sandboxed path resolution every ``path_*`` function of wasi_snapshot_preview1 goes through.

A path is resolved relative to a directory descriptor, whose host directory is the root of a
sandbox:

- paths use ``/`` separators on every host OS; an absolute path is refused
  (``ERRNO_NOTCAPABLE``; wasi-libc already turns ``/guest/path`` into a preopen plus a relative
  path);
- ``..`` cannot climb above the directory (``ERRNO_NOTCAPABLE``);
- symbolic links are expanded by whisk, component by component, under the same rules: a link
  target that is absolute, or that climbs out, gives ``ERRNO_NOTCAPABLE``; more than
  ``MAX_SYMLINKS`` expansions give ``ERRNO_LOOP``. So the host path handed to the OS contains
  no symbolic link, except a final one the guest asked not to follow (``lookupflags`` without
  ``SYMLINK_FOLLOW``), which the operations then act on itself;
- on Windows a component containing ``\\`` or ``:`` (a second separator, a drive or an
  alternate data stream), ending in ``.`` or a space (Windows strips those, so ``.. `` would
  be ``..``), or naming a device (``CON``, ``NUL``, ``COM1``, ...) is refused with
  ``ERRNO_NOTCAPABLE``.

The checks are done with ``lstat`` before the operation, so a host process that swaps a
directory for a symbolic link at the same moment could race them; the guest alone cannot
escape.
"""

from __future__ import annotations

import os
import stat
from typing import NamedTuple

from . import errno as E
from .env import WasiErrno

__all__ = ["resolve", "Resolved", "check_symlink_target", "MAX_SYMLINKS"]

#: Largest number of symbolic link expansions in one resolution (Linux's MAXSYMLINKS).
MAX_SYMLINKS = 40

WINDOWS = os.name == "nt"
_WINDOWS_DEVICES = frozenset(
    ["CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$"]
    + [f"{d}{i}" for d in ("COM", "LPT") for i in "123456789\u00b9\u00b2\u00b3"])


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

    @property
    def is_dir(self) -> bool:
        return self.st is not None and stat.S_ISDIR(self.st.st_mode)

    @property
    def is_symlink(self) -> bool:
        return self.st is not None and stat.S_ISLNK(self.st.st_mode)


def check_component(name: str) -> None:
    """Refuse (``ERRNO_NOTCAPABLE``) a path component the host OS would read as more than one
    plain name (only Windows has such names)."""
    if WINDOWS and ("\\" in name or ":" in name or name[-1] in ". "
                    or name.split(".")[0].rstrip(" ").upper() in _WINDOWS_DEVICES):
        raise WasiErrno(E.ERRNO_NOTCAPABLE)


def _link_target(host: str) -> list[str]:
    """The components of the symbolic link ``host``'s target; an absolute target gives
    ``ERRNO_NOTCAPABLE``."""
    target = os.readlink(host)
    if WINDOWS:
        target = target.replace("\\", "/")
    if not target:
        raise WasiErrno(E.ERRNO_NOENT)
    if target.startswith("/") or os.path.isabs(target) or (WINDOWS and ":" in target):
        raise WasiErrno(E.ERRNO_NOTCAPABLE)
    return target.split("/")


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
        check_component(name)
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
            pending.extend(reversed(_link_target(host)))
            continue
        if not stat.S_ISDIR(st.st_mode) and not stat.S_ISLNK(st.st_mode) and (
                not last or must_be_dir):
            raise WasiErrno(E.ERRNO_NOTDIR)
        done.append(name)
    host = os.path.join(root, *done)
    if st is None:                         # the root itself, or a directory reached by ".."
        st = os.stat(host)
    return Resolved(host, tuple(done), st, must_be_dir)


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
