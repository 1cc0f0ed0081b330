"""The import table: all 46 wasi_snapshot_preview1 functions with the witx signatures lowered
to core wasm, and ERRNO_NOSYS only from proc_raise."""

from __future__ import annotations

import inspect

import pytest

from whisk.types import FuncType
from whisk.wasi import FUNCTIONS, MODULE, SIGNATURES, WasiConfig, WasiEnv
from whisk.wasi import errno as E

# The witx (legacy/preview1/witx/wasi_snapshot_preview1.witx) parameter and result types,
# written out independently of whisk.wasi.table: "32" = a value of at most 32 bits (u8..u32,
# handle, pointer, enum, flags), "64" = u64/s64/timestamp/rights, "str" = string or array
# (pointer + length), and the results besides the errno (each an out-pointer).
WITX = {
    "args_get": (["32", "32"], 0), "args_sizes_get": ([], 2),
    "environ_get": (["32", "32"], 0), "environ_sizes_get": ([], 2),
    "clock_res_get": (["32"], 1), "clock_time_get": (["32", "64"], 1),
    "fd_advise": (["32", "64", "64", "32"], 0), "fd_allocate": (["32", "64", "64"], 0),
    "fd_close": (["32"], 0), "fd_datasync": (["32"], 0), "fd_fdstat_get": (["32"], 1),
    "fd_fdstat_set_flags": (["32", "32"], 0), "fd_fdstat_set_rights": (["32", "64", "64"], 0),
    "fd_filestat_get": (["32"], 1), "fd_filestat_set_size": (["32", "64"], 0),
    "fd_filestat_set_times": (["32", "64", "64", "32"], 0),
    "fd_pread": (["32", "str", "64"], 1), "fd_prestat_get": (["32"], 1),
    "fd_prestat_dir_name": (["32", "32", "32"], 0), "fd_pwrite": (["32", "str", "64"], 1),
    "fd_read": (["32", "str"], 1), "fd_readdir": (["32", "32", "32", "64"], 1),
    "fd_renumber": (["32", "32"], 0), "fd_seek": (["32", "64", "32"], 1), "fd_sync": (["32"], 0),
    "fd_tell": (["32"], 1), "fd_write": (["32", "str"], 1),
    "path_create_directory": (["32", "str"], 0), "path_filestat_get": (["32", "32", "str"], 1),
    "path_filestat_set_times": (["32", "32", "str", "64", "64", "32"], 0),
    "path_link": (["32", "32", "str", "32", "str"], 0),
    "path_open": (["32", "32", "str", "32", "64", "64", "32"], 1),
    "path_readlink": (["32", "str", "32", "32"], 1), "path_remove_directory": (["32", "str"], 0),
    "path_rename": (["32", "str", "32", "str"], 0), "path_symlink": (["str", "32", "str"], 0),
    "path_unlink_file": (["32", "str"], 0), "poll_oneoff": (["32", "32", "32"], 1),
    "proc_exit": (["32"], None), "proc_raise": (["32"], 0), "sched_yield": ([], 0),
    "random_get": (["32", "32"], 0), "sock_accept": (["32", "32"], 1),
    "sock_recv": (["32", "str", "32"], 2), "sock_send": (["32", "str", "32"], 1),
    "sock_shutdown": (["32", "32"], 0),
}


def lower(params, nresults):
    core = []
    for p in params:
        core += {"32": ["i32"], "64": ["i64"], "str": ["i32", "i32"]}[p]
    if nresults is None:                       # proc_exit: noreturn, no errno
        return tuple(core), ()
    return tuple(core + ["i32"] * nresults), ("i32",)


def test_module_name():
    assert MODULE == "wasi_snapshot_preview1"


def test_all_46_functions_once():
    names = [name for name, _, _ in FUNCTIONS]
    assert len(names) == 46
    assert len(set(names)) == 46
    assert set(names) == set(WITX)


@pytest.mark.parametrize("name", sorted(WITX))
def test_signature_matches_witx(name):
    assert SIGNATURES[name] == lower(*WITX[name])


@pytest.mark.parametrize("name,sig,impl", FUNCTIONS, ids=[f[0] for f in FUNCTIONS])
def test_implementation_arity_and_doc(name, sig, impl):
    params = list(inspect.signature(impl).parameters)
    assert params[0] == "env"
    assert len(params) - 1 == len(sig[0])
    assert impl.__doc__ and impl.__doc__.startswith(f"witx ``{name}(")


def test_imports_give_one_callable_per_function():
    env = WasiEnv(WasiConfig())
    funcs = env.imports()
    assert set(funcs) == set(WITX)
    for name, f in funcs.items():
        assert callable(f)
        assert f.__wasm_type__ == FuncType(*SIGNATURES[name])
        assert f.__name__ == name


# One call per function with plain (mostly invalid) arguments: bad descriptors, empty paths,
# zero-length buffers. Whatever the errno, it is never ERRNO_NOSYS but for proc_raise.
SAMPLE_CALLS = [
    ("fd_advise", (3, 0, 0, 0)), ("fd_allocate", (3, 0, 0)), ("fd_datasync", (1,)),
    ("fd_fdstat_set_rights", (1, 0, 0)), ("fd_filestat_set_size", (3, 0)),
    ("fd_filestat_set_times", (3, 0, 0, 0)), ("fd_pread", (3, 0, 0, 0, 0)),
    ("fd_pwrite", (3, 0, 0, 0, 0)), ("fd_renumber", (1, 2)), ("fd_sync", (1,)),
    ("path_filestat_set_times", (3, 0, 0, 0, 0, 0, 0)), ("path_link", (3, 0, 0, 0, 3, 0, 0)),
    ("path_readlink", (3, 0, 0, 0, 0, 0)), ("path_rename", (3, 0, 0, 3, 0, 0)),
    ("path_symlink", (0, 0, 3, 0, 0)), ("poll_oneoff", (0, 0, 0, 0)),
    ("sock_accept", (3, 0, 0)), ("sock_recv", (3, 0, 0, 0, 0, 0)), ("sock_send", (3, 0, 0, 0, 0)),
    ("sock_shutdown", (3, 0)), ("fd_readdir", (3, 0, 0, 0, 0)), ("fd_close", (9,)),
    ("path_open", (3, 0, 0, 0, 0, 0, 0, 0, 0)), ("path_unlink_file", (3, 0, 0)),
]


@pytest.mark.parametrize("name,args", SAMPLE_CALLS, ids=[n for n, _ in SAMPLE_CALLS])
def test_implemented(guest, name, args):
    assert len(args) == len(SIGNATURES[name][0])
    assert getattr(guest, name)(*args) != E.ERRNO_NOSYS


def test_only_proc_raise_is_nosys(guest):
    assert guest.proc_raise(6) == E.ERRNO_NOSYS == 52
    nosys = [impl.__name__ for _, _, impl in FUNCTIONS if "not implemented" in (impl.__doc__ or "")]
    assert nosys == []
