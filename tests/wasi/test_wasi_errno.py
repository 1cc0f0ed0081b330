"""The witx constants in whisk.wasi.errno."""

from __future__ import annotations

import errno as host

from whisk.wasi import errno as E


def test_errno_values_from_witx():
    assert E.ERRNO_SUCCESS == 0
    assert E.ERRNO_2BIG == 1
    assert E.ERRNO_BADF == 8
    assert E.ERRNO_EXIST == 20
    assert E.ERRNO_FAULT == 21
    assert E.ERRNO_INVAL == 28
    assert E.ERRNO_ISDIR == 31
    assert E.ERRNO_NOENT == 44
    assert E.ERRNO_NOSYS == 52
    assert E.ERRNO_NOTDIR == 54
    assert E.ERRNO_NOTEMPTY == 55
    assert E.ERRNO_SPIPE == 70
    assert E.ERRNO_NOTCAPABLE == 76


def test_errno_names_cover_all_77_values():
    assert sorted(E.ERRNO_NAMES) == list(range(77))
    assert E.ERRNO_NAMES[76] == "notcapable"
    assert E.ERRNO_NAMES[1] == "2big"


def test_host_errno_mapping():
    assert E.HOST_ERRNO[host.ENOENT] == E.ERRNO_NOENT
    assert E.HOST_ERRNO[host.EACCES] == E.ERRNO_ACCES
    assert E.HOST_ERRNO[host.ENOTEMPTY] == E.ERRNO_NOTEMPTY
    assert set(E.HOST_ERRNO.values()) <= set(E.ERRNO_NAMES)


def test_flags_and_enums():
    assert E.RIGHTS_FD_READ == 2 and E.RIGHTS_FD_WRITE == 64 and E.RIGHTS_SOCK_ACCEPT == 1 << 29
    assert E.RIGHTS_ALL == (1 << 30) - 1
    assert (E.FILETYPE_DIRECTORY, E.FILETYPE_REGULAR_FILE, E.FILETYPE_SYMBOLIC_LINK) == (3, 4, 7)
    assert (E.OFLAGS_CREAT, E.OFLAGS_DIRECTORY, E.OFLAGS_EXCL, E.OFLAGS_TRUNC) == (1, 2, 4, 8)
    assert (E.FDFLAGS_APPEND, E.FDFLAGS_NONBLOCK, E.FDFLAGS_SYNC) == (1, 4, 16)
    assert (E.WHENCE_SET, E.WHENCE_CUR, E.WHENCE_END) == (0, 1, 2)
    assert (E.CLOCKID_REALTIME, E.CLOCKID_MONOTONIC, E.CLOCKID_PROCESS_CPUTIME_ID,
            E.CLOCKID_THREAD_CPUTIME_ID) == (0, 1, 2, 3)
