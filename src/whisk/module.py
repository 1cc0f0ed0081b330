"""The public ``Module`` (spec 2.5): a decoded, validated and pre-decoded WebAssembly module,
ready to instantiate (``whisk.Instance``); its imports and exports with their types.

The pipeline it runs: ``binary`` (decode, spec 5) -> ``validate`` (spec 3, with the core's
fused validator and pre-decoder). The module structure it holds is ``whisk.structure``.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

from .binary import decode_module
from .binary.bodies import first_decode_error
from .errors import DecodeError, ValidationError
from .features import ALL as ALL_FEATURES, Features
from .record import record
from .structure import ModuleStruct
from .text import is_text, wat_to_binary
from .types import ExternType, close_type
from .validate.module import instruction_offsets, validate_module

__all__ = ["Module", "ImportType", "ExportType"]


@record
class ImportType:
    """An import of a module: ``module`` and ``name`` strings and the expected ``type``
    (FuncType, TableType, MemoryType, GlobalType or TagType)."""

    module: str
    name: str
    type: ExternType


@record
class ExportType:
    """An export of a module: ``name`` and the ``type`` of the exported item."""

    name: str
    type: ExternType


class Module:
    """A decoded and validated WebAssembly module (spec 2.5), ready to instantiate.

    ``Module(source, features=None)`` takes the bytes of a ``.wasm`` binary (any bytes-like
    object) and optionally the :class:`~whisk.Features` the module may use (default: all;
    ``Features.wasm2()`` for WebAssembly 2.0 only). Raises DecodeError if the binary is
    malformed (spec 5) or uses an instruction of a disabled feature, ValidationError if it is
    invalid (spec 3) or uses another construct of a disabled feature; the message names the
    feature ("relaxed SIMD is not enabled"). Function bodies are pre-decoded into the core's
    instruction format once, here. ``.features`` is the Features it was loaded with.

    ``source`` may also be the WebAssembly text format (spec 6): a ``str``, or bytes whose first
    token after white space and comments is ``(`` (a binary starts with ``\\0asm``). Text is
    assembled by the optional ``wat`` extra (``pip install 'whisk-wasm[wat]'``, wasmtime-py's
    ``wat2wasm``); without it, :class:`whisk.text.WatUnavailableError` (a ModuleNotFoundError)
    says what to install; malformed text raises DecodeError with the parser's message, line and
    column.

    A Module pickles (for ``multiprocessing``, ``concurrent.futures.ProcessPoolExecutor``,
    Dask): the pickle holds the binary (text is pickled as its assembled binary) and the
    features; unpickling loads the binary again, exactly as ``Module(binary, features=...)``
    does, so it takes as long as loading (measured: equal within noise, from 0.05 ms for a
    small module to 12 ms for 1 MB of code; benchmarks/pickle_module.py); the pickle is the
    binary plus about 50 bytes (150-300 with other features: they pickle by their names).
    An :class:`~whisk.Instance` does not pickle: pickle the Module and instantiate it in the
    worker.
    """

    def __init__(self, source: bytes | bytearray | memoryview | str, *,
                 features: Features | None = None):
        if not isinstance(source, (bytes, bytearray, memoryview, str)):
            raise TypeError(f"Module() takes a module binary (bytes, bytearray or memoryview) "
                            f"or WebAssembly text (str), not {type(source).__name__}")
        if features is not None and not isinstance(features, Features):
            raise TypeError(f"features must be a whisk.Features, not {type(features).__name__}")
        self.features: Features = ALL_FEATURES if features is None else features
        self._features = features           # as given (None: all), for instruction_offsets
        data = wat_to_binary(source) if isinstance(source, str) else bytes(source)
        if is_text(data):
            data = wat_to_binary(data)
        #: The module's binary (as given, or assembled from text): what a pickle carries.
        self._binary: bytes = data
        try:
            self._struct: ModuleStruct = decode_module(data, features=features)
            self._lowered = validate_module(self._struct, features)
        except (DecodeError, ValidationError) as e:
            # report what the spec's decoder meets first, reading bodies in file order
            first = first_decode_error(data, features)
            if first is not None:
                raise first from None
            raise e

    def __reduce__(self) -> tuple[object, ...]:
        # the binary and the features; unpickling is loading (decode, validate, pre-decode)
        if self.features == ALL_FEATURES and type(self) is Module:
            return (Module, (self._binary,))           # the common case: one call on loading
        return (_unpickle_module, (type(self), self._binary, self.features))

    @classmethod
    def from_file(cls, path: str | os.PathLike[str], *,
                  features: Features | None = None) -> "Module":
        """Read and load a ``.wasm`` binary or a ``.wat`` text file, told apart by content,
        not by name (``features`` as for ``Module()``). Raises OSError, DecodeError,
        ValidationError; WatUnavailableError for text without the ``wat`` extra."""
        with open(path, "rb") as f:
            return cls(f.read(), features=features)

    @property
    def imports(self) -> tuple[ImportType, ...]:
        """The module's imports in order, each with its expected type (closed: a concrete heap
    type is a whisk.types.DefType)."""
        m = self._struct
        return tuple(ImportType(imp.module, imp.name, close_type(m.import_type(imp), m.type_ids))
                     for imp in m.imports)

    @property
    def exports(self) -> tuple[ExportType, ...]:
        """The module's exports in order, each with its type."""
        m = self._struct
        spaces: dict[str, Sequence[ExternType]] = {
            "func": m.func_types(), "table": m.table_types(), "memory": m.memory_types(),
            "global": m.global_types(), "tag": m.tag_types()}
        return tuple(ExportType(e.name, close_type(spaces[e.kind][e.index], m.type_ids))
                     for e in m.exports)

    def _instruction_offset(self, func_index: int, word: int) -> int | None:
        """The byte offset in the binary of the instruction that the core op at code word
        ``word`` (from the function's entry) of function ``func_index`` implements, or None
        (for Trap.frames; the function's offset table is made on first use, then cached)."""
        cache: dict[int, tuple[list[int], list[int], list[int]]] = self.__dict__.setdefault(
            "_offsets", {})
        table = cache.get(func_index)
        if table is None:
            if not len(self._struct.imported("func")) <= func_index < len(
                    self._struct.imported("func")) + len(self._struct.codes):
                return None
            table = cache[func_index] = instruction_offsets(self._struct, self._features,
                                                            func_index)
        starts, ends, offsets = table
        found = None
        for k in range(len(starts)):           # the last instruction whose words hold `word`
            if starts[k] <= word < ends[k]:
                found = offsets[k]
        return found

    def custom_sections(self, name: str) -> list[bytes]:
        """The payloads of the custom sections called ``name``, in order."""
        return [payload for n, payload in self._struct.customs if n == name]

    def __repr__(self) -> str:
        return f"<whisk.Module imports={len(self._struct.imports)} exports={len(self._struct.exports)}>"


def _unpickle_module(cls: type[Module], binary: bytes, features: Features | None) -> Module:
    """Rebuild a pickled Module (``Module.__reduce__``): load ``binary`` again."""
    return cls(binary, features=features)
