"""Helpers of the WASI escape suite (test_wasi_escape.py): a sandbox next to an "outside"
directory holding a secret, a record of everything outside the sandbox, and the battery of
operations that would read, create, change or list something through a path."""

from __future__ import annotations

import os
import struct
from pathlib import Path

from whisk.wasi import errno as E

SECRET = b"the secret"
FOLLOW = E.LOOKUPFLAGS_SYMLINK_FOLLOW


def host_tree(base: Path, skip: Path | None = None) -> dict[str, tuple]:
    """Everything under ``base`` (but ``skip``): relative path -> ("dir",) / ("file", bytes,
    mtime_ns) / ("link", target). Symbolic links are recorded, never followed."""
    tree: dict[str, tuple] = {}
    for dirpath, dirnames, filenames in os.walk(base, followlinks=False):
        for name in dirnames + filenames:
            path = Path(dirpath, name)
            if skip is not None and path == skip:
                continue
            rel = str(path.relative_to(base))
            if path.is_symlink():
                tree[rel] = ("link", os.readlink(path))
            elif path.is_dir():
                tree[rel] = ("dir",)
            else:
                tree[rel] = ("file", path.read_bytes(), path.stat().st_mtime_ns)
        if skip is not None:
            dirnames[:] = [d for d in dirnames if Path(dirpath, d) != skip]
    return tree


def listing(g, fd: int) -> tuple[int, list[bytes]]:
    """``(errno, names)`` of one ``fd_readdir`` of ``fd`` from cookie 0 (a 4 KiB buffer)."""
    size = 4096
    buf, used = g.alloc(size), g.alloc(4)
    err = g.fd_readdir(fd, buf, size, 0, used)
    if err:
        return err, []
    names, at, end = [], buf, buf + g.u32(used)
    while at + 24 <= end:
        _, _, namlen, _ = struct.unpack_from("<QQIB", g.mem, at)
        names.append(g.bytes(at + 24, namlen))
        at += 24 + namlen
    return 0, names


def read_file(g, fd: int, path: str, lookup: int = FOLLOW) -> tuple[int, bytes]:
    """``(errno, contents)`` of ``path`` opened for reading through ``fd``."""
    err, new = g.open(fd, path, 0, E.RIGHTS_FD_READ, 0, lookup=lookup)
    if err:
        return err, b""
    try:
        err, data = g.read(new, 4096)
        return err, data
    finally:
        g.fd_close(new)


def attempts(g, fd: int, prefix: str) -> dict[str, int]:
    """Try every kind of access to ``prefix/secret.txt`` and the directory ``prefix`` through
    the directory descriptor ``fd``: the errno of each (0 would mean it worked)."""
    p = f"{prefix}/" if prefix else ""
    stat_buf = g.alloc(64)
    results = {}
    err, data = read_file(g, fd, f"{p}secret.txt")
    results["read"] = err if err or SECRET not in data else 0
    err, new = g.open(fd, f"{p}created.txt", E.OFLAGS_CREAT, -1, 0)
    results["create"] = err
    if not err:
        g.fd_close(new)
    err, new = g.open(fd, f"{p}secret.txt", E.OFLAGS_TRUNC, E.RIGHTS_FD_WRITE, 0)
    results["truncate"] = err
    if not err:
        g.fd_close(new)
    results["stat"] = g.path_filestat_get(fd, FOLLOW, *g.path(f"{p}secret.txt"), stat_buf)
    results["mkdir"] = g.path_create_directory(fd, *g.path(f"{p}newdir"))
    results["unlink"] = g.path_unlink_file(fd, *g.path(f"{p}secret.txt"))
    results["rename in"] = g.path_rename(fd, *g.path(f"{p}secret.txt"), 3, *g.path("stolen"))
    results["link in"] = g.path_link(fd, 0, *g.path(f"{p}secret.txt"), 3, *g.path("linked"))
    results["symlink"] = g.path_symlink(*g.path("x"), fd, *g.path(f"{p}newlink"))
    results["set times"] = g.path_filestat_set_times(fd, FOLLOW, *g.path(f"{p}secret.txt"),
                                                     0, 0, E.FSTFLAGS_MTIM_NOW)
    err, dir_fd = g.open(fd, prefix or ".", E.OFLAGS_DIRECTORY)
    if not err:
        err, names = listing(g, dir_fd)
        g.fd_close(dir_fd)
        if not err and b"secret.txt" not in names:
            err = -1                         # opened, but not the outside: counts as refused
    results["list"] = err
    return results
