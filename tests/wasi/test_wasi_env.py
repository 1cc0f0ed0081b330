"""WasiEnv: the descriptor table, memory binding, the standard streams."""

from __future__ import annotations

import ctypes
import io
import sys

import pytest

from whisk.errors import Trap
from whisk.wasi import WasiConfig, WasiEnv
from whisk.wasi import errno as E


def test_table_layout(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    env = WasiEnv(WasiConfig(preopens={"/a": tmp_path / "a", "/b": str(tmp_path / "b")}))
    assert sorted(env.fds) == [0, 1, 2, 3, 4]
    assert [env.fds[fd].kind for fd in range(5)] == ["stream"] * 3 + ["dir"] * 2
    assert env.fds[3].preopen == b"/a" and env.fds[4].preopen == b"/b"
    assert env.fds[3].host_path == str((tmp_path / "a").absolute())


def test_preopen_must_be_an_existing_directory(tmp_path):
    with pytest.raises(FileNotFoundError):
        WasiEnv(WasiConfig(preopens={"/x": tmp_path / "missing"}))
    (tmp_path / "file").write_bytes(b"")
    with pytest.raises(NotADirectoryError):
        WasiEnv(WasiConfig(preopens={"/x": tmp_path / "file"}))


def test_relative_preopen_is_made_absolute(tmp_path, monkeypatch):
    (tmp_path / "d").mkdir()
    monkeypatch.chdir(tmp_path)
    env = WasiEnv(WasiConfig(preopens={".": "d"}))
    monkeypatch.chdir("/")
    assert env.fds[3].host_path == str(tmp_path / "d")


def test_calls_before_bind_trap():
    funcs = WasiEnv(WasiConfig()).imports()
    with pytest.raises(Trap):
        funcs["args_sizes_get"](0, 4)
    assert funcs["sched_yield"]() == 0                       # needs no memory


def test_memory_may_grow_between_calls(make_guest):
    """No memoryview outlives a call, so a bytearray memory can be resized afterwards (an
    engine growing memory must not hit BufferError), also after a failing call."""
    g = make_guest(argv=["a"])
    out = g.alloc(8)
    assert g.args_sizes_get(out, out + 4) == 0
    g.mem.extend(bytes(65536))
    assert g.write(1, b"x")[0] == 0
    g.mem.extend(bytes(65536))
    assert g.args_sizes_get(len(g.mem) + 100, 0) == E.ERRNO_FAULT
    g.mem.extend(bytes(65536))
    assert g.read(0, 4)[0] == 0
    g.mem.extend(bytes(65536))
    # and the new size is seen by the next call
    assert g.args_sizes_get(len(g.mem) - 8, len(g.mem) - 4) == 0
    assert g.u32(len(g.mem) - 8) == 1


def test_bind_replaces_memory(make_guest):
    g = make_guest(argv=["prog"])
    other = bytearray(128)
    g.env.bind(other)
    assert g.env.memory is other
    assert g.args_sizes_get(0, 4) == 0
    assert other[0] == 1 and other[4] == 5


def test_non_byte_buffer_memory_is_cast(make_guest):
    g = make_guest(argv=["prog"])
    mem = (ctypes.c_ubyte * 64)()                            # memoryview format "<B"
    g.env.bind(mem)
    assert g.args_sizes_get(8, 12) == 0
    assert bytes(mem)[8:16] == b"\x01\0\0\0\x05\0\0\0"


def test_default_streams_are_the_process_streams(capfd):
    env = WasiEnv(WasiConfig())
    assert env.fds[1].file is sys.stdout.buffer
    assert env.fds[2].file is sys.stderr.buffer


def test_text_streams_are_adapted():
    out = io.StringIO()
    env = WasiEnv(WasiConfig(stdout=out, stdin="text in"))
    env.bind(bytearray(256))
    funcs = env.imports()
    mem = env.memory
    mem[16:21] = b"hello"
    mem[0:8] = (16).to_bytes(4, "little") + (5).to_bytes(4, "little")
    assert funcs["fd_write"](1, 0, 1, 100) == 0
    assert out.getvalue() == "hello"
    mem[0:8] = (32).to_bytes(4, "little") + (16).to_bytes(4, "little")
    assert funcs["fd_read"](0, 0, 1, 100) == 0
    assert bytes(mem[32:39]) == b"text in"


def test_context_manager_closes(tmp_path):
    (tmp_path / "f").write_bytes(b"")
    with WasiEnv(WasiConfig(preopens={"/": tmp_path})) as env:
        env.bind(bytearray(1024))
        funcs = env.imports()
        env.memory[0:1] = b"f"
        assert funcs["path_open"](3, 0, 0, 1, 0, -1, -1, 0, 64) == 0
        file = env.fds[4].file
    assert file.closed
