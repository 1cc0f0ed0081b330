"""The WASI escape suite: every way a guest (or a host process racing it) could make a path
reach outside a preopen, tried through the real WASI functions (the Guest stand-in of
conftest.py). Each test ends by checking that nothing outside the sandbox was read, created,
changed or removed: ``tmp_path`` holds the preopened ``root`` and, next to it, ``outside``
with a secret file.

The symbolic-link cases need the host to let this user create links (Windows: developer mode
or admin); only those are skipped where it does not.
"""

from __future__ import annotations

import gc
import os
import sys

import pytest

from whisk.wasi import Preopen, dirfd
from whisk.wasi import errno as E

from escape_helpers import FOLLOW, SECRET, attempts, host_tree, listing, read_file

WINDOWS = os.name == "nt"


class Box:
    """The sandbox of one test: ``g`` (preopen ``/`` = ``root`` as fd 3), ``root``,
    ``outside`` (holding secret.txt), and ``untouched()``."""

    def __init__(self, make_guest, base, read_only=False):
        self.base = base
        self.root = base / "root"
        self.outside = base / "outside"
        self.root.mkdir()
        (self.root / "d" / "e").mkdir(parents=True)
        (self.root / "d" / "inner.txt").write_bytes(b"inner")
        (self.root / "file.txt").write_bytes(b"top")
        self.outside.mkdir()
        (self.outside / "secret.txt").write_bytes(SECRET)
        (base / "secret.txt").write_bytes(SECRET)          # one level up from the root too
        self.g = make_guest(preopens={"/": Preopen(self.root, read_only=read_only)})
        self.before = self.outside_tree()

    def outside_tree(self):
        return host_tree(self.base, skip=self.root)

    def untouched(self):
        """Nothing outside the sandbox changed (no file created, written, removed, moved)."""
        assert self.outside_tree() == self.before


@pytest.fixture
def box(make_guest, tmp_path):
    b = Box(make_guest, tmp_path)
    yield b
    b.untouched()


@pytest.fixture
def links_ok(symlinks_ok):
    if not symlinks_ok:
        pytest.skip("the host does not let this user create symbolic links")


def refused(results: dict[str, int]) -> dict[str, int]:
    """The operations of an ``attempts`` battery that worked (should be none)."""
    return {op: err for op, err in results.items() if err == 0}


# --- the attack of issue 11: a link to the root moved over an open directory -------------------

@pytest.mark.parametrize("move", ["path_rename", "path_link"])
def test_link_moved_over_an_open_directory(box, links_ok, move):
    """The guest makes p/l -> .. (allowed: it names the root), keeps a descriptor of the
    directory a, removes a and moves (or hard-links) p/l to a. With directories kept as path
    strings the old descriptor of a then meant root/.. : the parent of the sandbox."""
    g = box.g
    assert g.path_create_directory(3, *g.path("p")) == 0
    assert g.path_symlink(*g.path(".."), 3, *g.path("p/l")) == 0
    assert g.path_create_directory(3, *g.path("a")) == 0
    err, a = g.open(3, "a", E.OFLAGS_DIRECTORY)
    assert err == 0
    removed = g.path_remove_directory(3, *g.path("a"))
    if WINDOWS:          # an open directory is pinned: it cannot be removed, so no way in
        assert removed != 0
    else:
        assert removed == 0
        if move == "path_rename":
            assert g.path_rename(3, *g.path("p/l"), 3, *g.path("a")) == 0
        else:
            assert g.path_link(3, 0, *g.path("p/l"), 3, *g.path("a")) == 0
        assert os.path.islink(box.root / "a")
    # through the old descriptor of a: nothing outside can be reached
    assert refused(attempts(g, a, "outside")) == {}
    if removed == 0:                         # a removed directory: nothing can be made in it
        assert refused(attempts(g, a, "")) == {}
    err, names = listing(g, a)
    assert b"outside" not in names and b"root" not in names and b"secret.txt" not in names
    # through the root, the moved link is checked again when followed
    assert read_file(g, 3, "a/outside/secret.txt")[0] == E.ERRNO_NOTCAPABLE
    assert read_file(g, 3, "a/secret.txt")[0] == E.ERRNO_NOTCAPABLE


def test_link_moved_deeper_climbs_out(box, links_ok):
    """A link that was fine where the guest made it (d/e/l -> ../..) points out once moved to
    the root; following it is refused."""
    g = box.g
    assert g.path_symlink(*g.path("../.."), 3, *g.path("d/e/l")) == 0
    assert g.path_rename(3, *g.path("d/e/l"), 3, *g.path("l")) == 0
    assert refused(attempts(g, 3, "l/outside")) == {}
    assert read_file(g, 3, "l/secret.txt")[0] == E.ERRNO_NOTCAPABLE
    err, _ = g.open(3, "l", E.OFLAGS_DIRECTORY)
    assert err == E.ERRNO_NOTCAPABLE


# --- symbolic links the host planted -----------------------------------------------------------

@pytest.fixture
def planted(box, links_ok):
    r = box.root
    os.symlink(str(box.outside), r / "abs")                      # absolute
    os.symlink("../outside", r / "up")                            # a .. chain out
    os.symlink("../../../outside", r / "d" / "e" / "up3")         # relative, in a subdirectory
    os.symlink("..", r / "d" / "parent")                          # fine alone ...
    os.symlink("../..", r / "d" / "e" / "gp")                     # ... as is this
    os.symlink("d/e/gp/..", r / "chain")                          # but chained they climb out
    os.symlink(str(box.outside / "secret.txt"), r / "abs_file")
    os.symlink("../../secret.txt", r / "d" / "rel_file")
    return box


@pytest.mark.parametrize("prefix", ["abs", "up", "d/e/up3", "d/parent/..", "d/e/gp/..", "chain",
                                    "d/e/gp/../outside", "d/parent/d/e/up3"])
def test_planted_directory_links(planted, prefix):
    results = attempts(planted.g, 3, prefix)
    assert refused(results) == {}
    # the reads and stats that reach the link are refused as out of the sandbox
    assert results["read"] == results["stat"] == E.ERRNO_NOTCAPABLE


@pytest.mark.parametrize("path", ["abs_file", "d/rel_file", "up/secret.txt", "chain/secret.txt"])
def test_planted_file_links(planted, path):
    g = planted.g
    assert read_file(g, 3, path)[0] == E.ERRNO_NOTCAPABLE
    err, fd = g.open(3, path, E.OFLAGS_TRUNC, E.RIGHTS_FD_WRITE, 0)
    assert err == E.ERRNO_NOTCAPABLE
    assert g.path_link(3, FOLLOW, *g.path(path), 3, *g.path("stolen")) == E.ERRNO_NOTCAPABLE
    assert g.path_filestat_set_times(3, FOLLOW, *g.path(path), 0, 0,
                                     E.FSTFLAGS_MTIM_NOW) == E.ERRNO_NOTCAPABLE
    # not followed, the link itself is what is acted on (inside the sandbox)
    assert g.path_link(3, 0, *g.path(path), 3, *g.path("samelink")) in (0, E.ERRNO_NOTCAPABLE)
    assert g.path_unlink_file(3, *g.path(path)) in (0, E.ERRNO_NOTCAPABLE)


def test_planted_links_in_listings_are_only_names(planted):
    g = planted.g
    err, names = listing(g, 3)
    assert err == 0 and b"abs" in names and b"secret.txt" not in names


# --- links the guest makes ---------------------------------------------------------------------

@pytest.mark.parametrize("where,target", [
    ("l", ".."), ("l", "../outside"), ("l", "../outside/secret.txt"), ("d/l", "../.."),
    ("d/e/l", "../../../outside"), ("l", "d/../.."), ("l", "/"), ("l", "/etc/passwd"),
    ("d/l", "e/../../.."),
])
def test_guest_symlinks_out_are_refused(box, where, target):
    g = box.g
    assert g.path_symlink(*g.path(target), 3, *g.path(where)) == E.ERRNO_NOTCAPABLE
    assert not os.path.lexists(box.root / where)


def test_guest_symlink_absolute_host_path(box):
    g = box.g
    target = str(box.outside / "secret.txt")
    assert g.path_symlink(*g.path(target), 3, *g.path("l")) == E.ERRNO_NOTCAPABLE


# --- .. chains and absolute paths ---------------------------------------------------------------

@pytest.mark.parametrize("prefix", ["..", "../outside", "d/../..", "d/e/../../../outside",
                                    "./../outside", "d/./../..", "d/e/../../d/../../outside"])
def test_dotdot_chains(box, prefix):
    results = attempts(box.g, 3, prefix)
    assert refused(results) == {}
    assert results["read"] == E.ERRNO_NOTCAPABLE


@pytest.mark.parametrize("make", [lambda b: "/", lambda b: "/etc", lambda b: str(b.outside),
                                  lambda b: "//outside"])
def test_absolute_paths(box, make):
    results = attempts(box.g, 3, make(box))
    assert refused(results) == {}
    assert results["read"] == E.ERRNO_NOTCAPABLE


def test_dotdot_of_an_opened_directory_stops_at_it(box):
    """A directory descriptor is a root of its own: .. cannot climb out of it, even though the
    directory above is inside the preopen."""
    g = box.g
    err, d = g.open(3, "d", E.OFLAGS_DIRECTORY)
    assert err == 0
    assert read_file(g, d, "../file.txt")[0] == E.ERRNO_NOTCAPABLE
    assert read_file(g, d, "e/../inner.txt") == (0, b"inner")


# --- host changes between two guest calls -------------------------------------------------------

@pytest.mark.parametrize("how", ["renamed", "removed"])
@pytest.mark.parametrize("target", ["absolute", "relative"])
def test_directory_replaced_by_a_link(box, links_ok, how, target):
    """The host swaps the directory d, which the guest holds open, for a link out of the
    sandbox. The descriptor keeps meaning the original directory (or fails); it never follows
    the new link."""
    g = box.g
    err, d = g.open(3, "d", E.OFLAGS_DIRECTORY)
    assert err == 0
    try:
        if how == "renamed":
            os.rename(box.root / "d", box.root / "d_old")
        else:
            os.remove(box.root / "d" / "inner.txt")
            os.rmdir(box.root / "d" / "e")
            os.rmdir(box.root / "d")
    except PermissionError:
        assert WINDOWS, "only Windows pins an open directory"
        pytest.skip("Windows pins the open directory: the host cannot swap it")
    os.symlink(str(box.outside) if target == "absolute" else "../outside", box.root / "d")
    results = attempts(g, d, "")
    assert results["read"] != 0 and results["stat"] != 0 and results["list"] != 0
    err, names = listing(g, d)
    assert b"secret.txt" not in names
    if how == "renamed":                     # still the original directory, now d_old
        assert read_file(g, d, "inner.txt") == (0, b"inner")
        assert b"inner.txt" in names
        assert {"created.txt", "newdir", "newlink"} <= set(os.listdir(box.root / "d_old"))
    else:                                    # a removed directory: nothing can be made in it
        assert refused(results) == {}
    assert read_file(g, 3, "d/secret.txt")[0] == E.ERRNO_NOTCAPABLE


def test_component_swapped_while_resolving(box, links_ok, monkeypatch):
    """The race itself: the host swaps d for a link out just after the resolver looked at d
    and before it opens it. The O_NOFOLLOW open fails, the resolver looks again, sees the
    link and refuses it."""
    g = box.g
    real = dirfd.open_child
    swapped = []

    def racing(parent, name, **kwargs):
        if name == "d" and not swapped:
            os.rename(box.root / "d", box.root / "d_old")
            os.symlink(str(box.outside), box.root / "d")
            swapped.append(name)
        return real(parent, name, **kwargs)

    monkeypatch.setattr(dirfd, "open_child", racing)
    assert read_file(g, 3, "d/secret.txt")[0] == E.ERRNO_NOTCAPABLE
    assert swapped == ["d"]


# --- names the host cannot take -----------------------------------------------------------------

LONG_NAME = "n" * 300
NAME_ERRNOS = {E.ERRNO_NAMETOOLONG} | ({E.ERRNO_INVAL, E.ERRNO_NOENT} if WINDOWS else set())


def every_path_call(g, path):
    """The errno of each path function given ``path`` (each must return one: no exception)."""
    out, st = g.alloc(4), g.alloc(64)
    p = g.path(path)
    return {
        "open": g.path_open(3, FOLLOW, *p, 0, -1, -1, 0, out),
        "create": g.path_open(3, FOLLOW, *p, E.OFLAGS_CREAT, -1, -1, 0, out),
        "stat": g.path_filestat_get(3, FOLLOW, *p, st),
        "mkdir": g.path_create_directory(3, *p),
        "unlink": g.path_unlink_file(3, *p),
        "rmdir": g.path_remove_directory(3, *p),
        "readlink": g.path_readlink(3, *p, st, 64, out),
        "symlink": g.path_symlink(*g.path("file.txt"), 3, *p),
        "symlink target": g.path_symlink(*p, 3, *g.path("newlink")),
        "rename to": g.path_rename(3, *g.path("file.txt"), 3, *p),
        "link to": g.path_link(3, 0, *g.path("file.txt"), 3, *p),
        "set times": g.path_filestat_set_times(3, 0, *p, 0, 0, E.FSTFLAGS_MTIM_NOW),
    }


def test_nul_bytes(box):
    results = every_path_call(box.g, "file.txt\0/../../outside")
    assert set(results.values()) == {E.ERRNO_INVAL}
    assert (box.root / "file.txt").read_bytes() == b"top"


@pytest.mark.parametrize("path", [LONG_NAME, f"d/{LONG_NAME}", f"{LONG_NAME}/x"])
def test_component_too_long(box, path):
    results = every_path_call(box.g, path)
    assert all(isinstance(v, int) for v in results.values())
    for op, err in results.items():
        if op == "symlink target":           # the target of a link is only stored
            assert err in NAME_ERRNOS | {0}, op
        else:
            assert err in NAME_ERRNOS, op


def test_path_too_long(box):
    """Over 4096 bytes: resolved component by component, so it works or gives a clean errno;
    made of names that do not exist, it is ENOENT (or ENAMETOOLONG)."""
    g = box.g
    long_ok = "d/" + "./" * 2100 + "inner.txt"
    assert read_file(g, 3, long_ok) in ((0, b"inner"), (E.ERRNO_NAMETOOLONG, b""))
    results = every_path_call(g, "x/" * 2100 + "y")
    for op, err in results.items():
        assert err in (E.ERRNO_NOENT, E.ERRNO_NAMETOOLONG) or (op == "symlink target"
                                                               and err == 0), op
    up = "../" * 1400 + "outside/secret.txt"
    assert read_file(g, 3, up)[0] == E.ERRNO_NOTCAPABLE


# --- missing rights and read-only preopens -------------------------------------------------------

RIGHT_CALLS = [
    (E.RIGHTS_PATH_OPEN, lambda g: g.open(3, "file.txt", 0, E.RIGHTS_FD_READ, 0)[0]),
    (E.RIGHTS_PATH_CREATE_FILE, lambda g: g.open(3, "new.txt", E.OFLAGS_CREAT)[0]),
    (E.RIGHTS_PATH_FILESTAT_SET_SIZE, lambda g: g.open(3, "file.txt", E.OFLAGS_TRUNC)[0]),
    (E.RIGHTS_PATH_CREATE_DIRECTORY, lambda g: g.path_create_directory(3, *g.path("nd"))),
    (E.RIGHTS_PATH_UNLINK_FILE, lambda g: g.path_unlink_file(3, *g.path("file.txt"))),
    (E.RIGHTS_PATH_REMOVE_DIRECTORY, lambda g: g.path_remove_directory(3, *g.path("d/e"))),
    (E.RIGHTS_PATH_RENAME_SOURCE,
     lambda g: g.path_rename(3, *g.path("file.txt"), 3, *g.path("moved"))),
    (E.RIGHTS_PATH_RENAME_TARGET,
     lambda g: g.path_rename(3, *g.path("file.txt"), 3, *g.path("moved"))),
    (E.RIGHTS_PATH_LINK_SOURCE, lambda g: g.path_link(3, 0, *g.path("file.txt"), 3, *g.path("h"))),
    (E.RIGHTS_PATH_LINK_TARGET, lambda g: g.path_link(3, 0, *g.path("file.txt"), 3, *g.path("h"))),
    (E.RIGHTS_PATH_SYMLINK, lambda g: g.path_symlink(*g.path("file.txt"), 3, *g.path("s"))),
    (E.RIGHTS_PATH_READLINK, lambda g: g.path_readlink(3, *g.path("file.txt"), g.alloc(8), 8,
                                                       g.alloc(4))),
    (E.RIGHTS_PATH_FILESTAT_GET,
     lambda g: g.path_filestat_get(3, 0, *g.path("file.txt"), g.alloc(64))),
    (E.RIGHTS_PATH_FILESTAT_SET_TIMES,
     lambda g: g.path_filestat_set_times(3, 0, *g.path("file.txt"), 0, 0, E.FSTFLAGS_MTIM_NOW)),
    (E.RIGHTS_FD_READDIR, lambda g: listing(g, 3)[0]),
]


RIGHT_IDS = {getattr(E, n): n[7:].lower() for n in dir(E)
             if n.startswith("RIGHTS_") and n != "RIGHTS_ALL"}


@pytest.mark.parametrize("right,call", RIGHT_CALLS, ids=[f"{RIGHT_IDS[r]}-{i}"
                                                         for i, (r, _) in enumerate(RIGHT_CALLS)])
def test_missing_right(box, right, call):
    g = box.g
    inside = host_tree(box.root)
    stat = g.alloc(24)
    assert g.fd_fdstat_get(3, stat) == 0
    base, inheriting = g.u64(stat + 8), g.u64(stat + 16)
    assert base & right
    assert g.fd_fdstat_set_rights(3, base & ~right, inheriting) == 0
    assert call(g) == E.ERRNO_NOTCAPABLE
    assert host_tree(box.root) == inside


def test_rights_are_inherited_not_widened(box):
    """A directory opened with inheriting rights lacking FD_WRITE hands out no file that can
    be written, whatever the guest asks for later."""
    g = box.g
    err, d = g.open(3, "d", E.OFLAGS_DIRECTORY, inheriting=E.RIGHTS_FD_READ | E.RIGHTS_PATH_OPEN)
    assert err == 0
    err, f = g.open(d, "inner.txt", 0, -1, -1)
    assert err == 0
    assert g.write(f, b"overwritten")[0] == E.ERRNO_NOTCAPABLE
    assert (box.root / "d" / "inner.txt").read_bytes() == b"inner"


def test_a_file_is_not_a_directory_descriptor(box):
    g = box.g
    err, f = g.open(3, "file.txt", 0, E.RIGHTS_FD_READ | E.RIGHTS_PATH_OPEN, -1)
    assert err == 0
    assert read_file(g, f, "../outside/secret.txt")[0] == E.ERRNO_NOTDIR
    assert g.path_create_directory(f, *g.path("x")) == E.ERRNO_NOTDIR


def test_read_only_preopen_refuses_every_change(make_guest, tmp_path):
    b = Box(make_guest, tmp_path, read_only=True)
    g = b.g
    inside = host_tree(b.root)
    err, d = g.open(3, "d", E.OFLAGS_DIRECTORY)
    assert err == 0
    for fd, sub in ((3, "d/"), (d, "")):
        results = {
            "create": g.open(fd, f"{sub}new.txt", E.OFLAGS_CREAT)[0],
            "truncate": g.open(fd, f"{sub}inner.txt", E.OFLAGS_TRUNC)[0],
            "write": g.open(fd, f"{sub}inner.txt", 0, E.RIGHTS_FD_WRITE)[0],
            "append": g.open(fd, f"{sub}inner.txt", 0, E.RIGHTS_FD_READ,
                             fdflags=E.FDFLAGS_APPEND)[0],
            "mkdir": g.path_create_directory(fd, *g.path(f"{sub}nd")),
            "unlink": g.path_unlink_file(fd, *g.path(f"{sub}inner.txt")),
            "rmdir": g.path_remove_directory(fd, *g.path(f"{sub}e")),
            "rename": g.path_rename(fd, *g.path(f"{sub}e"), fd, *g.path(f"{sub}moved")),
            "rename out": g.path_rename(fd, *g.path(f"{sub}inner.txt"), 3, *g.path("moved")),
            "link": g.path_link(fd, 0, *g.path(f"{sub}inner.txt"), fd, *g.path(f"{sub}h")),
            "symlink": g.path_symlink(*g.path("x"), fd, *g.path(f"{sub}s")),
            "set times": g.path_filestat_set_times(fd, 0, *g.path(f"{sub}e"), 0, 0,
                                                   E.FSTFLAGS_MTIM_NOW),
            "fd set times": g.fd_filestat_set_times(fd, 0, 0, E.FSTFLAGS_MTIM_NOW),
        }
        assert set(results.values()) == {E.ERRNO_PERM}, (fd, results)
    assert host_tree(b.root) == inside
    b.untouched()


# --- no descriptor leaks -------------------------------------------------------------------------

def open_fds() -> int:
    """How many descriptors this process has open (after collecting garbage, so that files
    other tests dropped do not close in the middle of a count)."""
    gc.collect()
    for where in ("/proc/self/fd", "/dev/fd"):
        if os.path.isdir(where):
            return len(os.listdir(where))
    pytest.skip("no /proc/self/fd or /dev/fd to count descriptors")


@pytest.mark.skipif(WINDOWS, reason="counts POSIX file descriptors")
def test_no_descriptor_leaks(box, symlinks_ok):
    g = box.g
    if symlinks_ok:
        os.symlink("../outside", box.root / "d" / "e" / "out")
        os.symlink("loop", box.root / "loop")
    (box.root / "d" / "e" / "deep.txt").write_bytes(b"deep")
    paths = ["d/e/deep.txt", "d/e/../../d/e/deep.txt", "d/e/missing/x", "d/inner.txt/x",
             "d/e/../../..", "d/e/out/secret.txt", "loop/x", "d/e/", "d/../d/e/..", "."]
    before = open_fds()
    for _ in range(50):
        for path in paths:
            g._next = 1024                   # reuse the test memory
            g.path_filestat_get(3, FOLLOW, *g.path(path), g.alloc(64))
            read_file(g, 3, path)
            err, d = g.open(3, path, E.OFLAGS_DIRECTORY)
            if err == 0:
                listing(g, d)
                assert g.fd_close(d) == 0
            g.path_create_directory(3, *g.path(path + "_new"))
            g.path_remove_directory(3, *g.path(path + "_new"))
            g.path_rename(3, *g.path(path), 3, *g.path(path))
    assert open_fds() == before


def test_closing_releases_the_host_directories(make_guest, tmp_path):
    if WINDOWS:
        pytest.skip("counts POSIX file descriptors")
    before = open_fds()
    g = make_guest(preopens={"/a": tmp_path, "/b": tmp_path})
    err, d = g.open(3, ".", E.OFLAGS_DIRECTORY)
    assert err == 0
    assert open_fds() == before + 3
    g.env.close()
    assert open_fds() == before
    assert read_file(g, 3, "x")[0] == E.ERRNO_BADF


@pytest.mark.skipif(sys.platform != "win32", reason="the Windows guarantee (winpath)")
def test_windows_pins_open_directories(box):
    """The Windows guarantee: a directory the guest holds cannot be moved or removed."""
    g = box.g
    err, d = g.open(3, "d", E.OFLAGS_DIRECTORY)
    assert err == 0
    with pytest.raises(PermissionError):
        os.rename(box.root / "d", box.root / "d_moved")
    assert g.path_remove_directory(3, *g.path("d/e")) == 0      # its entries can change
    assert g.fd_close(d) == 0
    os.rename(box.root / "d", box.root / "d_moved")


@pytest.mark.skipif(WINDOWS, reason="Windows has no dir_fd (winpath pins handles instead)")
def test_host_has_every_dir_fd_form():
    have = {f.__name__ for f in os.supports_dir_fd}
    assert set(dirfd.NEEDED_DIR_FD) <= have
    assert os.stat in os.supports_follow_symlinks and os.utime in os.supports_follow_symlinks


def test_a_missing_dir_fd_form_fails_closed(box, monkeypatch):
    """Where Python lacks a dir_fd form it raises NotImplementedError: the WASI call answers
    ERRNO_NOTSUP rather than doing the operation some other way."""
    def missing(*args, **kwargs):
        raise NotImplementedError("dir_fd unavailable on this platform")

    monkeypatch.setattr(os, "mkdir", missing)
    g = box.g
    assert g.path_create_directory(3, *g.path("x")) == E.ERRNO_NOTSUP
    assert not (box.root / "x").exists()


@pytest.mark.skipif(not hasattr(os, "O_PATH") or WINDOWS or os.geteuid() == 0,
                    reason="needs O_PATH (Linux) and a user that permissions apply to")
def test_search_only_directory_can_be_walked_through(box):
    """A directory the user may search but not list (0o311) is walked through with an O_PATH
    descriptor, as the OS itself allows; opening it for a listing is refused."""
    g = box.g
    os.chmod(box.root / "d", 0o311)
    try:
        assert read_file(g, 3, "d/inner.txt") == (0, b"inner")
        assert read_file(g, 3, "d/e/../inner.txt") == (0, b"inner")
        assert g.open(3, "d", E.OFLAGS_DIRECTORY)[0] == E.ERRNO_ACCES
    finally:
        os.chmod(box.root / "d", 0o755)


def test_deep_paths_keep_few_directories_open(box, monkeypatch):
    """A path 120 directories deep (50 on Windows, whose host paths this test makes are
    limited), then back up with .. : resolved with at most MAX_OPEN directories open at a time
    (the outer ones are reopened by name when .. returns to them), and nothing left open."""
    from whisk.wasi import resolve as resolve_module

    depth = 50 if WINDOWS else 120
    box.root.joinpath(*["a"] * depth).mkdir(parents=True)
    box.root.joinpath(*["a"] * 10, "f.txt").write_bytes(b"ten")
    live, peak = set(), [0]
    real_open, real_close = dirfd.open_child, dirfd.close

    def counting_open(parent, name, **kwargs):
        handle = real_open(parent, name, **kwargs)
        live.add(handle)
        peak[0] = max(peak[0], len(live))
        return handle

    def counting_close(handle):
        live.discard(handle)
        real_close(handle)

    monkeypatch.setattr(dirfd, "open_child", counting_open)
    monkeypatch.setattr(dirfd, "close", counting_close)
    g = box.g
    down = "a/" * depth
    assert read_file(g, 3, down + "../" * (depth - 10) + "f.txt") == (0, b"ten")
    assert read_file(g, 3, down + "../" * (depth + 1) + "secret.txt")[0] == E.ERRNO_NOTCAPABLE
    err, d = g.open(3, down + "../" * (depth // 2), E.OFLAGS_DIRECTORY)
    assert err == 0
    assert g.path_filestat_get(d, 0, *g.path("a/" * (depth // 2 - 1) + "a"), g.alloc(64)) == 0
    assert g.fd_close(d) == 0
    # one resolution: MAX_OPEN, and one more just opened before the outermost is closed;
    # plus the descriptor d, open while resolving through it
    assert peak[0] <= resolve_module.MAX_OPEN + 2
    assert live == set()
