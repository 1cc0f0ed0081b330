"""clock_res_get, clock_time_get, random_get, proc_exit, proc_raise, sched_yield."""

from __future__ import annotations

import time

import pytest

from whisk.errors import Exit
from whisk.wasi import errno as E


@pytest.mark.parametrize("clock", [E.CLOCKID_REALTIME, E.CLOCKID_MONOTONIC,
                                   E.CLOCKID_PROCESS_CPUTIME_ID, E.CLOCKID_THREAD_CPUTIME_ID])
def test_clock_res_get(guest, clock):
    out = guest.alloc(8)
    assert guest.clock_res_get(clock, out) == 0
    assert 0 < guest.u64(out) <= 1_000_000_000


def test_realtime_is_unix_epoch_ns(guest):
    out = guest.alloc(8)
    before = time.time_ns()
    assert guest.clock_time_get(E.CLOCKID_REALTIME, 1, out) == 0
    after = time.time_ns()
    assert before - 10**6 <= guest.u64(out) <= after + 10**6


def test_monotonic_does_not_go_back(guest):
    out = guest.alloc(8)
    values = []
    for _ in range(5):
        assert guest.clock_time_get(E.CLOCKID_MONOTONIC, 0, out) == 0
        values.append(guest.u64(out))
    assert values == sorted(values)


def test_cputime_clocks(guest):
    out = guest.alloc(8)
    for clock in (E.CLOCKID_PROCESS_CPUTIME_ID, E.CLOCKID_THREAD_CPUTIME_ID):
        assert guest.clock_time_get(clock, -1, out) == 0       # precision: any i64, ignored
        first = guest.u64(out)
        sum(range(100000))
        assert guest.clock_time_get(clock, 0, out) == 0
        assert guest.u64(out) >= first


def test_unknown_clock_is_inval(guest):
    out = guest.alloc(8)
    assert guest.clock_time_get(4, 0, out) == E.ERRNO_INVAL
    assert guest.clock_res_get(-1, out) == E.ERRNO_INVAL


def test_clock_out_of_bounds(guest):
    assert guest.clock_time_get(0, 0, len(guest.mem) - 4) == E.ERRNO_FAULT
    assert guest.clock_res_get(0, len(guest.mem) - 7) == E.ERRNO_FAULT


def test_random_get(guest):
    buf = guest.alloc(64 + 2)
    guest.mem[buf + 64] = 0xAB
    assert guest.random_get(buf + 1, 64) == 0
    data = guest.bytes(buf + 1, 64)
    assert data != bytes(64)
    assert guest.mem[buf] == 0 and guest.mem[buf + 65] == 0   # nothing around it touched
    assert guest.random_get(buf, 0) == 0
    assert guest.random_get(len(guest.mem) - 10, 11) == E.ERRNO_FAULT
    assert guest.random_get(0, -1) == E.ERRNO_FAULT


@pytest.mark.parametrize("code,expected", [(0, 0), (3, 3), (255, 255), (-1, -1),
                                           (2**32 - 2, -2)])
def test_proc_exit_raises_exit(guest, code, expected):
    with pytest.raises(Exit) as info:
        guest.proc_exit(code)
    assert info.value.code == expected


def test_proc_exit_flushes_output(make_guest):
    class Stream:
        def __init__(self):
            self.flushed = 0

        def write(self, data):
            return len(data)

        def flush(self):
            self.flushed += 1

    out = Stream()
    g = make_guest(stdout=out)
    with pytest.raises(Exit):
        g.proc_exit(0)
    assert out.flushed >= 1


def test_proc_exit_needs_no_memory(make_guest):
    g = make_guest()
    g.env.bind(None)
    with pytest.raises(Exit):
        g.proc_exit(1)


def test_proc_raise_is_nosys(guest):
    assert guest.proc_raise(6) == E.ERRNO_NOSYS


def test_sched_yield(guest):
    assert guest.sched_yield() == 0
