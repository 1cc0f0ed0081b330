"""Value-type annotations for host functions: ``whisk.i32`` ... ``whisk.exnref``, the GC
references ``whisk.anyref`` ... ``whisk.arrayref`` (3.0), and ``whisk.func_type_of``.

Each marker is a ``typing.Annotated`` alias of the Python type the value arrives as, so a type
checker sees plain ``int``/``float``/... and whisk reads the wasm type from the metadata:

    def add(a: whisk.i32, b: whisk.i32) -> whisk.i32: ...            # [i32 i32] -> [i32]
    def pair(x: whisk.f64) -> tuple[whisk.f64, whisk.i64]: ...         # [f64] -> [f64 i64]
    def log(caller: whisk.Caller, ptr: whisk.i32, n: whisk.i32) -> None: ...   # [i32 i32] -> []

A first parameter annotated ``whisk.Caller`` receives the calling instance's ``Caller`` (its
memory and exports) and is not part of the wasm type.
"""

from __future__ import annotations

import typing
from collections.abc import Callable
from ..record import record
from typing import Annotated, Any, TypeAlias

from .._core.runtime import AnyRef, ArrayRef, Func, I31Ref, StructRef
from ..errors import WasmException
from ..types import FuncType, RefType
from .caller import Caller

__all__ = ["i32", "i64", "f32", "f64", "v128", "funcref", "externref", "exnref", "anyref",
           "eqref", "i31ref", "structref", "arrayref", "func_type_of", "HostSignature",
           "host_signature"]


@record
class WasmValType:
    """The metadata of a value-type annotation: the spec's name of the value type."""

    name: str


i32: TypeAlias = Annotated[int, WasmValType("i32")]
"""A 32-bit integer; arrives as a signed ``int``, may be returned signed or unsigned."""

i64: TypeAlias = Annotated[int, WasmValType("i64")]
"""A 64-bit integer; arrives as a signed ``int``."""

f32: TypeAlias = Annotated[float, WasmValType("f32")]
"""A 32-bit float (``float``)."""

f64: TypeAlias = Annotated[float, WasmValType("f64")]
"""A 64-bit float (``float``)."""

v128: TypeAlias = Annotated[int, WasmValType("v128")]
"""A 128-bit vector, as an unsigned ``int`` (returned: an int or 16 bytes)."""

funcref: TypeAlias = Annotated[Func | None, WasmValType("funcref")]
"""A function reference: a ``whisk.Func`` or None (null)."""

externref: TypeAlias = Annotated[object, WasmValType("externref")]
"""An external reference: any Python object, None being null."""

exnref: TypeAlias = Annotated[WasmException | None, WasmValType("exnref")]
"""An exception reference (3.0): the exception's ``whisk.WasmException``, or None (null)."""

anyref: TypeAlias = Annotated[object, WasmValType("anyref")]
"""``(ref null any)`` (3.0 GC): a ``whisk.AnyRef`` handle (StructRef, ArrayRef, I31Ref), None
(null), or any other Python object, internalized as ``any.convert_extern`` would."""

eqref: TypeAlias = Annotated[AnyRef | None, WasmValType("eqref")]
"""``(ref null eq)`` (3.0 GC): a StructRef, ArrayRef or I31Ref handle, or None."""

i31ref: TypeAlias = Annotated[I31Ref | None, WasmValType("i31ref")]
"""``(ref null i31)`` (3.0 GC): a ``whisk.I31Ref`` (``int(r)`` its signed value), or None."""

structref: TypeAlias = Annotated[StructRef | None, WasmValType("structref")]
"""``(ref null struct)`` (3.0 GC): a ``whisk.StructRef`` handle, or None."""

arrayref: TypeAlias = Annotated[ArrayRef | None, WasmValType("arrayref")]
"""``(ref null array)`` (3.0 GC): a ``whisk.ArrayRef`` handle, or None."""

#: the annotations' names that stand for a RefType (the rest are value type names as such)
_REF_NAMES = {"anyref": RefType(True, "any"), "eqref": RefType(True, "eq"),
              "i31ref": RefType(True, "i31"), "structref": RefType(True, "struct"),
              "arrayref": RefType(True, "array")}


@record
class HostSignature:
    """What the annotations of a host callable say: whether it takes a leading ``whisk.Caller``
    and its wasm type (None when it is not annotated with value types: typed from the import)."""

    wants_caller: bool
    type: FuncType | None


def _valtype(annotation: object) -> str | None:
    if typing.get_origin(annotation) is Annotated:
        for meta in getattr(annotation, "__metadata__", ()):
            if isinstance(meta, WasmValType):
                return _REF_NAMES.get(meta.name, meta.name)  # type: ignore[return-value]
    return None


def _results(annotation: object) -> tuple[str | None, ...] | None:
    """The result types of a return annotation (None for a non-wasm annotation; an entry None
    for a tuple element that is not a value type)."""
    if annotation is None or annotation is type(None):
        return ()
    one = _valtype(annotation)
    if one is not None:
        return (one,)
    if typing.get_origin(annotation) is tuple:
        args = typing.get_args(annotation)
        if Ellipsis in args:
            return None
        return tuple(_valtype(a) for a in args)
    return None


def _hints(fn: Callable[..., Any]) -> dict[str, Any]:
    import inspect          # here, not at import: inspect costs ~10 ms of every `import whisk`

    target: object = fn
    if not (inspect.isfunction(fn) or inspect.ismethod(fn) or inspect.isbuiltin(fn)):
        target = getattr(type(fn), "__call__", fn)   # a callable object: its __call__'s hints
    try:
        return typing.get_type_hints(target, include_extras=True)
    except (NameError, TypeError, AttributeError) as exc:
        if not getattr(target, "__annotations__", None):
            return {}
        raise TypeError(f"cannot resolve the annotations of {fn!r}: {exc}") from exc


def host_signature(fn: Callable[..., Any]) -> HostSignature:
    """Read a host callable's annotations. Raises TypeError if they are partly wasm value
    types (every parameter after an optional leading Caller, and the return, must be)."""
    import inspect


    try:
        params = list(inspect.signature(fn).parameters.values())
    except (TypeError, ValueError):       # some builtins have no signature: untyped
        return HostSignature(False, None)
    hints = _hints(fn)
    wants_caller = bool(params) and hints.get(params[0].name) is Caller
    if wants_caller:
        params = params[1:]
    positional = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    ptypes = [_valtype(hints.get(p.name)) if p.kind in positional else None for p in params]
    rtypes = _results(hints["return"]) if "return" in hints else None
    marked = any(ptypes) or any(rtypes or ())
    if all(ptypes) and rtypes is not None and all(rtypes):
        return HostSignature(wants_caller, FuncType(tuple(filter(None, ptypes)),
                                                    tuple(filter(None, rtypes))))
    if marked:
        raise TypeError(f"{getattr(fn, '__qualname__', fn)!r} is partly annotated with wasm "
                        "value types: annotate every parameter (whisk.i32, ...) and the return "
                        "(a value type, a tuple[...] of them, or None)")
    return HostSignature(wants_caller, None)


def func_type_of(fn: Callable[..., Any]) -> FuncType:
    """The wasm function type a callable's annotations declare.

    Parameters are annotated with ``whisk.i32``, ``i64``, ``f32``, ``f64``, ``v128``,
    ``funcref``, ``externref``, ``exnref``, ``anyref``, ``eqref``, ``i31ref``, ``structref``
    or ``arrayref`` (a leading ``whisk.Caller`` parameter is skipped); the return
    with one of them, a ``tuple[...]`` of them, or ``None`` for no results. Raises TypeError if
    the callable is not (completely) annotated so.
    """
    functype = host_signature(fn).type
    if functype is None:
        raise TypeError(f"{getattr(fn, '__qualname__', fn)!r} is not annotated with wasm value "
                        "types (whisk.i32, ...)")
    return functype
