"""Type stubs for the compiled ``whisk._core.lower``: the fused validator and pre-decoder."""

from collections.abc import Collection
from typing import Any

#: One defined function's layout: (entry, nparams, nresults, nlocals, nslots, cost), in
#: words/slots; cost is the fuel a call charges.
FuncLayout = tuple[int, int, int, int, int, int]
#: A function type as the lowerer takes it: (params, results), value type names.
TypeSig = tuple[tuple[Any, ...], tuple[Any, ...]]

class LoweredModule:
    """The lowered code of one module, all functions concatenated."""

    funcs: list[FuncLayout]
    def words(self) -> tuple[int, ...]: ...
    def handlers(self) -> tuple[int, ...]: ...

class Lowerer:
    """Validates and lowers the bodies of one module, one function at a time."""

    def setup(self, types: list[TypeSig], func_types: list[int], globals: list[tuple[Any, bool]],
              tables: list[Any], mems: list[str], elem_types: list[Any], ndatas: int | None,
              refs: Collection[int], features: int | None = None,
              table_addrs: list[str] | None = None, tags: Collection[int] = (),
              typeinfo: tuple[list[int] | None, list[int] | None, list[int]] | None = None,
              fields: list[list[tuple[Any, bool]] | None] | None = None) -> None: ...
    def lower_function(self, func_index: int, type_index: int,
                       local_runs: list[tuple[int, Any]], body: bytes,
                       offset: int) -> FuncLayout: ...
    def instruction_offsets(self, func_index: int, type_index: int,
                            local_runs: list[tuple[int, Any]], body: bytes,
                            offset: int) -> tuple[list[int], list[int], list[int]]: ...
    def finish(self) -> LoweredModule: ...

def lower_module(types: list[TypeSig], func_types: list[int], nimported: int,
                 codes: list[tuple[list[tuple[int, Any]], bytes, int]],
                 globals: list[tuple[Any, bool]], tables: list[Any], mems: list[str],
                 elem_types: list[Any], ndatas: int | None, refs: Collection[int],
                 features: int | None = None,
                 table_addrs: list[str] | None = None, tags: Collection[int] = (),
                 typeinfo: tuple[list[int] | None, list[int] | None, list[int]] | None = None,
                 fields: list[list[tuple[Any, bool]] | None] | None = None) -> LoweredModule: ...
