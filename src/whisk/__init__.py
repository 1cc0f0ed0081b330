"""whisk: a WebAssembly runtime for Python.

The public API (everything else is internal)::

    Module(source) / Module.from_file(path)      decode + validate (+ pre-decode) a .wasm binary
    Features(**flags), .wasm2(), .all()          which proposals a Module may use (features=)
    Instance(module, imports=None, store=None)   instantiate; .exports maps names to externs
    Store(fuel=, max_memory_bytes=, max_table_elements=, max_instances=, max_tables=,
          max_memories=, max_call_depth=)        limits shared by instances; interrupt()
    Func, Memory, Table, Global, Tag             runtime objects (spec 4.2; Tag: 3.0 exceptions)
    Linker(store=None)                           define(), define_instance(), define_wasi(),
                                                 define_unknown_imports_as_traps(), instantiate()
    Caller                                       first parameter of a host function: .memory, .exports
    i32 i64 f32 f64 v128 funcref externref exnref anyref eqref i31ref structref arrayref
                                                 value-type annotations of host functions
    AnyRef > StructRef | ArrayRef | I31Ref       GC references held by Python (3.0 GC)
    func_type_of(callable)                       the FuncType those annotations declare
    run(module_or_path, args=(), ...)            run a WASI command, return its exit status
    WasiConfig                                   WASI settings for run() and embedding
    WasmError > DecodeError | ValidationError | LinkError > ResourceError
              | Trap > Exhaustion | Interrupted | WasmException; Exit
    WasmException(tag, payload)                  a wasm exception: raised when one escapes the
                                                 guest, raise it in a host function to throw
"""

from ._core.runtime import AnyRef, ArrayRef, Func, Global, I31Ref, Memory, Store, StructRef, Table, Tag
from .errors import (DecodeError, Exhaustion, Exit, Frame, Interrupted, LinkError, ResourceError,
                     Trap, TrapCode, ValidationError, WasmError, WasmException)
from .features import Features
from .runtime.caller import Caller
from .module import ExportType, ImportType, Module
from .runtime.instance import Exports, Instance
from .runtime.linker import Linker
from .runtime.valtypes import (anyref, arrayref, eqref, exnref, externref, f32, f64, func_type_of,
                               funcref, i31ref, i32, i64, structref, v128)
from .types import FuncType, GlobalType, Limits, MemoryType, RefType, TableType, TagType
from .run import run  # noqa: E402  (the function; binds over the submodule attribute)
from .wasi.config import WasiConfig

__version__ = "0.1.0"

__all__ = [
    "Module", "Features", "Instance", "Store", "Func", "Memory", "Table", "Global", "Tag", "Exports", "ImportType", "ExportType",
    "FuncType", "TableType", "MemoryType", "GlobalType", "TagType", "Limits", "RefType",
    "WasmError", "DecodeError", "ValidationError", "LinkError", "ResourceError", "Trap", "TrapCode", "Frame", "Exhaustion", "Interrupted",
    "WasmException", "Exit",
    "Linker", "Caller", "func_type_of", "i32", "i64", "f32", "f64", "v128", "funcref", "externref", "exnref",
    "anyref", "eqref", "i31ref", "structref", "arrayref", "AnyRef", "StructRef", "ArrayRef", "I31Ref",
    "run", "WasiConfig",
]

