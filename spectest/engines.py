"""Engine adapters: the small interface through which the runner drives a WebAssembly engine.

An adapter provides::

    name: str
    exact_messages: bool          # compare failure texts (expected text must be a prefix)?
    merged_compile_errors: bool   # True if the engine cannot tell malformed from invalid
    spectest() -> Mapping[str, extern]                  # the host module, in this engine
    load(binary: bytes) -> module                       # Failure('malformed'|'invalid'|'compile')
    instantiate(module, registry) -> instance           # Failure('unlinkable'|'uninstantiable')
    exports(instance) -> Mapping[str, extern]           # what `register` puts in the registry
    invoke(instance, name, args: Sequence[Value]) -> list[Value]
                                                  # Failure('trap'|'exhaustion'|'exception')
    get(instance, name) -> Value

``registry`` maps module names ("spectest" and each registered name) to export mappings as
returned by :meth:`exports`.  Every expected failure is raised as :class:`Failure` ``(kind,
message)``; any other exception escaping an adapter is an engine bug and is reported as such.
Values are :class:`~spectest.values.Value` with raw bits (unsigned ints) for numbers/vectors.

The adapters: :class:`WhiskEngine` here; ``wasmtime`` and ``wasmtime-3.0`` in
:mod:`spectest.wasmtime_engine` (imported when asked for).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any, Callable, Dict, List, Mapping, Sequence, Tuple

from .values import ExternRef, HostRef, Value

__all__ = ["Failure", "ENGINES", "get_engine", "WhiskEngine"]

REPO_ROOT = Path(__file__).resolve().parent.parent

_MASK = {"i32": 0xFFFFFFFF, "i64": 0xFFFFFFFFFFFFFFFF, "f32": 0xFFFFFFFF,
         "f64": 0xFFFFFFFFFFFFFFFF, "v128": (1 << 128) - 1}


class Failure(Exception):
    """An engine reported one of the failures a script can assert.

    ``kind``: 'malformed', 'invalid', 'compile' (malformed or invalid: the engine cannot tell),
    'unlinkable', 'uninstantiable' (a trap or an uncaught exception while instantiating),
    'trap', 'exhaustion', 'exception' (an uncaught WebAssembly exception).
    """

    def __init__(self, kind: str, message: str):
        super().__init__(f"{kind}: {message}")
        self.kind = kind
        self.message = message


def _message(e: BaseException) -> str:
    m = getattr(e, "message", None)
    if isinstance(m, str):
        return m
    return str(e)


# --------------------------------------------------------------------------------------------
# whisk


def _import_whisk():
    try:
        import whisk  # noqa: F401
    except ImportError:
        src = str(REPO_ROOT / "src")
        if (REPO_ROOT / "src" / "whisk").is_dir() and src not in sys.path:
            sys.path.insert(0, src)
        import whisk  # noqa: F811
    return whisk


class WhiskEngine:
    """Adapter over whisk's public API (``whisk.Module``, ``whisk.Instance``, ``Func.call_bits``).

    An uncaught WebAssembly exception is ``whisk.WasmException`` (when this whisk has it)."""

    name = "whisk"
    exact_messages = True
    merged_compile_errors = False

    def __init__(self) -> None:
        self.whisk = _import_whisk()
        self.features: Any = None           # whisk.Features for Module(); None: whisk's default

    def configure_for(self, path: str) -> None:
        """Choose the WebAssembly features for the script at ``path``: a file of the 2.0 suite
        (a ``wasm-2.0`` directory in its path) runs with ``Features.wasm2()`` (the 2.0 and 3.0
        suites disagree where 3.0 extended 2.0, e.g. which globals a constant expression may
        read), any other with every feature."""
        from pathlib import Path

        self.features = self.whisk.Features.wasm2() if "wasm-2.0" in Path(path).parts else None

    @property
    def _exception(self) -> Tuple[type, ...]:
        exc = getattr(self.whisk, "WasmException", None)
        return (exc,) if isinstance(exc, type) else ()

    def spectest(self) -> Mapping[str, Any]:
        from .host import whisk_spectest

        return whisk_spectest(self.whisk)

    def load(self, binary: bytes) -> Any:
        w = self.whisk
        try:
            features = getattr(self, "features", None)
            return w.Module(binary) if features is None else w.Module(binary, features=features)
        except w.DecodeError as e:
            raise Failure("malformed", _message(e)) from None
        except w.ValidationError as e:
            raise Failure("invalid", _message(e)) from None

    def instantiate(self, module: Any, registry: Mapping[str, Mapping[str, Any]]) -> Any:
        w = self.whisk
        try:
            return w.Instance(module, imports=registry)
        except self._exception as e:
            raise Failure("uninstantiable", _message(e)) from None
        except w.LinkError as e:
            raise Failure("unlinkable", _message(e)) from None
        except w.Trap as e:
            raise Failure("uninstantiable", _message(e)) from None

    def exports(self, instance: Any) -> Mapping[str, Any]:
        return instance.exports

    def _export(self, instance: Any, name: str) -> Any:
        try:
            return instance.exports[name]
        except KeyError:
            raise LookupError(f"no export named {name!r}") from None

    def invoke(self, instance: Any, name: str, args: Sequence[Value]) -> List[Value]:
        w = self.whisk
        f = self._export(instance, name)
        try:
            raw = f.call_bits(*[a.value for a in args])
        except self._exception as e:
            raise Failure("exception", _message(e)) from None
        except w.Exhaustion as e:
            raise Failure("exhaustion", _message(e)) from None
        except w.Trap as e:
            raise Failure("trap", _message(e)) from None
        types = tuple(f.type.results)
        if raw is None:
            raw = ()
        elif not isinstance(raw, (tuple, list)):
            raw = (raw,)
        if len(raw) != len(types):
            return [Value(None, r) for r in raw]
        return [_whisk_value(t, r) for t, r in zip(types, raw)]

    def get(self, instance: Any, name: str) -> Value:
        g = self._export(instance, name)
        t = _whisk_global_type(g)
        v = getattr(g, "value_bits", None)
        if v is None:
            v = g.value
        return _whisk_value(t, v)


def _whisk_value(t: Any, v: Any) -> Value:
    if getattr(t, "heap", None) is not None:     # a whisk RefType (3.0): its family's name
        from whisk.types import heap_family
        t = {"func": "funcref", "extern": "externref", "exn": "exnref"}.get(
            heap_family(t.heap), "anyref")
    if t in _MASK and isinstance(v, int) and not isinstance(v, bool):
        return Value(t, v & _MASK[t])
    # one host value seen in either hierarchy (3.0 GC: any.convert_extern / extern.convert_any):
    # the reference interpreter's (ref.extern N) as an anyref is (ref.host N), and back
    if t == "anyref" and isinstance(v, ExternRef):
        return Value(t, HostRef(v.n))
    if t == "externref" and isinstance(v, HostRef):
        return Value(t, ExternRef(v.n))
    return Value(t, v)


def _whisk_global_type(g: Any) -> Any:
    """The value type of a whisk global if it exposes one (else None: patterns decide)."""
    for attr in ("type", "global_type"):
        gt = getattr(g, attr, None)
        if isinstance(gt, str):
            return gt
        for sub in ("valtype", "content", "value_type"):
            vt = getattr(gt, sub, None)
            if isinstance(vt, str):
                return vt
    vt = getattr(g, "valtype", None)
    return vt if isinstance(vt, str) else None


def _wasmtime(cls_name: str) -> Callable[[], Any]:
    def make() -> Any:
        from . import wasmtime_engine

        return getattr(wasmtime_engine, cls_name)()

    return make


# engine name -> factory of a fresh adapter
ENGINES: Dict[str, Callable[[], Any]] = {
    "whisk": WhiskEngine,
    "wasmtime": _wasmtime("WasmtimeEngine"),
    "wasmtime-3.0": _wasmtime("Wasmtime3Engine"),
}


def get_engine(name: str) -> Any:
    """A fresh adapter for engine ``name`` (a key of :data:`ENGINES`)."""
    try:
        make = ENGINES[name]
    except KeyError:
        raise ValueError(f"unknown engine {name!r} (choose from {', '.join(ENGINES)})") from None
    return make()
