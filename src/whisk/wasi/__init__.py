"""WASI preview 1 (``wasi_snapshot_preview1``) for whisk guests.

``WasiConfig`` says what the guest sees (arguments, environment, preopened directories,
standard streams); ``WasiEnv`` holds the guest's state and gives the import functions::

    env = WasiEnv(WasiConfig(argv=["prog.wasm", "x"], preopens={"/data": "./data"}))
    instance = whisk.Instance(module, imports={"wasi_snapshot_preview1": env.imports()})
    env.bind(instance.exports["memory"])
    instance.exports["_start"]()          # raises whisk.errors.Exit on proc_exit

``whisk.run`` does all of this. The function families live in ``args``, ``clock``,
``random``, ``fd``, ``path``, ``proc``, ``poll`` and ``sock``; ``table.FUNCTIONS`` lists all 46
with their wasm signatures; ``errno`` holds the witx constants.
"""

from .config import WasiConfig
from .env import Descriptor, WasiEnv, WasiErrno
from .table import FUNCTIONS, MODULE, SIGNATURES

__all__ = ["WasiConfig", "WasiEnv", "WasiErrno", "Descriptor", "FUNCTIONS", "SIGNATURES", "MODULE"]
