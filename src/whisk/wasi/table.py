"""The 46 functions of ``wasi_snapshot_preview1``, each with its core wasm signature.

Signatures are the witx lowered to core wasm (as wasi-libc and wasmtime have them): every
scalar of at most 32 bits, pointer, handle, enum and flags set of u8/u16/u32 is an ``i32``;
u64/s64 values, timestamps and ``rights`` are ``i64``; a ``string`` or array is a (pointer,
length) pair of ``i32``; each result besides the errno is an out-pointer ``i32`` parameter; the
errno is the ``i32`` result. ``proc_exit`` returns nothing.

``FUNCTIONS`` is a tuple of ``(name, (params, results), implementation)``; an implementation
takes the ``WasiEnv`` first, then the wasm arguments.
"""

from __future__ import annotations

from typing import Any, Callable

from ..types import FuncType
from . import args, clock, fd, filestat, links, path, poll, proc, random, readdir, rw, sock

__all__ = ["FUNCTIONS", "SIGNATURES", "FUNC_TYPES", "MODULE"]

#: The import module name.
MODULE = "wasi_snapshot_preview1"

_I, _L = "i32", "i64"


def _sig(*params: str, results: tuple[str, ...] = (_I,)) -> tuple[tuple[str, ...], tuple[str, ...]]:
    return tuple(params), results


FUNCTIONS: tuple[tuple[str, tuple[tuple[str, ...], tuple[str, ...]], Callable[..., Any]], ...] = (
    # name                      params (results: i32 errno unless noted)          implementation
    ("args_get",                _sig(_I, _I),                                     args.args_get),
    ("args_sizes_get",          _sig(_I, _I),                                     args.args_sizes_get),
    ("environ_get",             _sig(_I, _I),                                     args.environ_get),
    ("environ_sizes_get",       _sig(_I, _I),                                     args.environ_sizes_get),
    ("clock_res_get",           _sig(_I, _I),                                     clock.clock_res_get),
    ("clock_time_get",          _sig(_I, _L, _I),                                 clock.clock_time_get),
    ("fd_advise",               _sig(_I, _L, _L, _I),                             fd.fd_advise),
    ("fd_allocate",             _sig(_I, _L, _L),                                 filestat.fd_allocate),
    ("fd_close",                _sig(_I),                                         fd.fd_close),
    ("fd_datasync",             _sig(_I),                                         fd.fd_datasync),
    ("fd_fdstat_get",           _sig(_I, _I),                                     fd.fd_fdstat_get),
    ("fd_fdstat_set_flags",     _sig(_I, _I),                                     fd.fd_fdstat_set_flags),
    ("fd_fdstat_set_rights",    _sig(_I, _L, _L),                                 fd.fd_fdstat_set_rights),
    ("fd_filestat_get",         _sig(_I, _I),                                     filestat.fd_filestat_get),
    ("fd_filestat_set_size",    _sig(_I, _L),                                     filestat.fd_filestat_set_size),
    ("fd_filestat_set_times",   _sig(_I, _L, _L, _I),                             filestat.fd_filestat_set_times),
    ("fd_pread",                _sig(_I, _I, _I, _L, _I),                         rw.fd_pread),
    ("fd_prestat_get",          _sig(_I, _I),                                     fd.fd_prestat_get),
    ("fd_prestat_dir_name",     _sig(_I, _I, _I),                                 fd.fd_prestat_dir_name),
    ("fd_pwrite",               _sig(_I, _I, _I, _L, _I),                         rw.fd_pwrite),
    ("fd_read",                 _sig(_I, _I, _I, _I),                             rw.fd_read),
    ("fd_readdir",              _sig(_I, _I, _I, _L, _I),                         readdir.fd_readdir),
    ("fd_renumber",             _sig(_I, _I),                                     fd.fd_renumber),
    ("fd_seek",                 _sig(_I, _L, _I, _I),                             rw.fd_seek),
    ("fd_sync",                 _sig(_I),                                         fd.fd_sync),
    ("fd_tell",                 _sig(_I, _I),                                     rw.fd_tell),
    ("fd_write",                _sig(_I, _I, _I, _I),                             rw.fd_write),
    ("path_create_directory",   _sig(_I, _I, _I),                                 path.path_create_directory),
    ("path_filestat_get",       _sig(_I, _I, _I, _I, _I),                         filestat.path_filestat_get),
    ("path_filestat_set_times", _sig(_I, _I, _I, _I, _L, _L, _I),                 filestat.path_filestat_set_times),
    ("path_link",               _sig(_I, _I, _I, _I, _I, _I, _I),                 links.path_link),
    ("path_open",               _sig(_I, _I, _I, _I, _I, _L, _L, _I, _I),         path.path_open),
    ("path_readlink",           _sig(_I, _I, _I, _I, _I, _I),                     links.path_readlink),
    ("path_remove_directory",   _sig(_I, _I, _I),                                 path.path_remove_directory),
    ("path_rename",             _sig(_I, _I, _I, _I, _I, _I),                     links.path_rename),
    ("path_symlink",            _sig(_I, _I, _I, _I, _I),                         links.path_symlink),
    ("path_unlink_file",        _sig(_I, _I, _I),                                 path.path_unlink_file),
    ("poll_oneoff",             _sig(_I, _I, _I, _I),                             poll.poll_oneoff),
    ("proc_exit",               _sig(_I, results=()),                             proc.proc_exit),
    ("proc_raise",              _sig(_I),                                         proc.proc_raise),
    ("sched_yield",             _sig(),                                           proc.sched_yield),
    ("random_get",              _sig(_I, _I),                                     random.random_get),
    ("sock_accept",             _sig(_I, _I, _I),                                 sock.sock_accept),
    ("sock_recv",               _sig(_I, _I, _I, _I, _I, _I),                     sock.sock_recv),
    ("sock_send",               _sig(_I, _I, _I, _I, _I),                         sock.sock_send),
    ("sock_shutdown",           _sig(_I, _I),                                     sock.sock_shutdown),
)

#: name -> (params, results)
SIGNATURES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    name: sig for name, sig, _ in FUNCTIONS
}

#: name -> implementation (taking the ``WasiEnv`` first)
IMPLEMENTATIONS: dict[str, Callable[..., Any]] = {name: impl for name, _, impl in FUNCTIONS}

#: name -> ``whisk.types.FuncType`` (immutable, so built once and shared by every ``WasiEnv``
#: and ``Linker.define_wasi``: building the 46 anew cost about a third of a hello-world run)
FUNC_TYPES: dict[str, FuncType] = {name: FuncType(*sig) for name, sig in SIGNATURES.items()}
