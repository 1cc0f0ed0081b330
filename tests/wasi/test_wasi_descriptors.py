"""fd_renumber, fd_fdstat_set_rights, fd_advise, fd_sync, fd_datasync."""

from __future__ import annotations

import struct

import pytest

from whisk.wasi import errno as E


@pytest.fixture
def box(make_guest, tmp_path):
    (tmp_path / "a").write_bytes(b"AAAA")
    (tmp_path / "b").write_bytes(b"BBBB")
    g = make_guest(preopens={"/": tmp_path})
    return g, tmp_path


def fdstat(g, fd):
    out = g.alloc(24)
    assert g.fd_fdstat_get(fd, out) == 0
    return struct.unpack_from("<BxHxxxxQQ", g.mem, out)


def test_renumber(box):
    g, _ = box
    _, a = g.open(3, "a")
    _, b = g.open(3, "b")
    file_b = g.env.fds[b].file
    assert g.fd_renumber(a, b) == 0
    assert file_b.closed                                # what b held is closed
    assert a not in g.env.fds
    assert g.read(b, 4) == (0, b"AAAA")
    assert g.fd_renumber(b, b) == 0
    assert g.fd_renumber(b, 50) == E.ERRNO_BADF         # the target must be open
    assert g.fd_renumber(50, b) == E.ERRNO_BADF
    assert g.fd_renumber(-1, b) == E.ERRNO_BADF


def test_renumber_a_preopen_and_a_stream(box):
    g, _ = box
    _, a = g.open(3, "a")
    assert g.fd_renumber(3, a) == 0                     # the preopen now lives at fd a
    out = g.alloc(8)
    assert g.fd_prestat_get(a, out) == 0
    assert g.fd_prestat_get(3, out) == E.ERRNO_BADF
    assert g.fd_renumber(1, 2) == 0                     # stdout replaces stderr
    assert g.write(2, b"x") == (0, 1)
    assert g.stdout.getvalue() == b"x"


def test_set_rights_only_drops(box):
    g, _ = box
    _, a = g.open(3, "a")
    _, _, base, inheriting = fdstat(g, a)
    fewer = base & ~E.RIGHTS_FD_READ
    assert g.fd_fdstat_set_rights(a, fewer, inheriting) == 0
    assert fdstat(g, a)[2] == fewer
    assert g.read(a, 4)[0] == E.ERRNO_NOTCAPABLE
    assert g.fd_fdstat_set_rights(a, base, inheriting) == E.ERRNO_NOTCAPABLE
    assert g.fd_fdstat_set_rights(a, fewer, -1) == E.ERRNO_NOTCAPABLE
    assert fdstat(g, a)[2] == fewer                     # a refused call changes nothing
    assert g.fd_fdstat_set_rights(99, 0, 0) == E.ERRNO_BADF
    # a directory that may no longer hand on FD_READ opens files without it
    assert g.fd_fdstat_set_rights(3, fdstat(g, 3)[2], E.RIGHTS_ALL & ~E.RIGHTS_FD_READ) == 0
    _, b = g.open(3, "b")
    assert not fdstat(g, b)[2] & E.RIGHTS_FD_READ


@pytest.mark.parametrize("advice", range(6))
def test_advise(box, advice):
    g, _ = box
    _, a = g.open(3, "a")
    assert g.fd_advise(a, 0, 4, advice) == 0
    assert g.fd_advise(3, 0, 0, advice) == 0            # a directory: accepted


def test_advise_errors(box):
    g, _ = box
    _, a = g.open(3, "a")
    assert g.fd_advise(a, 0, 0, 6) == E.ERRNO_INVAL
    assert g.fd_advise(a, -1, 0, 0) == E.ERRNO_INVAL
    assert g.fd_advise(1, 0, 0, 0) == E.ERRNO_NOTCAPABLE
    assert g.fd_advise(99, 0, 0, 0) == E.ERRNO_BADF


def test_sync_and_datasync(box):
    g, _ = box
    _, a = g.open(3, "a")
    for fn in (g.fd_sync, g.fd_datasync):
        assert fn(a) == 0
        assert fn(3) == 0
        assert fn(1) == E.ERRNO_NOTCAPABLE
        assert fn(99) == E.ERRNO_BADF
    _, ro = g.open(3, "a", rights=E.RIGHTS_FD_READ)
    assert g.fd_sync(ro) == E.ERRNO_NOTCAPABLE
