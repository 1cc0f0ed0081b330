"""Read-only preopens: Preopen(path, read_only=True) and --dir HOST::GUEST::ro."""

from __future__ import annotations

import os
import struct

import pytest

from whisk import cli
from whisk.wasi import Preopen, WasiConfig
from whisk.wasi import errno as E


@pytest.fixture
def ro(make_guest, tmp_path):
    (tmp_path / "sub").mkdir()
    (tmp_path / "f").write_bytes(b"data")
    return make_guest(preopens={"/ro": Preopen(tmp_path, read_only=True)}), tmp_path


def test_reading_works(ro):
    g, _ = ro
    err, fd = g.open(3, "f", rights=E.RIGHTS_FD_READ | E.RIGHTS_FD_SEEK)
    assert err == 0 and g.read(fd, 10) == (0, b"data")
    out = g.alloc(24)
    assert g.fd_fdstat_get(fd, out) == 0
    base = struct.unpack_from("<Q", g.mem, out + 8)[0]
    assert not base & (E.RIGHTS_FD_WRITE | E.RIGHTS_FD_FILESTAT_SET_SIZE)
    assert g.write(fd, b"x")[0] == E.ERRNO_PERM
    assert g.open(3, "sub", E.OFLAGS_DIRECTORY)[0] == 0


@pytest.mark.parametrize("oflags,rights,fdflags", [
    (0, -1, 0),                                      # asks for write access
    (0, E.RIGHTS_FD_READ, E.FDFLAGS_APPEND),
    (E.OFLAGS_TRUNC, E.RIGHTS_FD_READ, 0),
    (E.OFLAGS_CREAT, E.RIGHTS_FD_READ, 0),
])
def test_opening_to_change_is_refused(ro, oflags, rights, fdflags):
    g, root = ro
    assert g.open(3, "f", oflags, rights=rights, fdflags=fdflags)[0] == E.ERRNO_PERM
    assert g.open(3, "new", E.OFLAGS_CREAT)[0] == E.ERRNO_PERM
    assert (root / "f").read_bytes() == b"data" and not (root / "new").exists()


def test_changes_are_refused(ro):
    g, root = ro
    before = sorted(os.listdir(root))
    assert g.path_create_directory(3, *g.path("d")) == E.ERRNO_PERM
    assert g.path_unlink_file(3, *g.path("f")) == E.ERRNO_PERM
    assert g.path_remove_directory(3, *g.path("sub")) == E.ERRNO_PERM
    assert g.path_rename(3, *g.path("f"), 3, *g.path("g")) == E.ERRNO_PERM
    assert g.path_link(3, 0, *g.path("f"), 3, *g.path("g")) == E.ERRNO_PERM
    assert g.path_symlink(*g.path("f"), 3, *g.path("g")) == E.ERRNO_PERM
    assert g.path_filestat_set_times(3, 0, *g.path("f"), 0, 0, E.FSTFLAGS_MTIM_NOW) == E.ERRNO_PERM
    assert g.fd_filestat_set_times(3, 0, 0, E.FSTFLAGS_MTIM_NOW) == E.ERRNO_PERM
    _, sub = g.open(3, "sub", E.OFLAGS_DIRECTORY)
    assert g.path_create_directory(sub, *g.path("d")) == E.ERRNO_PERM    # inherited
    assert sorted(os.listdir(root)) == before
    # still sandboxed first: a way out is NOTCAPABLE, not PERM
    assert g.path_unlink_file(3, *g.path("../x")) == E.ERRNO_NOTCAPABLE


def test_preopen_forms():
    cfg = WasiConfig(preopens={"/a": "x", "/b": Preopen("y"), "/c": Preopen("z", read_only=True)})
    assert cfg.preopen_dirs == [("/a", Preopen("x")), ("/b", Preopen("y")),
                                ("/c", Preopen("z", True))]


def test_cli_dir_syntax():
    assert cli.parse_dirs(["data::/data::ro", "x::/x", "ro::ro"]) == {
        "/data": Preopen("data", read_only=True), "/x": "x", "ro": "ro"}
    for bad in ("data::/data::rw", "data::::ro", "::/x::ro"):
        with pytest.raises(cli.CliError):
            cli.parse_dirs([bad])
