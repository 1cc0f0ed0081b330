"""poll_oneoff: clocks (relative, absolute), regular files, streams, pipes and sockets."""

from __future__ import annotations

import io
import os
import socket
import struct
import sys
import threading
import time

import pytest

from whisk.wasi import errno as E

MS = 1_000_000
ABSTIME = E.SUBCLOCKFLAGS_SUBSCRIPTION_CLOCK_ABSTIME


def clock(userdata, timeout, clock_id=E.CLOCKID_MONOTONIC, flags=0):
    return struct.pack("<QB7xIxxxxQQH6x", userdata, E.EVENTTYPE_CLOCK, clock_id, timeout, 0, flags)


def fd(userdata, number, eventtype=E.EVENTTYPE_FD_READ):
    return struct.pack("<QB7xI28x", userdata, eventtype, number)


def poll(g, *subscriptions):
    """poll_oneoff; returns ``(errno, [(userdata, error, type, nbytes, flags)], seconds)``."""
    subs = g.put(b"".join(subscriptions))[0]
    out, nevents = g.alloc(32 * len(subscriptions)), g.alloc(4)
    start = time.monotonic()
    err = g.poll_oneoff(subs, out, len(subscriptions), nevents)
    took = time.monotonic() - start
    events = [struct.unpack_from("<QHB5xQH6x", g.mem, out + 32 * i)
              for i in range(g.u32(nevents) if err == 0 else 0)]
    return err, events, took


def test_relative_clock(guest):
    err, events, took = poll(guest, clock(7, 30 * MS))
    assert err == 0 and events == [(7, 0, E.EVENTTYPE_CLOCK, 0, 0)]
    assert took >= 0.029


def test_absolute_clocks(guest):
    deadline = time.monotonic_ns() + 30 * MS
    err, events, took = poll(guest, clock(1, deadline, flags=ABSTIME))
    assert err == 0 and events[0][0] == 1
    assert time.monotonic_ns() >= deadline
    past = time.time_ns() - 10 ** 9
    err, events, took = poll(guest, clock(2, past, E.CLOCKID_REALTIME, ABSTIME))
    assert err == 0 and events[0][0] == 2 and took < 0.5


def test_earliest_clock_wins(guest):
    err, events, took = poll(guest, clock(1, 10 ** 10), clock(2, 5 * MS), clock(3, 10 ** 10))
    assert [e[0] for e in events] == [2] and took < 5


def test_ready_descriptors_answer_at_once(make_guest, tmp_path):
    (tmp_path / "f").write_bytes(b"12345")
    g = make_guest(preopens={"/": tmp_path}, stdin=b"input", stdout=io.BytesIO())
    _, f = g.open(3, "f")
    assert g.read(f, 2) == (0, b"12")
    err, events, took = poll(g, clock(9, 10 ** 10), fd(1, f), fd(2, f, E.EVENTTYPE_FD_WRITE),
                             fd(3, 0), fd(4, 1, E.EVENTTYPE_FD_WRITE))
    assert err == 0 and took < 5
    assert [(e[0], e[1], e[2], e[3]) for e in events] == [
        (1, 0, E.EVENTTYPE_FD_READ, 3), (2, 0, E.EVENTTYPE_FD_WRITE, 0),
        (3, 0, E.EVENTTYPE_FD_READ, 0), (4, 0, E.EVENTTYPE_FD_WRITE, 0)]


def test_errors_come_as_events(make_guest, tmp_path):
    g = make_guest(preopens={"/": tmp_path})
    err, events, _ = poll(g, fd(1, 99), fd(2, 3), clock(3, 0, clock_id=42))
    assert err == 0
    assert [(e[0], e[1]) for e in events] == [
        (1, E.ERRNO_BADF), (2, E.ERRNO_NOTCAPABLE), (3, E.ERRNO_INVAL)]


def test_bad_calls(guest):
    assert poll(guest, clock(1, 0))[0] == 0
    assert guest.poll_oneoff(0, 0, 0, 0) == E.ERRNO_INVAL                 # nothing to wait for
    bad_type = struct.pack("<QB47x", 1, 9)
    assert poll(guest, bad_type)[0] == E.ERRNO_INVAL
    assert guest.poll_oneoff(len(guest.mem) - 40, 0, 1, 0) == E.ERRNO_FAULT
    assert guest.poll_oneoff(0, len(guest.mem) - 20, 1, 0) == E.ERRNO_FAULT


@pytest.mark.skipif(sys.platform == "win32", reason="Windows' select takes sockets only")
def test_pipe_as_stdin(make_guest):
    r, w = os.pipe()
    with open(r, "rb", buffering=0) as reader, open(w, "wb", buffering=0) as writer:
        g = make_guest(stdin=reader)
        err, events, took = poll(g, fd(1, 0), clock(2, 30 * MS))
        assert [e[0] for e in events] == [2]                               # nothing to read yet
        threading.Timer(0.05, writer.write, [b"abc"]).start()
        err, events, took = poll(g, fd(1, 0), clock(2, 10 ** 10))
        assert err == 0 and events == [(1, 0, E.EVENTTYPE_FD_READ, 3, 0)] and took < 5
        assert g.read(0, 10) == (0, b"abc")
        writer.close()
        err, events, _ = poll(g, fd(1, 0))
        assert events == [(1, 0, E.EVENTTYPE_FD_READ, 0, E.EVENTRWFLAGS_FD_READWRITE_HANGUP)]


def test_socket_readiness(make_guest):
    a, b = socket.socketpair()
    with a, b:
        g = make_guest(sockets=[a])
        sock = max(g.env.fds)
        err, events, _ = poll(g, fd(1, sock), fd(2, sock, E.EVENTTYPE_FD_WRITE), clock(3, 10 ** 10))
        assert [e[0] for e in events] == [2]                               # writable, not readable
        b.sendall(b"xy")
        err, events, _ = poll(g, fd(1, sock), clock(3, 10 ** 10))
        assert [e[0] for e in events] == [1]
