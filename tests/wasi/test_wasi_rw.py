"""fd_pread and fd_pwrite (also without preadv/pwritev, as on Windows), seeking past the end,
end of file, and writes to the standard streams buffer by buffer."""

from __future__ import annotations

import io
import os

import pytest

from whisk.wasi import errno as E


@pytest.fixture(params=["vectored", "seek"])
def box(request, make_guest, tmp_path, monkeypatch):
    if request.param == "seek":
        monkeypatch.delattr(os, "preadv", raising=False)
        monkeypatch.delattr(os, "pwritev", raising=False)
    (tmp_path / "f").write_bytes(b"0123456789")
    g = make_guest(preopens={"/": tmp_path})
    err, fd = g.open(3, "f")
    assert err == 0
    return g, tmp_path, fd


def pread(g, fd, offset, *sizes):
    iovs, count = g.iovecs(*sizes)
    buffers, out = g.last_buffers, g.alloc(4)
    err = g.fd_pread(fd, iovs, count, offset, out)
    data = b"".join(g.bytes(p, n) for p, n in buffers)
    return err, data[:g.u32(out)] if err == 0 else b""


def pwrite(g, fd, offset, *chunks):
    iovs, count = g.iovecs(*chunks)
    out = g.alloc(4)
    err = g.fd_pwrite(fd, iovs, count, offset, out)
    return err, g.u32(out)


def tell(g, fd):
    out = g.alloc(8)
    assert g.fd_tell(fd, out) == 0
    return g.u64(out)


def test_pread_leaves_the_offset(box):
    g, _, fd = box
    assert g.read(fd, 2) == (0, b"01")
    assert pread(g, fd, 5, 2, 3) == (0, b"56789")
    assert pread(g, fd, 8, 10) == (0, b"89")
    assert pread(g, fd, 10, 4) == (0, b"")                           # at the end
    assert pread(g, fd, 1000, 4) == (0, b"")                         # past it
    assert pread(g, fd, 0) == (0, b"")                               # no buffers
    assert tell(g, fd) == 2
    assert pread(g, fd, -1, 4)[0] == E.ERRNO_INVAL


def test_pwrite_leaves_the_offset(box):
    g, root, fd = box
    assert pwrite(g, fd, 2, b"ab", b"cd") == (0, 4)
    assert pwrite(g, fd, 12, b"Z") == (0, 1)                         # past the end: a gap
    assert (root / "f").read_bytes() == b"01abcd6789\0\0Z"
    assert tell(g, fd) == 0


def test_positioned_errors(box):
    g, _, fd = box
    assert pread(g, 0, 0, 4)[0] == E.ERRNO_SPIPE
    assert pwrite(g, 1, 0, b"x")[0] == E.ERRNO_SPIPE
    assert pread(g, 3, 0, 4)[0] == E.ERRNO_BADF
    assert pread(g, 99, 0, 4)[0] == E.ERRNO_BADF
    _, ro = g.open(3, "f", rights=E.RIGHTS_FD_READ | E.RIGHTS_FD_SEEK)
    assert pwrite(g, ro, 0, b"x")[0] == E.ERRNO_NOTCAPABLE
    _, noseek = g.open(3, "f", rights=E.RIGHTS_FD_READ)
    assert pread(g, noseek, 0, 4)[0] == E.ERRNO_NOTCAPABLE


def test_seek_past_end_then_read_and_write(box):
    g, root, fd = box
    out = g.alloc(8)
    assert g.fd_seek(fd, 15, E.WHENCE_SET, out) == 0 and g.u64(out) == 15
    assert g.read(fd, 4) == (0, b"")
    assert g.write(fd, b"!") == (0, 1)
    assert (root / "f").read_bytes() == b"0123456789" + bytes(5) + b"!"
    assert g.fd_seek(fd, -100, E.WHENCE_END, out) == E.ERRNO_INVAL


def test_stream_writes_keep_utf8_split_across_buffers(make_guest):
    text = io.StringIO()
    g = make_guest(stdout=text)
    assert g.write(1, "é".encode()[:1], "é".encode()[1:] + b"!") == (0, 3)
    assert text.getvalue() == "é!"


def test_stream_write_to_raw_stream_counts_every_byte(make_guest):
    class Short(io.RawIOBase):
        def __init__(self):
            self.data = b""

        def writable(self):
            return True

        def write(self, b):
            self.data += bytes(b[:2])
            return min(2, len(b))

    s = Short()
    g = make_guest(stdout=s)
    assert g.write(1, b"abcde", b"fg") == (0, 7)
    assert s.data == b"abcdefg"
