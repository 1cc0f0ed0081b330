"""args_get, args_sizes_get, environ_get, environ_sizes_get."""

from __future__ import annotations

import struct

import pytest

from whisk.wasi import WasiConfig
from whisk.wasi import errno as E


def read_strings(g, ptrs, count):
    out = []
    for i in range(count):
        at = g.u32(ptrs + 4 * i)
        end = g.mem.index(b"\0", at)
        out.append(bytes(g.mem[at:end]))
    return out


def test_args_sizes_and_get(make_guest):
    g = make_guest(argv=["prog.wasm", "one", "two words", "é"])
    counts = g.alloc(8)
    assert g.args_sizes_get(counts, counts + 4) == 0
    argc, size = g.u32(counts), g.u32(counts + 4)
    assert argc == 4
    assert size == len(b"prog.wasm\0one\0two words\0\xc3\xa9\0")
    argv, buf = g.alloc(4 * argc), g.alloc(size)
    assert g.args_get(argv, buf) == 0
    assert read_strings(g, argv, argc) == [b"prog.wasm", b"one", b"two words", "é".encode()]
    assert g.bytes(buf, size) == b"prog.wasm\0one\0two words\0\xc3\xa9\0"
    assert g.u32(argv) == buf                    # strings packed from the buffer's start


def test_no_args(make_guest):
    g = make_guest(argv=[])
    counts = g.alloc(8)
    assert g.args_sizes_get(counts, counts + 4) == 0
    assert (g.u32(counts), g.u32(counts + 4)) == (0, 0)
    assert g.args_get(g.alloc(4), g.alloc(4)) == 0


def test_bytes_args_pass_unchanged(make_guest):
    g = make_guest(argv=[b"\xff\xfe", "x"])
    counts = g.alloc(8)
    g.args_sizes_get(counts, counts + 4)
    argv, buf = g.alloc(8), g.alloc(g.u32(counts + 4))
    assert g.args_get(argv, buf) == 0
    assert read_strings(g, argv, 2) == [b"\xff\xfe", b"x"]


def test_environ(make_guest):
    g = make_guest(env={"A": "1", "GREETING": "hi there", "EMPTY": ""})
    counts = g.alloc(8)
    assert g.environ_sizes_get(counts, counts + 4) == 0
    n, size = g.u32(counts), g.u32(counts + 4)
    assert n == 3 and size == len(b"A=1\0GREETING=hi there\0EMPTY=\0")
    ptrs, buf = g.alloc(4 * n), g.alloc(size)
    assert g.environ_get(ptrs, buf) == 0
    assert read_strings(g, ptrs, n) == [b"A=1", b"GREETING=hi there", b"EMPTY="]


def test_environ_empty_by_default(guest):
    counts = guest.alloc(8)
    assert guest.environ_sizes_get(counts, counts + 4) == 0
    assert (guest.u32(counts), guest.u32(counts + 4)) == (0, 0)


def test_inherit_env(monkeypatch):
    monkeypatch.setenv("WHISK_TEST_INHERITED", "yes")
    monkeypatch.setenv("WHISK_TEST_OVERRIDDEN", "host")
    cfg = WasiConfig(inherit_env=True, env={"WHISK_TEST_OVERRIDDEN": "guest"})
    environ = cfg.environ_bytes
    assert b"WHISK_TEST_INHERITED=yes" in environ
    assert b"WHISK_TEST_OVERRIDDEN=guest" in environ
    assert b"WHISK_TEST_OVERRIDDEN=host" not in environ
    assert not any(e.startswith(b"WHISK_TEST") for e in WasiConfig(env={}).environ_bytes)


def test_config_rejects_bad_strings():
    with pytest.raises(ValueError):
        WasiConfig(argv=["a\0b"]).args_bytes
    with pytest.raises(ValueError):
        WasiConfig(env={"A=B": "1"})
    with pytest.raises(ValueError):
        WasiConfig(env={"": "1"})
    with pytest.raises(TypeError):
        WasiConfig(argv=[1]).args_bytes


def test_out_of_bounds_pointers_give_efault(make_guest):
    g = make_guest(argv=["prog", "arg"])
    size = len(g.mem)
    assert g.args_sizes_get(size - 2, 0) == E.ERRNO_FAULT
    assert g.args_get(size - 4, 0) == E.ERRNO_FAULT           # 2 pointers do not fit
    assert g.args_get(0, size - 5) == E.ERRNO_FAULT           # "prog\0arg\0" does not fit
    assert g.environ_sizes_get(0, -1) == E.ERRNO_FAULT        # i32 -1 is address 0xFFFFFFFF


def test_signed_pointers_are_read_unsigned(make_guest):
    g = make_guest(argv=["x"])
    # a pointer above 2**31 arrives as a negative i32: it must be taken as 0x8000_0000+, far
    # outside the 64 KiB test memory, not as a negative offset from its end
    assert g.args_sizes_get(-8, 0) == E.ERRNO_FAULT
    assert struct.unpack_from("<I", g.mem, len(g.mem) - 8)[0] == 0
