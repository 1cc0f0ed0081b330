"""fd_write, fd_read, fd_seek, fd_tell, fd_close, fd_fdstat_get, fd_fdstat_set_flags,
fd_prestat_get, fd_prestat_dir_name, fd_filestat_get, fd_readdir."""

from __future__ import annotations

import io
import os
import struct

import pytest

from whisk.wasi import errno as E

ALL = -1          # all rights, as an i64 of all ones arrives


# --- standard streams -----------------------------------------------------------------------------

def test_fd_write_stdout_gathers_iovecs(guest):
    err, n = guest.write(1, b"Hello, ", b"", b"world!\n")
    assert (err, n) == (0, 14)
    assert guest.stdout.getvalue() == b"Hello, world!\n"


def test_fd_write_stderr(guest):
    assert guest.write(2, b"oops\n") == (0, 5)
    assert guest.stderr.getvalue() == b"oops\n"
    assert guest.stdout.getvalue() == b""


def test_stdout_and_stderr_flushed_in_order(make_guest):
    log = []

    class Stream:
        def __init__(self, name):
            self.name, self.pending = name, b""

        def write(self, data):
            self.pending += bytes(data)
            return len(data)

        def flush(self):
            if self.pending:
                log.append((self.name, self.pending))
            self.pending = b""

    g = make_guest(stdout=Stream("out"), stderr=Stream("err"))
    g.write(1, b"a")
    g.write(2, b"b")
    g.write(1, b"c", b"d")
    assert log == [("out", b"a"), ("err", b"b"), ("out", b"cd")]


def test_fd_write_to_raw_stream_with_short_writes(make_guest):
    class Trickle:
        def __init__(self):
            self.data = b""

        def write(self, data):
            self.data += bytes(data[:3])
            return min(3, len(data))

    out = Trickle()
    g = make_guest(stdout=out)
    assert g.write(1, b"0123456789") == (0, 10)
    assert out.data == b"0123456789"


def test_fd_write_text_stream_gets_decoded(make_guest):
    out = io.StringIO()
    g = make_guest(stdout=out)
    assert g.write(1, "héllo\n".encode()) == (0, 7)
    assert out.getvalue() == "héllo\n"


def test_fd_write_errors(guest):
    iovs, count = guest.iovecs(b"x")
    out = guest.alloc(4)
    assert guest.fd_write(99, iovs, count, out) == E.ERRNO_BADF
    assert guest.fd_write(0, iovs, count, out) == E.ERRNO_NOTCAPABLE    # stdin is read-only
    assert guest.fd_write(1, iovs, count, len(guest.mem) - 2) == E.ERRNO_FAULT
    bad = guest.alloc(8)
    struct.pack_into("<II", guest.mem, bad, len(guest.mem) - 4, 8)      # buffer past the end
    assert guest.fd_write(1, bad, 1, out) == E.ERRNO_FAULT
    assert guest.fd_write(1, len(guest.mem) - 4, 1, out) == E.ERRNO_FAULT  # iovec past the end
    assert guest.fd_write(1, iovs, -1, out) == E.ERRNO_FAULT           # 2**32-1 iovecs
    assert guest.stdout.getvalue() == b""


def test_fd_read_stdin_scatters(make_guest):
    g = make_guest(stdin=b"abcdefghij")
    assert g.read(0, 3, 4) == (0, b"abcdefg")
    assert g.read(0, 100) == (0, b"hij")
    assert g.read(0, 100) == (0, b"")                                  # end of file


def test_fd_read_stdin_returns_what_one_read_gives(make_guest):
    class Pipe:
        """read1 hands out at most what is 'available' (2 bytes), like a pipe."""

        def __init__(self, data):
            self.data = data

        def read1(self, n):
            chunk, self.data = self.data[:min(n, 2)], self.data[min(n, 2):]
            return chunk

    g = make_guest(stdin=Pipe(b"xyz"))
    assert g.read(0, 10) == (0, b"xy")
    assert g.read(0, 10) == (0, b"z")
    assert g.read(0, 10) == (0, b"")


def test_fd_read_stdin_str_and_file_object(make_guest):
    assert make_guest(stdin="héllo").read(0, 16) == (0, "héllo".encode())
    assert make_guest(stdin=io.BytesIO(b"raw")).read(0, 16) == (0, b"raw")


def test_fd_read_errors(guest):
    iovs, count = guest.iovecs(4)
    out = guest.alloc(4)
    assert guest.fd_read(1, iovs, count, out) == E.ERRNO_NOTCAPABLE    # stdout is write-only
    assert guest.fd_read(7, iovs, count, out) == E.ERRNO_BADF
    assert guest.fd_read(0, iovs, count, len(guest.mem)) == E.ERRNO_FAULT


def test_seek_and_tell_on_streams_is_spipe(guest):
    out = guest.alloc(8)
    for fd in (0, 1, 2):
        assert guest.fd_seek(fd, 0, E.WHENCE_CUR, out) == E.ERRNO_SPIPE
        assert guest.fd_tell(fd, out) == E.ERRNO_SPIPE


def test_fdstat_of_stdio_is_not_seekable(guest):
    out = guest.alloc(24)
    for fd, right in ((0, E.RIGHTS_FD_READ), (1, E.RIGHTS_FD_WRITE), (2, E.RIGHTS_FD_WRITE)):
        assert guest.fd_fdstat_get(fd, out) == 0
        filetype, flags, base, inheriting = struct.unpack_from("<BxHxxxxQQ", guest.mem, out)
        assert filetype == E.FILETYPE_UNKNOWN                 # a BytesIO is no device
        assert base & right
        assert not base & (E.RIGHTS_FD_SEEK | E.RIGHTS_FD_TELL)
        assert flags == 0


def test_fdstat_set_flags(guest):
    out = guest.alloc(24)
    assert guest.fd_fdstat_set_flags(1, E.FDFLAGS_NONBLOCK) == 0
    guest.fd_fdstat_get(1, out)
    assert guest.u16(out + 2) == E.FDFLAGS_NONBLOCK
    assert guest.fd_fdstat_set_flags(1, 1 << 5) == E.ERRNO_INVAL
    assert guest.fd_fdstat_set_flags(42, 0) == E.ERRNO_BADF


def test_fd_close(guest):
    assert guest.fd_close(1) == 0
    assert guest.write(1, b"x")[0] == E.ERRNO_BADF
    assert guest.fd_close(1) == E.ERRNO_BADF
    assert not guest.stdout.closed                            # the host's stream stays open


def test_fd_filestat_get_of_stream(guest):
    out = guest.alloc(64)
    assert guest.fd_filestat_get(1, out) == 0
    assert guest.filestat(out)["filetype"] == E.FILETYPE_UNKNOWN


def test_real_host_file_as_stdout(make_guest, tmp_path):
    with open(tmp_path / "out.txt", "wb") as f:
        g = make_guest(stdout=f)
        out = g.alloc(24)
        assert g.fd_fdstat_get(1, out) == 0
        assert g.u8(out) == E.FILETYPE_REGULAR_FILE
        g.write(1, b"to a file\n")
    assert (tmp_path / "out.txt").read_bytes() == b"to a file\n"


# --- preopens ------------------------------------------------------------------------------------

@pytest.fixture
def dirs(make_guest, tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    return make_guest(preopens={"/data": tmp_path / "a", ".": str(tmp_path / "b")}), tmp_path


def test_prestat(dirs):
    g, _ = dirs
    out = g.alloc(8)
    assert g.fd_prestat_get(3, out) == 0
    assert (g.u8(out), g.u32(out + 4)) == (E.PREOPENTYPE_DIR, 5)
    name = g.alloc(5)
    assert g.fd_prestat_dir_name(3, name, 5) == 0
    assert g.bytes(name, 5) == b"/data"
    assert g.fd_prestat_get(4, out) == 0 and g.u32(out + 4) == 1
    assert g.fd_prestat_dir_name(4, name, 1) == 0 and g.bytes(name, 1) == b"."
    assert g.fd_prestat_get(5, out) == E.ERRNO_BADF        # wasi-libc stops scanning here
    assert g.fd_prestat_get(1, out) == E.ERRNO_BADF
    assert g.fd_prestat_dir_name(1, name, 5) == E.ERRNO_BADF
    assert g.fd_prestat_dir_name(3, name, 4) == E.ERRNO_NAMETOOLONG
    assert g.fd_prestat_dir_name(3, len(g.mem) - 2, 5) == E.ERRNO_FAULT


def test_preopen_fdstat_and_filestat(dirs):
    g, tmp = dirs
    out = g.alloc(64)
    assert g.fd_fdstat_get(3, out) == 0
    filetype, _, base, inheriting = struct.unpack_from("<BxHxxxxQQ", g.mem, out)
    assert filetype == E.FILETYPE_DIRECTORY
    assert base & E.RIGHTS_PATH_OPEN and base & E.RIGHTS_FD_READDIR
    assert not base & (E.RIGHTS_FD_READ | E.RIGHTS_FD_WRITE)
    assert inheriting == E.RIGHTS_ALL                          # wasi-libc masks with this
    assert g.fd_filestat_get(3, out) == 0
    st = g.filestat(out)
    assert st["filetype"] == E.FILETYPE_DIRECTORY
    assert st["ino"] == os.stat(tmp / "a").st_ino


def test_directory_is_not_readable_or_seekable(dirs):
    g, _ = dirs
    iovs, count = g.iovecs(4)
    out = g.alloc(8)
    assert g.fd_read(3, iovs, count, out) == E.ERRNO_BADF
    assert g.fd_write(3, iovs, count, out) == E.ERRNO_BADF
    assert g.fd_seek(3, 0, E.WHENCE_SET, out) == E.ERRNO_BADF
    assert g.fd_tell(3, out) == E.ERRNO_BADF


# --- regular files --------------------------------------------------------------------------------

@pytest.fixture
def sandbox(make_guest, tmp_path):
    root = tmp_path / "root"
    root.mkdir()
    return make_guest(preopens={"/sandbox": root}), root


def test_file_write_seek_read_tell(sandbox):
    g, root = sandbox
    err, fd = g.open(3, "f.txt", E.OFLAGS_CREAT | E.OFLAGS_TRUNC)
    assert err == 0 and fd == 4
    assert g.write(fd, b"hello ", b"file") == (0, 10)
    out = g.alloc(8)
    assert g.fd_tell(fd, out) == 0 and g.u64(out) == 10
    assert g.fd_seek(fd, 6, E.WHENCE_SET, out) == 0 and g.u64(out) == 6
    assert g.read(fd, 2, 10) == (0, b"file")
    assert g.fd_seek(fd, -4, E.WHENCE_END, out) == 0 and g.u64(out) == 6
    assert g.fd_seek(fd, -1, E.WHENCE_CUR, out) == 0 and g.u64(out) == 5
    assert g.fd_seek(fd, -6, E.WHENCE_CUR, out) == E.ERRNO_INVAL
    assert g.fd_seek(fd, 0, 3, out) == E.ERRNO_INVAL
    assert g.fd_seek(fd, 100, E.WHENCE_SET, out) == 0 and g.u64(out) == 100
    assert g.read(fd, 10) == (0, b"")                       # past the end: EOF
    assert g.fd_close(fd) == 0
    assert (root / "f.txt").read_bytes() == b"hello file"
    assert g.fd_close(fd) == E.ERRNO_BADF


def test_file_filestat(sandbox):
    g, root = sandbox
    (root / "data.bin").write_bytes(b"x" * 1234)
    _, fd = g.open(3, "data.bin")
    out = g.alloc(64)
    assert g.fd_filestat_get(fd, out) == 0
    st, host = g.filestat(out), os.stat(root / "data.bin")
    assert st["filetype"] == E.FILETYPE_REGULAR_FILE
    assert st["size"] == 1234
    assert st["ino"] == host.st_ino and st["nlink"] == host.st_nlink
    assert st["mtim"] == host.st_mtime_ns


def test_append_flag(sandbox):
    g, root = sandbox
    (root / "log").write_bytes(b"one\n")
    err, fd = g.open(3, "log", fdflags=E.FDFLAGS_APPEND)
    assert err == 0
    out = g.alloc(8)
    g.fd_seek(fd, 0, E.WHENCE_SET, out)
    assert g.write(fd, b"two\n") == (0, 4)
    assert (root / "log").read_bytes() == b"one\ntwo\n"
    assert g.fd_fdstat_set_flags(fd, 0) == 0
    g.fd_seek(fd, 0, E.WHENCE_SET, out)
    g.write(fd, b"ONE\n")
    assert (root / "log").read_bytes() == b"ONE\ntwo\n"


def test_read_only_descriptor(sandbox):
    g, root = sandbox
    (root / "ro").write_bytes(b"data")
    err, fd = g.open(3, "ro", rights=E.RIGHTS_FD_READ | E.RIGHTS_FD_SEEK | E.RIGHTS_FD_TELL)
    assert err == 0
    assert g.write(fd, b"x")[0] == E.ERRNO_NOTCAPABLE
    assert g.read(fd, 10) == (0, b"data")
    out = g.alloc(24)
    g.fd_fdstat_get(fd, out)
    base = g.u64(out + 8)
    assert base == E.RIGHTS_FD_READ | E.RIGHTS_FD_SEEK | E.RIGHTS_FD_TELL
    assert g.fd_fdstat_set_flags(fd, 0) == E.ERRNO_NOTCAPABLE   # right not requested


def test_tell_only_descriptor_can_ask_position(sandbox):
    g, root = sandbox
    (root / "t").write_bytes(b"abc")
    _, fd = g.open(3, "t", rights=E.RIGHTS_FD_READ | E.RIGHTS_FD_TELL)
    out = g.alloc(8)
    assert g.fd_seek(fd, 0, E.WHENCE_CUR, out) == 0
    assert g.fd_seek(fd, 1, E.WHENCE_SET, out) == E.ERRNO_NOTCAPABLE
    assert g.fd_tell(fd, out) == 0


def test_write_only_descriptor(sandbox):
    g, root = sandbox
    err, fd = g.open(3, "wo", E.OFLAGS_CREAT, rights=E.RIGHTS_FD_WRITE)
    assert err == 0
    assert g.read(fd, 4)[0] == E.ERRNO_NOTCAPABLE
    assert g.write(fd, b"w") == (0, 1)


def test_fd_numbers_reused_lowest_first(sandbox):
    g, root = sandbox
    for name in ("a", "b", "c"):
        (root / name).write_bytes(b"")
    fds = [g.open(3, n)[1] for n in ("a", "b", "c")]
    assert fds == [4, 5, 6]
    g.fd_close(5)
    assert g.open(3, "a")[1] == 5


def test_env_close_closes_host_files(sandbox):
    g, root = sandbox
    (root / "x").write_bytes(b"")
    _, fd = g.open(3, "x")
    file = g.env.fds[fd].file
    g.env.close()
    assert file.closed
    assert fd not in g.env.fds and 1 in g.env.fds and 3 in g.env.fds


# --- fd_readdir --------------------------------------------------------------------------------------

DIRENT = struct.Struct("<QQIB3x")


def parse_dirents(data):
    entries, at = [], 0
    while at + DIRENT.size <= len(data):
        d_next, ino, namlen, dtype = DIRENT.unpack_from(data, at)
        name = data[at + DIRENT.size:at + DIRENT.size + namlen]
        if len(name) < namlen:
            break                                             # cut off at the buffer's end
        entries.append((d_next, ino, name, dtype))
        at += DIRENT.size + namlen
    return entries


def test_fd_readdir_whole_directory(sandbox):
    g, root = sandbox
    (root / "file.txt").write_bytes(b"1")
    (root / "sub").mkdir()
    buf, used = g.alloc(4096), g.alloc(4)
    assert g.fd_readdir(3, buf, 4096, 0, used) == 0
    n = g.u32(used)
    assert n < 4096                                           # the end was reached
    entries = parse_dirents(g.bytes(buf, n))
    assert [(e[2], e[3]) for e in entries] == [
        (b".", E.FILETYPE_DIRECTORY), (b"..", E.FILETYPE_DIRECTORY),
        (b"file.txt", E.FILETYPE_REGULAR_FILE), (b"sub", E.FILETYPE_DIRECTORY)]
    assert [e[0] for e in entries] == [1, 2, 3, 4]
    assert entries[2][1] == os.stat(root / "file.txt").st_ino
    assert n == 4 * 24 + 1 + 2 + 8 + 3


def test_fd_readdir_small_buffer_and_cookies(sandbox):
    g, root = sandbox
    names = [f"entry{i:02d}" for i in range(12)]
    for name in names:
        (root / name).write_bytes(b"")
    buf, used = g.alloc(50), g.alloc(4)
    seen, cookie = [], 0
    for _ in range(100):
        assert g.fd_readdir(3, buf, 50, cookie, used) == 0
        n = g.u32(used)
        data = g.bytes(buf, n)
        entries = parse_dirents(data)
        if n == 50:
            assert entries, "a 50-byte buffer holds one 24+7 byte entry"
        seen += [e[2] for e in entries]
        if n < 50:
            break
        cookie = entries[-1][0]
    assert seen == [b".", b".."] + [n.encode() for n in names]


def test_fd_readdir_truncates_last_entry(sandbox):
    g, root = sandbox
    (root / "long_name_here").write_bytes(b"")
    buf, used = g.alloc(64), g.alloc(4)
    assert g.fd_readdir(3, buf, 60, 2, used) == 0           # skip "." and ".."
    assert g.u32(used) == 24 + 14                             # fits; less than 60: the end
    g.mem[buf:buf + 64] = bytes(64)
    assert g.fd_readdir(3, buf, 30, 2, used) == 0
    assert g.u32(used) == 30                                  # header + 6 bytes of the name
    assert g.bytes(buf + 24, 6) == b"long_n"
    assert g.fd_readdir(3, buf, 30, 99, used) == 0 and g.u32(used) == 0


def test_fd_readdir_errors(sandbox):
    g, root = sandbox
    (root / "f").write_bytes(b"")
    buf, used = g.alloc(64), g.alloc(4)
    assert g.fd_readdir(1, buf, 64, 0, used) == E.ERRNO_NOTDIR     # as fdopendir() has it
    _, fd = g.open(3, "f")
    assert g.fd_readdir(fd, buf, 64, 0, used) == E.ERRNO_NOTDIR
    _, sub = g.open(3, ".", E.OFLAGS_DIRECTORY, rights=E.RIGHTS_PATH_OPEN)
    assert g.fd_readdir(sub, buf, 64, 0, used) == E.ERRNO_NOTCAPABLE
    assert g.fd_readdir(3, len(g.mem) - 10, 64, 0, used) == E.ERRNO_FAULT
