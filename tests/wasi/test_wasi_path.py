"""path_open, path_filestat_get, path_create_directory, path_unlink_file,
path_remove_directory, and the sandboxed path resolution behind them."""

from __future__ import annotations

import os
import sys

import pytest

from whisk.wasi import errno as E
from whisk.wasi.env import WasiErrno
from whisk.wasi import resolve as resolve_module
from whisk.wasi.dirfd import HostDir
from whisk.wasi.resolve import resolve as resolve_handle
from whisk.wasi.resolve import check_component, check_symlink_target

FOLLOW = E.LOOKUPFLAGS_SYMLINK_FOLLOW


@pytest.fixture
def box(make_guest, tmp_path):
    """A guest with tmp_path/root preopened as /box (fd 3); tmp_path/outside.txt lies
    outside it."""
    root = tmp_path / "root"
    root.mkdir()
    (root / "dir").mkdir()
    (root / "dir" / "inner.txt").write_bytes(b"inner")
    (root / "file.txt").write_bytes(b"top")
    (tmp_path / "outside.txt").write_bytes(b"secret")
    return make_guest(preopens={"/box": root}), root


def resolve(root, path, follow):
    """``resolve`` ``path`` in the host directory ``root``; the result's directories are
    closed (its ``parts``, ``st``, ``name`` stay readable)."""
    top = HostDir.open(str(root))
    try:
        with resolve_handle(top.handle, path, follow) as r:
            return r
    finally:
        top.close()


def errno_of(fn, *args):
    try:
        fn(*args)
    except WasiErrno as exc:
        return exc.errno
    return 0


@pytest.fixture
def links(box, tmp_path, symlinks_ok):
    if not symlinks_ok:
        pytest.skip("the host does not let this user create symbolic links")
    g, root = box
    os.symlink("dir/inner.txt", root / "good")                 # stays inside
    os.symlink("dir", root / "gooddir")
    os.symlink("../outside.txt", root / "escape")              # climbs out
    os.symlink(str(tmp_path / "outside.txt"), root / "absolute")
    os.symlink("../../root/file.txt", root / "dir" / "roundabout")  # out, then back in
    os.symlink("loop2", root / "loop1")
    os.symlink("loop1", root / "loop2")
    os.symlink("nowhere", root / "dangling")
    return g, root


# --- resolution -------------------------------------------------------------------------------------

def test_resolve_plain_paths(box):
    _, root = box
    r = resolve(str(root), "dir/inner.txt", follow=True)
    assert r.exists and r.parts == ("dir", "inner.txt")
    assert r.name == "inner.txt" and r.st.st_size == 5
    assert resolve(str(root), "./dir//inner.txt", follow=True).parts == ("dir", "inner.txt")
    assert resolve(str(root), "dir/../file.txt", follow=True).parts == ("file.txt",)
    assert resolve(str(root), ".", follow=True).parts == ()
    assert resolve(str(root), "dir/..", follow=True).parts == ()
    missing = resolve(str(root), "dir/new.txt", follow=True)
    assert not missing.exists and missing.parts == ("dir", "new.txt")
    assert resolve(str(root), "dir/", follow=False).must_be_dir


@pytest.mark.parametrize("path,errno", [
    ("", E.ERRNO_NOENT),
    ("/etc/passwd", E.ERRNO_NOTCAPABLE),
    ("/", E.ERRNO_NOTCAPABLE),
    ("..", E.ERRNO_NOTCAPABLE),
    ("../outside.txt", E.ERRNO_NOTCAPABLE),
    ("dir/../../outside.txt", E.ERRNO_NOTCAPABLE),
    ("dir/../..", E.ERRNO_NOTCAPABLE),
    ("missing/x", E.ERRNO_NOENT),
    ("file.txt/x", E.ERRNO_NOTDIR),
    ("file.txt/", E.ERRNO_NOTDIR),
    ("file.txt/..", E.ERRNO_NOTDIR),
])
def test_resolve_refuses(box, path, errno):
    _, root = box
    assert errno_of(resolve, str(root), path, True) == errno


@pytest.mark.skipif(sys.platform != "win32", reason="Windows separators")
def test_resolve_refuses_windows_separators(box):
    _, root = box
    assert errno_of(resolve, str(root), "dir\\inner.txt", True) == E.ERRNO_NOTCAPABLE
    assert errno_of(resolve, str(root), "C:x", True) == E.ERRNO_NOTCAPABLE


def test_resolve_symlinks(links):
    _, root = links
    assert resolve(str(root), "good", follow=True).parts == ("dir", "inner.txt")
    nofollow = resolve(str(root), "good", follow=False)
    assert nofollow.parts == ("good",) and nofollow.exists
    assert resolve(str(root), "gooddir/inner.txt", follow=False).parts == ("dir", "inner.txt")
    for path in ("escape", "absolute", "gooddir/roundabout", "dir/roundabout"):
        assert errno_of(resolve, str(root), path, True) == E.ERRNO_NOTCAPABLE, path
    assert errno_of(resolve, str(root), "loop1", True) == E.ERRNO_LOOP
    dangling = resolve(str(root), "dangling", follow=True)
    assert not dangling.exists and dangling.parts == ("nowhere",)
    # a link that is not followed is harmless even when it points outside
    assert resolve(str(root), "escape", follow=False).exists


def test_symlink_target_check():
    check_symlink_target("..", 1)
    check_symlink_target("a/b/../../..", 1)
    check_symlink_target("./x//y", 0)
    for target, depth in (("..", 0), ("a/../..", 0), ("../../x", 1), ("/x", 3)):
        assert errno_of(check_symlink_target, target, depth) == E.ERRNO_NOTCAPABLE


def test_windows_names_are_refused(monkeypatch):
    """What check_component refuses on Windows (tested on every host by pretending)."""
    monkeypatch.setattr(resolve_module, "WINDOWS", True)
    for name in ("a\\..", "C:", "file.txt:stream", "..\u0020", "...", "x.", "CON", "nul.txt",
                 "com1", "LPT9.log"):
        assert errno_of(check_component, name) == E.ERRNO_NOTCAPABLE, name
    for name in ("file.txt", ".hidden", "console", "a b", "com10"):
        check_component(name)
    assert errno_of(check_symlink_target, "sub\\..\\..", 5) == E.ERRNO_NOTCAPABLE


# --- path_open ----------------------------------------------------------------------------------------

def test_open_existing_and_read(box):
    g, _ = box
    err, fd = g.open(3, "dir/inner.txt")
    assert err == 0 and fd == 4
    assert g.read(fd, 100) == (0, b"inner")


def test_open_create_excl_trunc(box):
    g, root = box
    assert g.open(3, "new.txt")[0] == E.ERRNO_NOENT
    err, fd = g.open(3, "new.txt", E.OFLAGS_CREAT)
    assert err == 0 and (root / "new.txt").exists()
    g.write(fd, b"12345")
    assert g.open(3, "new.txt", E.OFLAGS_CREAT | E.OFLAGS_EXCL)[0] == E.ERRNO_EXIST
    err, fd2 = g.open(3, "new.txt", E.OFLAGS_TRUNC)
    assert err == 0
    assert (root / "new.txt").read_bytes() == b""


def test_open_directory(box):
    g, _ = box
    err, fd = g.open(3, "dir", E.OFLAGS_DIRECTORY,
                     rights=E.RIGHTS_FD_READ | E.RIGHTS_FD_READDIR | E.RIGHTS_PATH_OPEN)
    assert err == 0
    out = g.alloc(24)
    g.fd_fdstat_get(fd, out)
    assert g.u8(out) == E.FILETYPE_DIRECTORY
    assert g.u64(out + 8) == E.RIGHTS_FD_READDIR | E.RIGHTS_PATH_OPEN   # fd_read dropped
    # the new descriptor is itself a sandbox root
    err, fd2 = g.open(fd, "inner.txt")
    assert err == 0 and g.read(fd2, 10) == (0, b"inner")
    assert g.open(fd, "../file.txt")[0] == E.ERRNO_NOTCAPABLE
    assert g.open(fd, ".", E.OFLAGS_DIRECTORY)[0] == 0
    assert g.open(fd, ".")[0] == E.ERRNO_ISDIR                      # all rights: writing too
    assert g.open(fd, ".", rights=E.RIGHTS_FD_READDIR)[0] == 0


@pytest.mark.parametrize("path,oflags,rights,errno", [
    ("file.txt", E.OFLAGS_DIRECTORY, -1, E.ERRNO_NOTDIR),
    ("file.txt/", 0, -1, E.ERRNO_NOTDIR),
    ("dir", 0, E.RIGHTS_FD_WRITE, E.ERRNO_ISDIR),
    ("dir", E.OFLAGS_TRUNC, E.RIGHTS_FD_READ, E.ERRNO_ISDIR),
    ("nope/", E.OFLAGS_CREAT, -1, E.ERRNO_ISDIR),
    ("nope", E.OFLAGS_CREAT | E.OFLAGS_DIRECTORY, -1, E.ERRNO_INVAL),
    ("missing/file", E.OFLAGS_CREAT, -1, E.ERRNO_NOENT),
    ("/box/file.txt", 0, -1, E.ERRNO_NOTCAPABLE),
    ("../outside.txt", 0, -1, E.ERRNO_NOTCAPABLE),
    ("file.txt", 1 << 4, -1, E.ERRNO_INVAL),
])
def test_open_errors(box, path, oflags, rights, errno):
    g, _ = box
    assert g.open(3, path, oflags, rights=rights)[0] == errno


def test_open_bad_arguments(box):
    g, _ = box
    p, n = g.path("file.txt")
    out = g.alloc(4)
    assert g.path_open(1, 0, p, n, 0, -1, -1, 0, out) == E.ERRNO_NOTDIR   # not a directory
    assert g.path_open(9, 0, p, n, 0, -1, -1, 0, out) == E.ERRNO_BADF
    assert g.path_open(3, 0, p, n, 0, -1, -1, 0, len(g.mem) - 1) == E.ERRNO_FAULT
    assert g.path_open(3, 0, len(g.mem) - 2, 8, 0, -1, -1, 0, out) == E.ERRNO_FAULT
    bad_utf8 = g.put(b"\xff\xfe")
    assert g.path_open(3, 0, *bad_utf8, 0, -1, -1, 0, out) == E.ERRNO_ILSEQ
    nul = g.put(b"file.txt\0x")
    assert g.path_open(3, 0, *nul, 0, -1, -1, 0, out) == E.ERRNO_INVAL


def test_open_rights_limited_by_parent_inheriting(box):
    g, _ = box
    err, dirfd = g.open(3, "dir", E.OFLAGS_DIRECTORY, inheriting=E.RIGHTS_FD_READ)
    assert err == 0
    err, fd = g.open(dirfd, "inner.txt")                    # asks for everything
    assert err == 0
    out = g.alloc(24)
    g.fd_fdstat_get(fd, out)
    assert g.u64(out + 8) == E.RIGHTS_FD_READ
    assert g.u64(out + 16) == E.RIGHTS_FD_READ
    assert g.write(fd, b"x")[0] == E.ERRNO_NOTCAPABLE


def test_open_needs_create_right(box):
    g, _ = box
    err, dirfd = g.open(3, "dir", E.OFLAGS_DIRECTORY,
                        rights=E.RIGHTS_PATH_OPEN | E.RIGHTS_FD_READDIR)
    assert g.open(dirfd, "x", E.OFLAGS_CREAT)[0] == E.ERRNO_NOTCAPABLE
    assert g.open(dirfd, "inner.txt", E.OFLAGS_TRUNC)[0] == E.ERRNO_NOTCAPABLE
    assert g.open(dirfd, "inner.txt")[0] == 0


def test_open_through_symlinks(links):
    g, _ = links
    err, fd = g.open(3, "good")
    assert err == 0 and g.read(fd, 10) == (0, b"inner")
    assert g.open(3, "good", lookup=0)[0] == E.ERRNO_LOOP        # O_NOFOLLOW on a link
    assert g.open(3, "escape")[0] == E.ERRNO_NOTCAPABLE
    assert g.open(3, "absolute")[0] == E.ERRNO_NOTCAPABLE
    assert g.open(3, "dir/roundabout")[0] == E.ERRNO_NOTCAPABLE
    assert g.open(3, "loop1")[0] == E.ERRNO_LOOP
    assert g.open(3, "gooddir/inner.txt", lookup=0)[0] == 0      # links mid-path: followed


def test_create_through_dangling_symlink_stays_inside(links):
    g, root = links
    err, fd = g.open(3, "dangling", E.OFLAGS_CREAT)
    assert err == 0
    assert (root / "nowhere").exists()


# --- path_filestat_get ----------------------------------------------------------------------------------

def test_path_filestat_get(box):
    g, root = box
    p, n = g.path("dir/inner.txt")
    out = g.alloc(64)
    assert g.path_filestat_get(3, FOLLOW, p, n, out) == 0
    st = g.filestat(out)
    host = os.stat(root / "dir" / "inner.txt")
    assert st["filetype"] == E.FILETYPE_REGULAR_FILE and st["size"] == 5
    assert (st["ino"], st["dev"], st["mtim"]) == (host.st_ino, host.st_dev, host.st_mtime_ns)
    p, n = g.path("dir")
    assert g.path_filestat_get(3, 0, p, n, out) == 0
    assert g.filestat(out)["filetype"] == E.FILETYPE_DIRECTORY
    p, n = g.path(".")
    assert g.path_filestat_get(3, 0, p, n, out) == 0
    assert g.filestat(out)["ino"] == os.stat(root).st_ino


def test_path_filestat_get_errors(box):
    g, _ = box
    out = g.alloc(64)
    for path, errno in (("missing", E.ERRNO_NOENT), ("../outside.txt", E.ERRNO_NOTCAPABLE),
                        ("/x", E.ERRNO_NOTCAPABLE), ("file.txt/x", E.ERRNO_NOTDIR)):
        p, n = g.path(path)
        assert g.path_filestat_get(3, FOLLOW, p, n, out) == errno, path
    p, n = g.path("file.txt")
    assert g.path_filestat_get(3, 0, p, n, len(g.mem) - 63) == E.ERRNO_FAULT
    assert g.path_filestat_get(1, 0, p, n, out) == E.ERRNO_NOTDIR


def test_path_filestat_get_symlink(links):
    g, _ = links
    p, n = g.path("escape")
    out = g.alloc(64)
    assert g.path_filestat_get(3, 0, p, n, out) == 0                  # the link itself
    assert g.filestat(out)["filetype"] == E.FILETYPE_SYMBOLIC_LINK
    assert g.path_filestat_get(3, FOLLOW, p, n, out) == E.ERRNO_NOTCAPABLE
    p, n = g.path("good")
    assert g.path_filestat_get(3, FOLLOW, p, n, out) == 0
    assert g.filestat(out)["size"] == 5


# --- create, unlink, remove ------------------------------------------------------------------------------

def test_create_directory(box):
    g, root = box
    p, n = g.path("made")
    assert g.path_create_directory(3, p, n) == 0
    assert (root / "made").is_dir()
    assert g.path_create_directory(3, p, n) == E.ERRNO_EXIST
    p, n = g.path("made/deeper/")
    assert g.path_create_directory(3, p, n) == 0
    assert (root / "made" / "deeper").is_dir()
    for path, errno in (("no/such/parent", E.ERRNO_NOENT), ("../up", E.ERRNO_NOTCAPABLE),
                        ("file.txt", E.ERRNO_EXIST)):
        p, n = g.path(path)
        assert g.path_create_directory(3, p, n) == errno, path


def test_unlink_file(box):
    g, root = box
    p, n = g.path("file.txt")
    assert g.path_unlink_file(3, p, n) == 0
    assert not (root / "file.txt").exists()
    assert g.path_unlink_file(3, p, n) == E.ERRNO_NOENT
    p, n = g.path("dir")
    assert g.path_unlink_file(3, p, n) == E.ERRNO_ISDIR
    p, n = g.path("dir/inner.txt/")
    assert g.path_unlink_file(3, p, n) == E.ERRNO_NOTDIR
    p, n = g.path("../outside.txt")
    assert g.path_unlink_file(3, p, n) == E.ERRNO_NOTCAPABLE


def test_unlink_symlink_removes_the_link_only(links):
    g, root = links
    p, n = g.path("escape")
    assert g.path_unlink_file(3, p, n) == 0
    assert not os.path.lexists(root / "escape")
    assert (root.parent / "outside.txt").exists()


def test_remove_directory(box):
    g, root = box
    p, n = g.path("dir")
    assert g.path_remove_directory(3, p, n) == E.ERRNO_NOTEMPTY
    p, n = g.path("file.txt")
    assert g.path_remove_directory(3, p, n) == E.ERRNO_NOTDIR
    p, n = g.path("missing")
    assert g.path_remove_directory(3, p, n) == E.ERRNO_NOENT
    p, n = g.path(".")
    assert g.path_remove_directory(3, p, n) == E.ERRNO_INVAL
    p, n = g.path("dir/inner.txt")
    assert g.path_unlink_file(3, p, n) == 0
    p, n = g.path("dir")
    assert g.path_remove_directory(3, p, n) == 0
    assert not (root / "dir").exists()


def test_path_functions_need_their_rights(box):
    g, _ = box
    err, dirfd = g.open(3, "dir", E.OFLAGS_DIRECTORY, rights=E.RIGHTS_PATH_OPEN)
    assert err == 0
    p, n = g.path("inner.txt")
    out = g.alloc(64)
    assert g.path_filestat_get(dirfd, 0, p, n, out) == E.ERRNO_NOTCAPABLE
    assert g.path_create_directory(dirfd, p, n) == E.ERRNO_NOTCAPABLE
    assert g.path_unlink_file(dirfd, p, n) == E.ERRNO_NOTCAPABLE
    assert g.path_remove_directory(dirfd, p, n) == E.ERRNO_NOTCAPABLE
