"""The state of one WASI preview 1 guest: its file descriptor table and bound linear memory.

``WasiEnv(config)`` builds the table (0, 1, 2: stdin, stdout, stderr; then one directory per
preopen from fd 3), ``imports()`` gives the ``wasi_snapshot_preview1`` functions as plain Python
callables, and ``bind(memory)`` hands over the instance's exported memory once it exists.

This module also holds the helpers the function families share: guest memory access with
bounds checks, the errno exception, and the conversion of host ``stat`` results.
"""

from __future__ import annotations

import codecs
import io
import os
import socket
import stat
import struct
import sys
from typing import Any, Callable

from ..errors import Trap
from . import errno as E
from .config import WasiConfig
from .dirfd import HostDir

__all__ = ["WasiEnv", "Descriptor", "WasiErrno"]

U32 = 0xFFFFFFFF
U64 = 0xFFFFFFFFFFFFFFFF

#: Rights a directory descriptor can have (the others do not apply to directories).
DIRECTORY_RIGHTS = (
    E.RIGHTS_FD_FDSTAT_SET_FLAGS | E.RIGHTS_FD_SYNC | E.RIGHTS_FD_DATASYNC | E.RIGHTS_FD_ADVISE
    | E.RIGHTS_PATH_CREATE_DIRECTORY | E.RIGHTS_PATH_CREATE_FILE | E.RIGHTS_PATH_LINK_SOURCE
    | E.RIGHTS_PATH_LINK_TARGET | E.RIGHTS_PATH_OPEN | E.RIGHTS_FD_READDIR
    | E.RIGHTS_PATH_READLINK | E.RIGHTS_PATH_RENAME_SOURCE | E.RIGHTS_PATH_RENAME_TARGET
    | E.RIGHTS_PATH_FILESTAT_GET | E.RIGHTS_PATH_FILESTAT_SET_SIZE
    | E.RIGHTS_PATH_FILESTAT_SET_TIMES | E.RIGHTS_FD_FILESTAT_GET
    | E.RIGHTS_FD_FILESTAT_SET_TIMES | E.RIGHTS_PATH_SYMLINK | E.RIGHTS_PATH_REMOVE_DIRECTORY
    | E.RIGHTS_PATH_UNLINK_FILE
)
#: Rights a regular file descriptor can have.
FILE_RIGHTS = (
    E.RIGHTS_FD_DATASYNC | E.RIGHTS_FD_READ | E.RIGHTS_FD_SEEK | E.RIGHTS_FD_FDSTAT_SET_FLAGS
    | E.RIGHTS_FD_SYNC | E.RIGHTS_FD_TELL | E.RIGHTS_FD_WRITE | E.RIGHTS_FD_ADVISE
    | E.RIGHTS_FD_ALLOCATE | E.RIGHTS_FD_FILESTAT_GET | E.RIGHTS_FD_FILESTAT_SET_SIZE
    | E.RIGHTS_FD_FILESTAT_SET_TIMES | E.RIGHTS_POLL_FD_READWRITE
)
#: Rights of the standard streams (no seek / tell: wasi-libc's isatty() depends on that).
_STREAM_COMMON = E.RIGHTS_FD_FDSTAT_SET_FLAGS | E.RIGHTS_FD_FILESTAT_GET | E.RIGHTS_POLL_FD_READWRITE
STDIN_RIGHTS = E.RIGHTS_FD_READ | _STREAM_COMMON
STDOUT_RIGHTS = E.RIGHTS_FD_WRITE | _STREAM_COMMON
#: Rights of a socket descriptor.
SOCKET_RIGHTS = (E.RIGHTS_FD_READ | E.RIGHTS_FD_WRITE | E.RIGHTS_SOCK_SHUTDOWN
                 | E.RIGHTS_SOCK_ACCEPT | _STREAM_COMMON)
#: Rights that change a file: not granted on files opened under a read-only preopen.
WRITE_RIGHTS = (E.RIGHTS_FD_WRITE | E.RIGHTS_FD_ALLOCATE | E.RIGHTS_FD_FILESTAT_SET_SIZE
                | E.RIGHTS_FD_FILESTAT_SET_TIMES | E.RIGHTS_FD_DATASYNC | E.RIGHTS_FD_SYNC)


class WasiErrno(Exception):
    """Raised inside a WASI function to make it return ``errno`` (a WASI errno value) to the
    guest. The wrappers built by ``WasiEnv.imports()`` catch it."""

    def __init__(self, errno: int):
        self.errno = errno
        super().__init__(f"WASI errno {errno} ({E.ERRNO_NAMES.get(errno, '?')})")


def oserror_errno(exc: OSError) -> int:
    """The WASI errno for a host ``OSError`` (``ERRNO_IO`` when it has no equivalent)."""
    return E.HOST_ERRNO.get(exc.errno, E.ERRNO_IO) if exc.errno is not None else E.ERRNO_IO


class Descriptor:
    """One entry of the guest's file descriptor table.

    ``kind`` is ``"stream"`` (a standard stream: a host file object, not seekable), ``"file"``
    (a host file opened by ``path_open``; ``file`` is an unbuffered ``io.FileIO``), ``"dir"``
    (a directory; ``dir`` is the open host directory, a ``dirfd.HostDir``, the root of every
    path resolved through it) or ``"socket"`` (``file`` is a ``socket.socket``). ``host_path``
    is informational on POSIX (the host path a preopen was configured with); on Windows a
    file's is its verified host path (Windows has no ``futimens``). ``preopen`` is the guest
    name of a preopened directory (as bytes), else None. Rights are u64 bit sets
    (``errno.RIGHTS_*``), ``fdflags`` a u16 bit set (``FDFLAGS_*``). ``read_only``: opened
    under a read-only preopen (see ``config.Preopen``). ``owned``: whisk closes ``file`` when
    the descriptor is closed (files the guest opened, sockets it accepted); a ``dir`` is
    always closed with its descriptor.
    """

    __slots__ = ("kind", "filetype", "file", "dir", "host_path", "preopen", "rights_base",
                 "rights_inheriting", "fdflags", "dir_cache", "read_only", "owned")

    def __init__(self, kind: str, filetype: int, *, file: Any = None, dir: Any = None,
                 host_path: str | None = None,
                 preopen: bytes | None = None, rights_base: int = 0, rights_inheriting: int = 0,
                 fdflags: int = 0, read_only: bool = False, owned: bool | None = None):
        self.kind = kind
        self.filetype = filetype
        self.file = file
        self.dir = dir
        self.host_path = host_path
        self.preopen = preopen
        self.rights_base = rights_base
        self.rights_inheriting = rights_inheriting
        self.fdflags = fdflags
        self.dir_cache: list[tuple[bytes, int, int]] | None = None
        self.read_only = read_only
        self.owned = (kind == "file") if owned is None else owned

    @property
    def handle(self) -> Any:
        """The ``dirfd`` handle of a directory descriptor's open host directory;
        ``WasiErrno(ERRNO_BADF)`` for a descriptor without one."""
        if self.dir is None or self.dir.handle is None:
            raise WasiErrno(E.ERRNO_BADF)
        return self.dir.handle

    def check_writable(self) -> None:
        """Raise ``WasiErrno(ERRNO_PERM)`` if the descriptor lies under a read-only preopen."""
        if self.read_only:
            raise WasiErrno(E.ERRNO_PERM)

    def release(self) -> None:
        """What closing the descriptor does to the host: close ``file`` if whisk owns it, else
        flush it (a standard stream belongs to the embedder); close ``dir``."""
        if self.dir is not None:
            self.dir.close()
        if self.file is None:
            return
        if self.owned:
            self.file.close()
            return
        flush = getattr(self.file, "flush", None)
        if flush is not None:
            flush()

    def __repr__(self) -> str:
        if self.kind in ("file", "dir"):
            what = self.host_path if self.dir is None else self.dir.path
        else:
            what = getattr(self.file, "name", self.file)
        return f"<Descriptor {self.kind} {what!r} type={self.filetype} flags={self.fdflags:#x}>"


# --- guest memory -------------------------------------------------------------------------------

def check_range(m: memoryview, ptr: int, size: int) -> None:
    """Raise ``WasiErrno(ERRNO_FAULT)`` unless ``[ptr, ptr + size)`` lies inside memory ``m``."""
    if ptr + size > len(m):
        raise WasiErrno(E.ERRNO_FAULT)


def out_ptr(m: memoryview, ptr: int, size: int) -> int:
    """The out-parameter pointer ``ptr`` (an i32 read as u32), checked to have room for
    ``size`` bytes (``ERRNO_FAULT`` otherwise)."""
    ptr &= U32
    check_range(m, ptr, size)
    return ptr


def store_u32(m: memoryview, ptr: int, value: int) -> None:
    """Store the u32 ``value`` at the (checked) out-pointer ``ptr``."""
    struct.pack_into("<I", m, out_ptr(m, ptr, 4), value & U32)


def store_u64(m: memoryview, ptr: int, value: int) -> None:
    """Store the u64 ``value`` at the (checked) out-pointer ``ptr``."""
    struct.pack_into("<Q", m, out_ptr(m, ptr, 8), value & U64)


def iovec_views(m: memoryview, iovs: int, count: int) -> list[memoryview]:
    """Views of the non-empty buffers of an ``iovec``/``ciovec`` array (no copies)."""
    return [m[buf:buf + n] for buf, n in read_iovecs(m, iovs, count) if n]


def u64_arg(value: int) -> int:
    """A u64 argument (``filesize``, ``timestamp``) that arrived as a signed i64; values that do
    not fit an ``off_t`` (2**63 and up) give ``ERRNO_INVAL``."""
    value &= U64
    if value >= 1 << 63:
        raise WasiErrno(E.ERRNO_INVAL)
    return value


def read_iovecs(m: memoryview, iovs: int, count: int) -> list[tuple[int, int]]:
    """The ``(buf, buf_len)`` pairs of an ``iovec``/``ciovec`` array of ``count`` entries at
    ``iovs``, each buffer checked to lie inside memory."""
    iovs &= U32
    count &= U32
    check_range(m, iovs, E.SIZEOF_IOVEC * count)
    flat = struct.unpack_from(f"<{2 * count}I", m, iovs)
    size = len(m)
    pairs = list(zip(flat[0::2], flat[1::2]))
    for buf, length in pairs:
        if buf + length > size:
            raise WasiErrno(E.ERRNO_FAULT)
    return pairs


def read_string(m: memoryview, ptr: int, length: int) -> str:
    """A witx ``string`` (UTF-8, not NUL-terminated) from memory. Invalid UTF-8 gives
    ``ERRNO_ILSEQ``, an embedded NUL ``ERRNO_INVAL``."""
    ptr &= U32
    length &= U32
    check_range(m, ptr, length)
    data = bytes(m[ptr:ptr + length])
    if b"\0" in data:
        raise WasiErrno(E.ERRNO_INVAL)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise WasiErrno(E.ERRNO_ILSEQ) from None


def host_filetype(mode: int) -> int:
    """The WASI filetype of a host ``st_mode``."""
    if stat.S_ISREG(mode):
        return E.FILETYPE_REGULAR_FILE
    if stat.S_ISDIR(mode):
        return E.FILETYPE_DIRECTORY
    if stat.S_ISLNK(mode):
        return E.FILETYPE_SYMBOLIC_LINK
    if stat.S_ISCHR(mode):
        return E.FILETYPE_CHARACTER_DEVICE
    if stat.S_ISBLK(mode):
        return E.FILETYPE_BLOCK_DEVICE
    if stat.S_ISSOCK(mode):
        return E.FILETYPE_SOCKET_STREAM
    return E.FILETYPE_UNKNOWN


#: Layout of ``filestat`` (64 bytes): dev, ino, filetype (u8, padded), nlink, size, atim, mtim, ctim.
FILESTAT = struct.Struct("<QQB7xQQQQQ")


def pack_filestat(m: memoryview, ptr: int, st: os.stat_result | None, filetype: int | None = None) -> None:
    """Store a ``filestat`` record at ``ptr`` from a host stat result (all zeros but the
    filetype when ``st`` is None); times in nanoseconds since the Unix epoch."""
    ptr &= U32
    check_range(m, ptr, E.SIZEOF_FILESTAT)
    if st is None:
        FILESTAT.pack_into(m, ptr, 0, 0, filetype or E.FILETYPE_UNKNOWN, 0, 0, 0, 0, 0)
        return
    FILESTAT.pack_into(
        m, ptr, st.st_dev & U64, st.st_ino & U64,
        host_filetype(st.st_mode) if filetype is None else filetype,
        st.st_nlink & U64, st.st_size & U64,
        st.st_atime_ns & U64, st.st_mtime_ns & U64, st.st_ctime_ns & U64)


# --- standard streams ---------------------------------------------------------------------------

class _TextSink:
    """Adapts a text stream (no ``.buffer``) to the binary ``write`` the guest's output needs."""

    def __init__(self, text: Any):
        self.text = text
        self.decoder = codecs.getincrementaldecoder("utf-8")("replace")

    def write(self, data: bytes) -> int:
        self.text.write(self.decoder.decode(bytes(data)))
        return len(data)

    def flush(self) -> None:
        flush = getattr(self.text, "flush", None)
        if flush is not None:
            flush()


def _output_stream(given: Any, default_name: str) -> Any:
    if given is None:
        given = getattr(sys, default_name)
        if given is None:           # e.g. pythonw: no console at all
            return io.BytesIO()
        flush = getattr(given, "flush", None)
        if flush is not None:       # what Python printed so far comes first
            flush()
    if isinstance(given, io.TextIOBase):
        buffer = getattr(given, "buffer", None)
        return buffer if buffer is not None else _TextSink(given)
    return given


def _input_stream(given: Any) -> Any:
    if given is None:
        given = sys.stdin
        if given is None:
            return io.BytesIO()
    if isinstance(given, str):
        return io.BytesIO(given.encode("utf-8"))
    if isinstance(given, (bytes, bytearray, memoryview)):
        return io.BytesIO(bytes(given))
    if isinstance(given, io.TextIOBase):
        buffer = getattr(given, "buffer", None)
        if buffer is not None:
            return buffer
        raise TypeError("stdin must be a binary file object or bytes")
    return given


def _stream_filetype(stream: Any) -> int:
    try:
        return host_filetype(os.fstat(stream.fileno()).st_mode)
    except (AttributeError, OSError, ValueError, io.UnsupportedOperation):
        return E.FILETYPE_UNKNOWN


def socket_descriptor(sock: Any, owned: bool) -> Descriptor:
    """A ``"socket"`` descriptor for the host ``socket.socket`` ``sock``."""
    filetype = (E.FILETYPE_SOCKET_DGRAM if sock.type == socket.SOCK_DGRAM
                else E.FILETYPE_SOCKET_STREAM)
    return Descriptor("socket", filetype, file=sock, rights_base=SOCKET_RIGHTS,
                      rights_inheriting=0, owned=owned,
                      fdflags=0 if sock.getblocking() else E.FDFLAGS_NONBLOCK)


# --- the environment ----------------------------------------------------------------------------

class WasiEnv:
    """The state of one WASI preview 1 guest (module ``wasi_snapshot_preview1``).

    ``fds`` maps guest file descriptors to ``Descriptor`` objects: 0, 1, 2 are the standard
    streams of ``config``; the preopened directories follow from fd 3 in the config's order.
    Host files opened by the guest are closed by ``close()`` (or leaving a ``with`` block).
    A preopen whose host path is not a directory raises ``NotADirectoryError`` (or another
    ``OSError``) here.
    """

    def __init__(self, config: WasiConfig | None = None):
        self.config = config if config is not None else WasiConfig()
        self.args: list[bytes] = self.config.args_bytes
        self.environ: list[bytes] = self.config.environ_bytes
        self.fds: dict[int, Descriptor] = {}
        self._memory: Any = None
        stdin = _input_stream(self.config.stdin)
        stdout = _output_stream(self.config.stdout, "stdout")
        stderr = _output_stream(self.config.stderr, "stderr")
        for fd, stream, rights in ((0, stdin, STDIN_RIGHTS), (1, stdout, STDOUT_RIGHTS),
                                   (2, stderr, STDOUT_RIGHTS)):
            self.fds[fd] = Descriptor("stream", _stream_filetype(stream), file=stream,
                                      rights_base=rights, rights_inheriting=0)
        fd = 3
        for guest, preopen in self.config.preopen_dirs:
            host_path = os.path.abspath(os.fspath(preopen.path))
            if not os.path.isdir(host_path):
                if not os.path.exists(host_path):
                    raise FileNotFoundError(2, "preopened directory does not exist", host_path)
                raise NotADirectoryError(20, "preopen is not a directory", host_path)
            name = os.fsencode(guest) if not isinstance(guest, bytes) else guest
            self.fds[fd] = Descriptor("dir", E.FILETYPE_DIRECTORY, dir=HostDir.open(host_path),
                                      host_path=host_path,
                                      preopen=name, rights_base=DIRECTORY_RIGHTS,
                                      rights_inheriting=E.RIGHTS_ALL,
                                      read_only=preopen.read_only)
            fd += 1
        for sock in self.config.sockets:
            self.fds[fd] = socket_descriptor(sock, owned=False)
            fd += 1

    # memory ---------------------------------------------------------------------------------
    def bind(self, memory: Any) -> None:
        """Give the guest's linear memory: any object supporting the writable buffer protocol
        (a ``whisk.Memory``, or a ``bytearray`` in tests). A fresh ``memoryview`` is taken on
        every call, so the memory may grow between calls."""
        self._memory = memory

    @property
    def memory(self) -> Any:
        """The bound memory object, or None."""
        return self._memory

    def mem(self) -> memoryview:
        """A byte-format view of the bound memory, valid for the current WASI call only."""
        memory = self._memory
        if memory is None:
            raise Trap("WASI function called before a memory was bound (WasiEnv.bind)")
        view = memoryview(memory)
        if view.format != "B" or view.ndim != 1:
            view = view.cast("B")
        return view

    # descriptors ----------------------------------------------------------------------------
    def get(self, fd: int, rights: int = 0) -> Descriptor:
        """The descriptor ``fd`` (a signed or unsigned i32), or ``WasiErrno(ERRNO_BADF)``; with
        ``rights``, ``WasiErrno(ERRNO_NOTCAPABLE)`` unless the descriptor has all of them."""
        desc = self.fds.get(fd & U32)
        if desc is None:
            raise WasiErrno(E.ERRNO_BADF)
        if rights and (desc.rights_base & rights) != rights:
            raise WasiErrno(E.ERRNO_NOTCAPABLE)
        return desc

    def add(self, desc: Descriptor) -> int:
        """Put ``desc`` in the table at the lowest free number and return that number."""
        fd = 0
        while fd in self.fds:
            fd += 1
        if fd >= 2 ** 31:
            raise WasiErrno(E.ERRNO_MFILE)
        self.fds[fd] = desc
        return fd

    def close(self) -> None:
        """Close every host file, directory and socket the guest opened, and the preopened
        directories' host descriptors, and flush the output streams (the standard streams and
        configured sockets stay open: they belong to the caller). The preopens stay in the
        table, closed (``ERRNO_BADF`` if used)."""
        for desc in list(self.fds.values()):
            try:
                desc.release()
            except (OSError, ValueError):
                pass
        self.fds = {fd: d for fd, d in self.fds.items() if not d.owned}

    def __enter__(self) -> "WasiEnv":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # imports --------------------------------------------------------------------------------
    def imports(self) -> dict[str, Callable[..., Any]]:
        """One Python callable per ``wasi_snapshot_preview1`` function (all 46 of the witx),
        by name. Each takes the wasm arguments (Python ints, i32 signed) and returns the errno
        as an int (None for ``proc_exit``, which raises ``whisk.errors.Exit``). Each carries
        its wasm type as ``__wasm_type__`` (a ``whisk.types.FuncType``)."""
        from .table import FUNC_TYPES, FUNCTIONS

        return {name: _wrap(self, name, impl, FUNC_TYPES[name]) for name, _, impl in FUNCTIONS}

    def import_function(self, name: str) -> Callable[..., Any]:
        """The callable ``imports()[name]`` would give, alone (``Linker.define_wasi`` makes
        one only when an instantiation imports it). Raises KeyError for a name that is not a
        ``wasi_snapshot_preview1`` function."""
        from .table import FUNC_TYPES, IMPLEMENTATIONS

        return _wrap(self, name, IMPLEMENTATIONS[name], FUNC_TYPES[name])


def _wrap(env: WasiEnv, name: str, impl: Callable[..., Any], functype: Any) -> Callable[..., Any]:
    def call(*args: int) -> Any:
        try:
            return impl(env, *args)
        except WasiErrno as exc:
            return exc.errno
        except BlockingIOError:
            return E.ERRNO_AGAIN
        except OSError as exc:
            return oserror_errno(exc)
        except struct.error:            # an out-of-bounds store of a result
            return E.ERRNO_FAULT
        except OverflowError:           # a size or time the host cannot represent
            return E.ERRNO_INVAL
        except NotImplementedError:     # a dir_fd / follow_symlinks form this host lacks:
            return E.ERRNO_NOTSUP       # refused, never done another way

    call.__name__ = call.__qualname__ = name
    call.__doc__ = impl.__doc__
    call.__wasm_type__ = functype       # type: ignore[attr-defined]
    return call
