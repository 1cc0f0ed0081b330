"""Fixtures for the WASI unit tests: a guest stand-in whose linear memory is a bytearray, so
the WASI functions are tested without the engine."""

from __future__ import annotations

import io
import os
import struct

import pytest

from whisk.wasi import WasiConfig, WasiEnv
from whisk.wasi import errno as E

MEMORY_SIZE = 65536


class Guest:
    """A WasiEnv bound to a bytearray memory, with helpers to lay out arguments in it.

    ``g.fd_write(...)`` calls the import of that name (as the engine would: signed ints in,
    errno out). ``g.stdout`` / ``g.stderr`` are BytesIO unless given.
    """

    def __init__(self, **config):
        self.stdout = config.setdefault("stdout", io.BytesIO())
        self.stderr = config.setdefault("stderr", io.BytesIO())
        config.setdefault("stdin", b"")
        self.env = WasiEnv(WasiConfig(**config))
        self.mem = bytearray(MEMORY_SIZE)
        self.env.bind(self.mem)
        self.funcs = self.env.imports()
        self._next = 1024

    def __getattr__(self, name):
        try:
            return self.__dict__["funcs"][name]
        except KeyError:
            raise AttributeError(name) from None

    # memory layout
    def alloc(self, size: int, align: int = 8) -> int:
        """Reserve ``size`` zeroed bytes; returns the address."""
        at = (self._next + align - 1) // align * align
        self._next = at + max(size, 1)
        assert self._next <= len(self.mem), "test memory exhausted"
        return at

    def put(self, data: bytes) -> tuple[int, int]:
        """Copy ``data`` into memory; returns ``(address, length)``."""
        at = self.alloc(len(data), 1)
        self.mem[at:at + len(data)] = data
        return at, len(data)

    def path(self, text: str | bytes) -> tuple[int, int]:
        return self.put(text.encode() if isinstance(text, str) else text)

    def iovecs(self, *buffers: bytes | int) -> tuple[int, int]:
        """An iovec array: each item is bytes to place in memory, or an int size of a zeroed
        buffer. Returns ``(iovs, count)``; ``self.last_buffers`` holds the ``(ptr, len)``s."""
        pairs = []
        for b in buffers:
            if isinstance(b, int):
                pairs.append((self.alloc(b, 1), b))
            else:
                pairs.append(self.put(b))
        iovs = self.alloc(8 * len(pairs), 4)
        for i, (ptr, n) in enumerate(pairs):
            struct.pack_into("<II", self.mem, iovs + 8 * i, ptr, n)
        self.last_buffers = pairs
        return iovs, len(pairs)

    def u8(self, ptr: int) -> int:
        return self.mem[ptr]

    def u16(self, ptr: int) -> int:
        return struct.unpack_from("<H", self.mem, ptr)[0]

    def u32(self, ptr: int) -> int:
        return struct.unpack_from("<I", self.mem, ptr)[0]

    def u64(self, ptr: int) -> int:
        return struct.unpack_from("<Q", self.mem, ptr)[0]

    def bytes(self, ptr: int, n: int) -> bytes:
        return bytes(self.mem[ptr:ptr + n])

    # common sequences
    def open(self, dirfd: int, path: str, oflags: int = 0, rights: int | None = None,
             inheriting: int = -1, fdflags: int = 0, lookup: int = 1) -> tuple[int, int]:
        """path_open; returns ``(errno, fd)``. ``rights`` None: all of them (-1, as an i64
        arrives), but without ``RIGHTS_FD_WRITE`` when ``oflags`` has ``OFLAGS_DIRECTORY``
        (a directory cannot be opened for writing)."""
        if rights is None:
            rights = ~E.RIGHTS_FD_WRITE if oflags & E.OFLAGS_DIRECTORY else -1
        p, n = self.path(path)
        out = self.alloc(4)
        err = self.path_open(dirfd, lookup, p, n, oflags, rights, inheriting, fdflags, out)
        return err, self.u32(out) if err == 0 else -1

    def write(self, fd: int, *chunks: bytes) -> tuple[int, int]:
        iovs, count = self.iovecs(*chunks)
        out = self.alloc(4)
        err = self.fd_write(fd, iovs, count, out)
        return err, self.u32(out)

    def read(self, fd: int, *sizes: int) -> tuple[int, bytes]:
        iovs, count = self.iovecs(*sizes)
        buffers = self.last_buffers
        out = self.alloc(4)
        err = self.fd_read(fd, iovs, count, out)
        if err:
            return err, b""
        n = self.u32(out)
        data = b"".join(self.bytes(p, ln) for p, ln in buffers)
        return err, data[:n]

    def filestat(self, ptr: int) -> dict:
        dev, ino, ftype, nlink, size, atim, mtim, ctim = struct.unpack_from("<QQB7xQQQQQ", self.mem, ptr)
        return dict(dev=dev, ino=ino, filetype=ftype, nlink=nlink, size=size, atim=atim,
                    mtim=mtim, ctim=ctim)


@pytest.fixture
def make_guest():
    """``make_guest(**WasiConfig kwargs) -> Guest``; closes the environments afterwards."""
    made = []

    def make(**config):
        g = Guest(**config)
        made.append(g)
        return g

    yield make
    for g in made:
        g.env.close()


@pytest.fixture
def guest(make_guest):
    return make_guest()


@pytest.fixture(scope="session")
def symlinks_ok(tmp_path_factory) -> bool:
    """Whether this user may create symbolic links here (Windows needs developer mode)."""
    probe = tmp_path_factory.mktemp("symlink-probe")
    try:
        os.symlink("x", probe / "link")
    except (OSError, NotImplementedError):
        return False
    return True
