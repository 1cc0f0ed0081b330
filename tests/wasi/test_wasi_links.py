"""path_symlink, path_readlink, path_link, path_rename, called directly."""

from __future__ import annotations

import os

import pytest

from whisk.wasi import errno as E

FOLLOW = E.LOOKUPFLAGS_SYMLINK_FOLLOW


@pytest.fixture
def box(make_guest, tmp_path):
    root = tmp_path / "root"
    (root / "dir").mkdir(parents=True)
    (root / "file.txt").write_bytes(b"top")
    (tmp_path / "outside.txt").write_bytes(b"secret")
    return make_guest(preopens={"/box": root}), root


def call(g, name, *args):
    """Call a path function, laying out its string arguments (str) in guest memory."""
    flat = []
    for a in args:
        flat += g.path(a) if isinstance(a, str) else [a]
    return getattr(g, name)(*flat)


@pytest.fixture
def links(box, symlinks_ok):
    if not symlinks_ok:
        pytest.skip("the host does not let this user create symbolic links")
    return box


def test_symlink_and_readlink(links):
    g, root = links
    assert call(g, "path_symlink", "dir/../file.txt", 3, "ln") == 0
    assert os.readlink(root / "ln").replace("\\", "/") == "dir/../file.txt"
    buf, used = g.alloc(64), g.alloc(4)
    assert call(g, "path_readlink", 3, "ln", buf, 64, used) == 0
    assert g.bytes(buf, g.u32(used)) == b"dir/../file.txt"
    assert call(g, "path_readlink", 3, "ln", buf, 3, used) == 0 and g.u32(used) == 3
    assert call(g, "path_readlink", 3, "ln", len(g.mem) - 2, 64, used) == E.ERRNO_FAULT
    assert call(g, "path_symlink", "x", 3, "ln") == E.ERRNO_EXIST
    assert call(g, "path_symlink", "x", 3, "new/") == E.ERRNO_NOENT
    assert call(g, "path_symlink", "", 3, "empty") == E.ERRNO_NOENT


@pytest.mark.parametrize("target", ["..", "../outside.txt", "dir/../..", "/etc/passwd", "/"])
def test_symlink_out_is_refused(links, target):
    g, root = links
    assert call(g, "path_symlink", target, 3, "dir/../ln") == E.ERRNO_NOTCAPABLE
    assert not os.path.lexists(root / "ln")


def test_readlink_errors(links, tmp_path):
    g, root = links
    os.symlink(str(tmp_path / "outside.txt"), root / "abs")
    buf, used = g.alloc(64), g.alloc(4)
    assert call(g, "path_readlink", 3, "abs", buf, 64, used) == E.ERRNO_NOTCAPABLE
    assert call(g, "path_readlink", 3, "file.txt", buf, 64, used) == E.ERRNO_INVAL
    assert call(g, "path_readlink", 3, "none", buf, 64, used) == E.ERRNO_NOENT
    assert call(g, "path_readlink", 1, "abs", buf, 64, used) == E.ERRNO_NOTDIR


def test_link(box):
    g, root = box
    assert call(g, "path_link", 3, 0, "file.txt", 3, "dir/hard") == 0
    assert os.path.samefile(root / "file.txt", root / "dir" / "hard")
    assert call(g, "path_link", 3, 0, "file.txt", 3, "dir/hard") == E.ERRNO_EXIST
    assert call(g, "path_link", 3, 0, "dir", 3, "d2") == E.ERRNO_PERM
    assert call(g, "path_link", 3, 0, "none", 3, "x") == E.ERRNO_NOENT
    assert call(g, "path_link", 3, 0, "file.txt", 3, "../hard") == E.ERRNO_NOTCAPABLE
    assert call(g, "path_link", 3, 0, "../outside.txt", 3, "in") == E.ERRNO_NOTCAPABLE
    assert call(g, "path_link", 3, 0, "file.txt", 9, "x") == E.ERRNO_BADF


def test_link_follow(links):
    g, root = links
    os.symlink("file.txt", root / "ln")
    assert call(g, "path_link", 3, FOLLOW, "ln", 3, "followed") == 0
    assert not os.path.islink(root / "followed")
    assert os.path.samefile(root / "followed", root / "file.txt")


def test_rename(box):
    g, root = box
    assert call(g, "path_rename", 3, "file.txt", 3, "dir/moved.txt") == 0
    assert (root / "dir" / "moved.txt").read_bytes() == b"top"
    (root / "other").write_bytes(b"other")
    assert call(g, "path_rename", 3, "other", 3, "dir/moved.txt") == 0     # replaces a file
    assert (root / "dir" / "moved.txt").read_bytes() == b"other"
    assert call(g, "path_rename", 3, "dir/moved.txt", 3, "dir/moved.txt") == 0
    assert call(g, "path_rename", 3, "dir", 3, "dir/sub") == E.ERRNO_INVAL
    assert call(g, "path_rename", 3, ".", 3, "x") == E.ERRNO_BUSY
    assert call(g, "path_rename", 3, "dir", 3, ".") == E.ERRNO_INVAL
    assert call(g, "path_rename", 3, "dir/moved.txt/", 3, "x") == E.ERRNO_NOTDIR
    assert call(g, "path_rename", 3, "dir/moved.txt", 3, "../out") == E.ERRNO_NOTCAPABLE
    (root / "empty").mkdir()
    assert call(g, "path_rename", 3, "dir", 3, "empty") == 0              # over an empty dir
    assert sorted(os.listdir(root)) == ["empty"]


def test_rename_between_preopens(make_guest, tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    (tmp_path / "a" / "f").write_bytes(b"f")
    g = make_guest(preopens={"/a": tmp_path / "a", "/b": tmp_path / "b"})
    assert call(g, "path_rename", 3, "f", 4, "g") == 0
    assert (tmp_path / "b" / "g").read_bytes() == b"f"
    assert call(g, "path_rename", 4, "g", 3, "../b/h") == E.ERRNO_NOTCAPABLE


def test_link_and_rename_need_rights(box):
    g, _ = box
    g.env.fds[3].rights_base &= ~(E.RIGHTS_PATH_RENAME_TARGET | E.RIGHTS_PATH_LINK_SOURCE
                                  | E.RIGHTS_PATH_SYMLINK | E.RIGHTS_PATH_READLINK)
    assert call(g, "path_rename", 3, "file.txt", 3, "x") == E.ERRNO_NOTCAPABLE
    assert call(g, "path_link", 3, 0, "file.txt", 3, "x") == E.ERRNO_NOTCAPABLE
    assert call(g, "path_symlink", "file.txt", 3, "x") == E.ERRNO_NOTCAPABLE
    assert call(g, "path_readlink", 3, "x", 0, 0, 0) == E.ERRNO_NOTCAPABLE
