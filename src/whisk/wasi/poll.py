"""Polling: ``poll_oneoff`` (wasi_snapshot_preview1).

Clock subscriptions become deadlines on the host's monotonic clock. Regular files are always
ready (the witx says so), as are standard streams that are not host file descriptors (bytes,
``BytesIO``) and, on Windows, the standard streams (Windows' ``select`` takes only sockets).
Everything else with a host file descriptor (pipes, terminals, sockets) is waited for with
``select``, which releases the GIL.
"""

from __future__ import annotations

import os
import select
import stat
import struct
import sys
import time

from . import errno as E
from .clock import CLOCKS
from .env import U32, Descriptor, WasiEnv, WasiErrno, check_range, out_ptr

__all__ = ["poll_oneoff"]

#: subscription: userdata u64, tag u8 @8, then @16 the clock (id u32, timeout u64 @24,
#: precision u64 @32, flags u16 @40) or the fd (u32 @16); 48 bytes.
_SUBSCRIPTION = struct.Struct("<QB7xI4xQQH6x")
#: event: userdata u64, error u16 @8, type u8 @10, nbytes u64 @16, flags u16 @24; 32 bytes.
_EVENT = struct.Struct("<QHB5xQH6x")
_WINDOWS = os.name == "nt"

if sys.platform != "win32":                     # bytes waiting in a pipe, terminal or socket
    import fcntl
    import termios

    def _pending(fileno: int) -> int | None:
        buf = bytearray(4)
        try:
            fcntl.ioctl(fileno, termios.FIONREAD, buf)
        except OSError:
            return None
        return int.from_bytes(buf, sys.byteorder)
else:                                           # (spelled so that type checkers narrow on it)
    def _pending(fileno: int) -> int | None:
        return None


def _host_fileno(desc: Descriptor) -> int | None:
    """The host file descriptor to ``select`` on, or None if ``desc`` is always ready."""
    if desc.kind == "file" and desc.filetype == E.FILETYPE_REGULAR_FILE:
        return None
    if _WINDOWS and desc.kind != "socket":
        return None
    try:
        return int(desc.file.fileno())
    except (AttributeError, OSError, ValueError):
        return None


def _ready_now(desc: Descriptor, eventtype: int) -> int:
    """``nbytes`` of a descriptor that is always ready: what is left to read in a regular file
    (0 for writes and for streams that cannot tell)."""
    if eventtype == E.EVENTTYPE_FD_READ and desc.kind == "file":
        try:
            return max(0, os.fstat(desc.file.fileno()).st_size - int(desc.file.tell()))
        except (OSError, ValueError):
            return 0
    return 0


def _ready_event(fileno: int, eventtype: int) -> tuple[int, int]:
    """``(nbytes, flags)`` for a host descriptor ``select`` reported ready: a readable one with
    nothing to read has reached end of file (``EVENTRWFLAGS_FD_READWRITE_HANGUP``)."""
    if eventtype != E.EVENTTYPE_FD_READ:
        return 0, 0
    pending = _pending(fileno)
    if pending == 0 and not stat.S_ISREG(os.fstat(fileno).st_mode):
        return 0, E.EVENTRWFLAGS_FD_READWRITE_HANGUP
    return pending or 0, 0


def poll_oneoff(env: WasiEnv, in_ptr: int, out_ptr_: int, nsubscriptions: int, nevents_ptr: int) -> int:
    """witx ``poll_oneoff(in: const_pointer<subscription>, out: pointer<event>,
    nsubscriptions: size) -> size``: wait until at least one of the ``nsubscriptions``
    subscriptions (48 bytes each) at ``in_ptr`` has an event, write one ``event`` (32 bytes)
    per subscription that has one to ``out_ptr_`` and store their number (u32) at
    ``nevents_ptr``.

    A clock subscription fires when its clock reaches ``timeout`` ns from now, or the
    absolute time ``timeout`` with ``SUBCLOCKFLAGS_SUBSCRIPTION_CLOCK_ABSTIME``; an
    ``fd_read``/``fd_write`` one when the descriptor can be read/written without blocking
    (``nbytes``: the bytes available to read where the host can tell; the hangup flag at end
    of file of a pipe or socket). A subscription that cannot be waited for (a bad descriptor,
    one without ``RIGHTS_POLL_FD_READWRITE``, an unknown clock) gives an event at once with
    the error in it. ``nsubscriptions`` 0 or an unknown event type gives ``ERRNO_INVAL``.
    """
    count = nsubscriptions & U32
    if count == 0:
        return E.ERRNO_INVAL
    m = env.mem()
    in_ptr &= U32
    check_range(m, in_ptr, count * E.SIZEOF_SUBSCRIPTION)
    out = out_ptr(m, out_ptr_, count * E.SIZEOF_EVENT)
    nevents_ptr = out_ptr(m, nevents_ptr, 4)
    start = time.monotonic_ns()
    events: list[tuple[int, int, int, int, int]] = []     # userdata, error, type, nbytes, flags
    deadlines: list[tuple[int, int]] = []                  # monotonic ns, userdata
    waiting: list[tuple[int, int, int]] = []               # host fd, userdata, type
    for i in range(count):
        userdata, tag, ident, timeout, _, flags = _SUBSCRIPTION.unpack_from(
            m, in_ptr + i * E.SIZEOF_SUBSCRIPTION)
        if tag == E.EVENTTYPE_CLOCK:
            clock = CLOCKS.get(ident)
            if clock is None:
                events.append((userdata, E.ERRNO_INVAL, tag, 0, 0))
            elif flags & E.SUBCLOCKFLAGS_SUBSCRIPTION_CLOCK_ABSTIME:
                deadlines.append((start + timeout - clock[0](), userdata))
            else:
                deadlines.append((start + timeout, userdata))
        elif tag in (E.EVENTTYPE_FD_READ, E.EVENTTYPE_FD_WRITE):
            try:
                desc = env.get(ident, E.RIGHTS_POLL_FD_READWRITE)
            except WasiErrno as exc:
                events.append((userdata, exc.errno, tag, 0, 0))
                continue
            fileno = _host_fileno(desc)
            if fileno is None:
                events.append((userdata, E.ERRNO_SUCCESS, tag, _ready_now(desc, tag), 0))
            else:
                waiting.append((fileno, userdata, tag))
        else:
            return E.ERRNO_INVAL
    while True:
        now = time.monotonic_ns()
        if not events:
            wait = max(0, min(d for d, _ in deadlines) - now) / 1e9 if deadlines else None
            if waiting:
                readable, writable, _ = select.select(
                    [f for f, _, t in waiting if t == E.EVENTTYPE_FD_READ],
                    [f for f, _, t in waiting if t == E.EVENTTYPE_FD_WRITE], [], wait)
                for fileno, userdata, tag in waiting:
                    if fileno in (readable if tag == E.EVENTTYPE_FD_READ else writable):
                        events.append((userdata, E.ERRNO_SUCCESS, tag,
                                       *_ready_event(fileno, tag)))
            elif wait:
                time.sleep(wait)
            now = time.monotonic_ns()
        events += [(userdata, E.ERRNO_SUCCESS, E.EVENTTYPE_CLOCK, 0, 0)
                   for deadline, userdata in deadlines if deadline <= now]
        if events:
            break
    for i, event in enumerate(events):
        _EVENT.pack_into(m, out + i * E.SIZEOF_EVENT, *event)
    struct.pack_into("<I", m, nevents_ptr, len(events))
    return E.ERRNO_SUCCESS
