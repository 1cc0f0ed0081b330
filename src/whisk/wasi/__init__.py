"""WASI preview 1 (``wasi_snapshot_preview1``) for whisk guests.

``WasiConfig`` says what the guest sees (arguments, environment, preopened directories,
standard streams); ``WasiEnv`` holds the guest's state and gives the import functions::

    env = WasiEnv(WasiConfig(argv=["prog.wasm", "x"], preopens={"/data": "./data"}))
    instance = whisk.Instance(module, imports={"wasi_snapshot_preview1": env.imports()})
    env.bind(instance.exports["memory"])
    instance.exports["_start"]()          # raises whisk.errors.Exit on proc_exit

``whisk.run`` does all of this. All 46 functions of the witx are implemented; only
``proc_raise`` answers ``ERRNO_NOSYS`` (whisk has no signals). They live in ``args``, ``clock``,
``random``, ``proc``, ``fd`` (the descriptor table), ``rw`` (read, write, seek),
``filestat``, ``readdir``, ``path`` (open, create, remove), ``links`` (symlink, readlink,
link, rename), ``poll`` and ``sock``; every path goes through the sandboxed resolution of
``resolve``. ``table.FUNCTIONS`` lists the functions with their wasm signatures; ``errno``
holds the witx constants (errno values, rights, flags, record layouts).

Preopened directories are the guest's only view of the host file system: ``..`` above a
preopen, absolute paths, and symbolic links that point outside are refused
(``ERRNO_NOTCAPABLE``). Each directory descriptor holds its host directory open (``dirfd``) and
paths are resolved from it one component at a time, so renaming, removing or replacing a
directory while the guest holds it cannot redirect the descriptor (RATIONALE.md, "The WASI
sandbox"). ``Preopen(path, read_only=True)`` makes one read-only: changes under
it fail with ``ERRNO_PERM``.
"""

from .config import Preopen, WasiConfig
from .env import Descriptor, WasiEnv, WasiErrno
from .table import FUNCTIONS, MODULE, SIGNATURES

__all__ = ["WasiConfig", "Preopen", "WasiEnv", "WasiErrno", "Descriptor", "FUNCTIONS", "SIGNATURES", "MODULE"]
