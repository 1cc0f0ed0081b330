"""whisk: a WebAssembly runtime for Python.

The public API (everything else is internal)::

    Module(source) / Module.from_file(path)      decode + validate (+ pre-decode) a .wasm binary
    Features(**flags), .wasm2(), .all()          which proposals a Module may use (features=)
    Instance(module, imports=None, store=None)   instantiate; .exports maps names to externs
    Store(fuel=, max_memory_bytes=, max_table_elements=, max_instances=, max_tables=,
          max_memories=, max_call_depth=)        limits shared by instances; interrupt()
    Func, Memory, Table, Global                  runtime objects (spec 4.2)
    Linker(store=None)                           define(), define_instance(), define_wasi(),
                                                 define_unknown_imports_as_traps(), instantiate()
    Caller                                       first parameter of a host function: .memory, .exports
    i32 i64 f32 f64 v128 funcref externref       value-type annotations of host functions
    func_type_of(callable)                       the FuncType those annotations declare
    run(module_or_path, args=(), ...)            run a WASI command, return its exit status
    WasiConfig                                   WASI settings for run() and embedding
    WasmError > DecodeError | ValidationError | LinkError > ResourceError
              | Trap > Exhaustion | Interrupted; Exit
"""

from ._core.runtime import Func, Global, Memory, Store, Table
from .errors import (DecodeError, Exhaustion, Exit, Interrupted, LinkError, ResourceError, Trap,
                     ValidationError, WasmError)
from .features import Features
from .runtime.caller import Caller
from .runtime.instance import ExportType, Exports, ImportType, Instance, Module
from .runtime.linker import Linker
from .runtime.valtypes import externref, f32, f64, func_type_of, funcref, i32, i64, v128
from .types import FuncType, GlobalType, Limits, MemoryType, RefType, TableType
from .run import run  # noqa: E402  (the function; binds over the submodule attribute)
from .wasi.config import WasiConfig

__version__ = "0.1.0"

__all__ = [
    "Module", "Features", "Instance", "Store", "Func", "Memory", "Table", "Global", "Exports", "ImportType", "ExportType",
    "FuncType", "TableType", "MemoryType", "GlobalType", "Limits", "RefType",
    "WasmError", "DecodeError", "ValidationError", "LinkError", "ResourceError", "Trap", "Exhaustion", "Interrupted", "Exit",
    "Linker", "Caller", "func_type_of", "i32", "i64", "f32", "f64", "v128", "funcref", "externref",
    "run", "WasiConfig",
]

