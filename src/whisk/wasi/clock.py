"""Clocks: ``clock_res_get`` and ``clock_time_get`` (wasi_snapshot_preview1). Timestamps and
resolutions are u64 nanoseconds."""

from __future__ import annotations

import struct
import time
from collections.abc import Callable
from typing import Literal

from . import errno as E
from .env import U32, WasiEnv, check_range


ClockName = Literal["time", "monotonic", "process_time", "thread_time"]


def _resolution_ns(clock: ClockName) -> int:
    try:
        return max(1, round(time.get_clock_info(clock).resolution * 1e9))
    except (ValueError, OSError):
        return 1000


_thread_time_ns = getattr(time, "thread_time_ns", time.process_time_ns)

#: clockid -> (function returning the time in ns, name for time.get_clock_info)
CLOCKS: dict[int, tuple[Callable[[], int], ClockName]] = {
    E.CLOCKID_REALTIME: (time.time_ns, "time"),
    E.CLOCKID_MONOTONIC: (time.monotonic_ns, "monotonic"),
    E.CLOCKID_PROCESS_CPUTIME_ID: (time.process_time_ns, "process_time"),
    E.CLOCKID_THREAD_CPUTIME_ID: (
        _thread_time_ns, "thread_time" if hasattr(time, "thread_time_ns") else "process_time"),
}
_RESOLUTIONS: dict[int, int] = {}


def clock_res_get(env: WasiEnv, clock_id: int, resolution_ptr: int) -> int:
    """witx ``clock_res_get(id: clockid) -> timestamp``: store the resolution of the clock in
    nanoseconds (u64, never 0) at ``resolution_ptr``; ``ERRNO_INVAL`` for an unknown clock."""
    clock = CLOCKS.get(clock_id & U32)
    if clock is None:
        return E.ERRNO_INVAL
    res = _RESOLUTIONS.get(clock_id & U32)
    if res is None:
        res = _RESOLUTIONS[clock_id & U32] = _resolution_ns(clock[1])
    m = env.mem()
    resolution_ptr &= U32
    check_range(m, resolution_ptr, 8)
    struct.pack_into("<Q", m, resolution_ptr, res)
    return E.ERRNO_SUCCESS


def clock_time_get(env: WasiEnv, clock_id: int, precision: int, time_ptr: int) -> int:
    """witx ``clock_time_get(id: clockid, precision: timestamp) -> timestamp``: store the
    clock's time in nanoseconds (u64) at ``time_ptr``. Realtime counts from the Unix epoch;
    monotonic from an unspecified point; the CPU-time clocks count the host process's (thread's)
    CPU time. ``precision`` (the lag the guest tolerates) is ignored."""
    clock = CLOCKS.get(clock_id & U32)
    if clock is None:
        return E.ERRNO_INVAL
    m = env.mem()
    time_ptr &= U32
    check_range(m, time_ptr, 8)
    struct.pack_into("<Q", m, time_ptr, clock[0]() & 0xFFFFFFFFFFFFFFFF)
    return E.ERRNO_SUCCESS
