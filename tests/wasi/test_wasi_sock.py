"""sock_accept, sock_recv, sock_send, sock_shutdown on sockets handed in with
WasiConfig(sockets=...), and ERRNO_NOTSOCK on everything else."""

from __future__ import annotations

import socket
import struct

import pytest

from whisk.wasi import errno as E


@pytest.fixture
def pair(make_guest):
    a, b = socket.socketpair()
    g = make_guest(sockets=[a])
    yield g, max(g.env.fds), b
    a.close()
    b.close()


def recv(g, fd, *sizes, flags=0):
    iovs, count = g.iovecs(*sizes)
    buffers, out = g.last_buffers, g.alloc(8)
    err = g.sock_recv(fd, iovs, count, flags, out, out + 4)
    data = b"".join(g.bytes(p, n) for p, n in buffers)[:g.u32(out)] if err == 0 else b""
    return err, data, g.u16(out + 4)


def send(g, fd, *chunks, flags=0):
    iovs, count = g.iovecs(*chunks)
    out = g.alloc(4)
    err = g.sock_send(fd, iovs, count, flags, out)
    return err, g.u32(out)


def test_socket_descriptor(pair):
    g, fd, _ = pair
    out = g.alloc(24)
    assert g.fd_fdstat_get(fd, out) == 0
    filetype, flags, base, _ = struct.unpack_from("<BxHxxxxQQ", g.mem, out)
    assert filetype == E.FILETYPE_SOCKET_STREAM and flags == 0
    assert base & E.RIGHTS_SOCK_SHUTDOWN and base & E.RIGHTS_FD_READ
    assert g.fd_prestat_get(fd, g.alloc(8)) == E.ERRNO_BADF               # not a preopen


def test_send_recv_shutdown(pair):
    g, fd, peer = pair
    assert send(g, fd, b"hel", b"lo") == (0, 5)
    assert peer.recv(10) == b"hello"
    peer.sendall(b"world")
    assert recv(g, fd, 3, flags=E.RIFLAGS_RECV_PEEK)[:2] == (0, b"wor")
    assert recv(g, fd, 2, 10)[:2] == (0, b"world")
    peer.sendall(b"!")
    assert g.read(fd, 4) == (0, b"!")                                    # fd_read works too
    assert g.write(fd, b"?") == (0, 1) and peer.recv(4) == b"?"
    assert g.sock_shutdown(fd, E.SDFLAGS_WR) == 0
    assert peer.recv(4) == b""
    peer.close()
    assert recv(g, fd, 4)[:2] == (0, b"")
    assert g.sock_shutdown(fd, 0) == E.ERRNO_INVAL
    assert g.sock_shutdown(fd, 4) == E.ERRNO_INVAL


def test_bad_flags(pair):
    g, fd, _ = pair
    assert recv(g, fd, 4, flags=4)[0] == E.ERRNO_INVAL
    assert send(g, fd, b"x", flags=1)[0] == E.ERRNO_INVAL
    assert g.sock_accept(fd, 1, g.alloc(4)) == E.ERRNO_INVAL


def test_nonblocking(pair):
    g, fd, _ = pair
    assert g.fd_fdstat_set_flags(fd, E.FDFLAGS_NONBLOCK) == 0
    assert g.env.fds[fd].file.getblocking() is False
    assert recv(g, fd, 4)[0] == E.ERRNO_AGAIN
    assert g.read(fd, 4)[0] == E.ERRNO_AGAIN
    assert g.fd_fdstat_set_flags(fd, 0) == 0
    assert g.env.fds[fd].file.getblocking() is True


def test_accept(make_guest):
    listener = socket.create_server(("127.0.0.1", 0))
    with listener:
        g = make_guest(sockets=[listener])
        fd = max(g.env.fds)
        client = socket.create_connection(listener.getsockname())
        with client:
            out = g.alloc(4)
            assert g.sock_accept(fd, E.FDFLAGS_NONBLOCK, out) == 0
            conn = g.u32(out)
            assert g.env.fds[conn].file.getblocking() is False
            stat = g.alloc(24)
            g.fd_fdstat_get(conn, stat)
            assert g.u16(stat + 2) == E.FDFLAGS_NONBLOCK
            assert recv(g, conn, 4)[0] == E.ERRNO_AGAIN
            client.sendall(b"hi")
            client.shutdown(socket.SHUT_WR)
            g.fd_fdstat_set_flags(conn, 0)
            assert recv(g, conn, 4)[:2] == (0, b"hi")
            accepted = g.env.fds[conn].file
            assert g.fd_close(conn) == 0
            assert accepted.fileno() == -1                                # whisk owned it
        assert g.fd_close(fd) == 0
        assert listener.fileno() != -1                                    # the embedder owns it


def test_datagram_truncation(make_guest):
    if not hasattr(socket.socket, "recvmsg_into"):
        pytest.skip("the host has no recvmsg_into (Windows)")
    a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM)
    with a, b:
        g = make_guest(sockets=[a])
        fd = max(g.env.fds)
        b.send(b"0123456789")
        assert recv(g, fd, 4) == (0, b"0123", E.ROFLAGS_RECV_DATA_TRUNCATED)


@pytest.mark.parametrize("fd", [0, 1, 3])
def test_not_sockets(make_guest, tmp_path, fd):
    g = make_guest(preopens={"/": tmp_path})
    out = g.alloc(8)
    assert g.sock_accept(fd, 0, out) == E.ERRNO_NOTSOCK
    assert recv(g, fd, 4)[0] == E.ERRNO_NOTSOCK
    assert send(g, fd, b"x")[0] == E.ERRNO_NOTSOCK
    assert g.sock_shutdown(fd, E.SDFLAGS_RD) == E.ERRNO_NOTSOCK


def test_bad_descriptor(guest):
    assert guest.sock_accept(99, 0, 0) == E.ERRNO_BADF
    assert guest.sock_shutdown(-1, 1) == E.ERRNO_BADF
