"""Script commands, read from the JSON that :mod:`spectest.convert` makes of a ``.wast`` file.

:func:`load_script` converts and reads a file; :func:`read_commands` reads an already converted
script.  Every command carries ``line`` (1-based line of the command in the ``.wast`` file) and
``kind``, the name it is counted under:

``module``, ``module_definition`` (``(module definition $M ...)``: decoded and validated, not
instantiated), ``module_instance`` (``(module instance $I $M)``), ``register``, ``action``,
``assert_return``, ``assert_trap``, ``assert_exhaustion``, ``assert_exception`` (the action must
throw a WebAssembly exception), ``assert_invalid``, ``assert_malformed``, ``assert_unlinkable``,
``assert_uninstantiable`` (also ``(assert_trap (module ...))``), ``assert_malformed_custom`` /
``assert_invalid_custom`` (custom-section annotations), and ``unsupported`` for forms this
runner does not run (``thread``, ``wait``, ``assert_suspension``), each with its reason.  A
command whose values this module cannot read keeps its kind and becomes :class:`Unsupported`.

The script syntax is the spec's ``interpreter/README.md``, section "Scripts"; the JSON is
``wasm-tools json-from-wast``'s (crate ``json-from-wast``), which WABT's ``wast2json`` shares.
Values and patterns are those of :mod:`spectest.values`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any, List, Mapping, Optional, Tuple, Union

from .convert import Converted, convert
from .values import (SHAPES, Const, Either, ExternRef, HostRef, NanPat, Pattern, RefExtern,
                     RefFunc, RefHost, RefNull, RefType, V128Pat, Value, format_value)

__all__ = [
    "ScriptError", "ModuleDef", "ModuleDefinition", "ModuleInstance", "Register", "Action",
    "ActionCommand", "AssertReturn", "AssertTrap", "AssertExhaustion", "AssertException",
    "AssertMalformed", "AssertInvalid", "AssertUnlinkable", "AssertUninstantiable",
    "AssertMalformedCustom", "AssertInvalidCustom", "Unsupported", "Command",
    "load_script", "read_commands", "read_value", "read_pattern",
]


class ScriptError(ValueError):
    """A command or value this runner cannot understand."""


# --------------------------------------------------------------------------------------------
# commands


@dataclass
class ModuleDef:
    """A module.  ``form`` 'binary': ``binary`` holds it.  ``form`` 'text' (``module quote`` or
    text the converter kept as text): ``text`` is the text, ``binary`` its encoding if the
    converter could make one, else None (then the text does not parse: a text-format error)."""

    line: int
    name: Optional[str]
    form: str
    binary: Optional[bytes] = None
    text: Optional[str] = None
    kind: str = "module"


@dataclass
class ModuleDefinition(ModuleDef):
    """``(module definition $M? ...)``: decode and validate, bind as a module; no instance."""

    kind: str = "module_definition"


@dataclass
class ModuleInstance:
    """``(module instance $I? $M?)``: instantiate module ``module`` (default: the latest) as
    ``instance``, which becomes the current instance."""

    line: int
    instance: Optional[str]
    module: Optional[str]
    kind: str = "module_instance"


@dataclass
class Register:
    line: int
    as_name: str
    module: Optional[str]
    kind: str = "register"


@dataclass
class Action:
    """``(invoke $m? "name" args...)`` or ``(get $m? "name")``."""

    op: str  # 'invoke' | 'get'
    module: Optional[str]
    field: str
    args: Tuple[Value, ...] = ()

    def __str__(self) -> str:
        mod = f"{self.module} " if self.module else ""
        args = "".join(" " + format_value(a) for a in self.args)
        return f"{self.op} {mod}{self.field!r}{args}"


@dataclass
class ActionCommand:
    line: int
    action: Action
    kind: str = "action"


@dataclass
class AssertReturn:
    line: int
    action: Action
    expected: Tuple[Pattern, ...]
    kind: str = "assert_return"


@dataclass
class AssertTrap:
    line: int
    action: Action
    message: str
    kind: str = "assert_trap"


@dataclass
class AssertExhaustion:
    line: int
    action: Action
    message: str
    kind: str = "assert_exhaustion"


@dataclass
class AssertException:
    """``(assert_exception action)``: the action must end by throwing a WebAssembly exception."""

    line: int
    action: Action
    kind: str = "assert_exception"


@dataclass
class AssertMalformed:
    line: int
    module: ModuleDef
    message: str
    kind: str = "assert_malformed"


@dataclass
class AssertInvalid:
    line: int
    module: ModuleDef
    message: str
    kind: str = "assert_invalid"


@dataclass
class AssertUnlinkable:
    line: int
    module: ModuleDef
    message: str
    kind: str = "assert_unlinkable"


@dataclass
class AssertUninstantiable:
    """``(assert_uninstantiable module msg)`` or ``(assert_trap module msg)``."""

    line: int
    module: ModuleDef
    message: str
    kind: str = "assert_uninstantiable"


@dataclass
class AssertMalformedCustom:
    """``(assert_malformed_custom module msg)``: a custom-section annotation that does not parse."""

    line: int
    module: ModuleDef
    message: str
    kind: str = "assert_malformed_custom"


@dataclass
class AssertInvalidCustom:
    """``(assert_invalid_custom module msg)``: a custom section whose contents are invalid."""

    line: int
    module: ModuleDef
    message: str
    kind: str = "assert_invalid_custom"


@dataclass
class Unsupported:
    """A form this runner does not run; it is counted (under ``kind``) as skipped with ``reason``."""

    line: int
    what: str
    reason: str
    kind: str = "unsupported"


Command = Union[
    ModuleDef, ModuleInstance, Register, ActionCommand, AssertReturn, AssertTrap,
    AssertExhaustion, AssertException, AssertMalformed, AssertInvalid, AssertUnlinkable,
    AssertUninstantiable, AssertMalformedCustom, AssertInvalidCustom, Unsupported,
]

# --------------------------------------------------------------------------------------------
# values

_MASK = {"i32": (1 << 32) - 1, "i64": (1 << 64) - 1, "f32": (1 << 32) - 1, "f64": (1 << 64) - 1}
_LANE_SHAPE = {"i8": "i8x16", "i16": "i16x8", "i32": "i32x4", "i64": "i64x2", "f32": "f32x4", "f64": "f64x2"}
# JSON types of null references (any 'value') -> heap type of the (ref.null ...)
_NULL_TYPES = {"nullref": "none", "nullfuncref": "nofunc", "nullexternref": "noextern",
               "nullexnref": "noexn", "nullcontref": "nocont"}
# JSON reference types with an optional value: type -> heap type
_REF_TYPES = {"funcref": "func", "externref": "extern", "anyref": "any", "exnref": "exn", "contref": "cont"}
# GC reference patterns without a value: (ref.eq), (ref.struct), ...  (wasm-tools writes
# (ref.null eq) the same way: these only occur in GC scripts)
_GC_PATTERNS = {"eqref": "eq", "structref": "struct", "arrayref": "array", "i31ref": "i31",
                "i31ref_shared": "i31"}


def _int(text: Any, bits: int) -> int:
    """A JSON integer (a decimal string, signed or unsigned) as unsigned ``bits``-bit value."""
    try:
        n = int(text, 10) if isinstance(text, str) else int(text)
    except (TypeError, ValueError):
        raise ScriptError(f"bad integer {text!r}") from None
    if not -(1 << (bits - 1)) <= n < (1 << bits):
        raise ScriptError(f"integer out of range for {bits} bits: {text!r}")
    return n & ((1 << bits) - 1)


def _lanes(v: Mapping[str, Any]) -> Tuple[str, List[Any]]:
    shape = _LANE_SHAPE.get(v.get("lane_type", ""))
    lanes = v.get("value")
    if shape is None or not isinstance(lanes, list) or len(lanes) != SHAPES[shape][0]:
        raise ScriptError(f"bad v128 constant {v!r}")
    return shape, lanes


def _v128_bits(shape: str, lanes: List[Any]) -> int:
    _, bits, _ = SHAPES[shape]
    return sum(_int(x, bits) << (i * bits) for i, x in enumerate(lanes))


def read_value(v: Mapping[str, Any]) -> Value:
    """An argument of an action: ``{"type": "i32", "value": "-1"}``, ``{"type": "v128",
    "lane_type": "i8", "value": [...]}``, ``{"type": "externref", "value": "null" | "N"}``, ..."""
    t = v.get("type")
    x = v.get("value")
    if t in _MASK:
        return Value(t, _int(x, _MASK[t].bit_length()))
    if t == "v128":
        return Value("v128", _v128_bits(*_lanes(v)))
    if t in _NULL_TYPES:
        return Value(t, None)
    if t in _REF_TYPES and x == "null":
        return Value(t, None)
    if t == "externref" and x is not None:
        return Value(t, ExternRef(_int(x, 32)))
    if t == "anyref" and x is not None:
        return Value(t, HostRef(_int(x, 32)))
    raise ScriptError(f"unsupported argument {dict(v)!r}")


def _float_pattern(t: str, x: Any) -> Pattern:
    if x in ("nan:canonical", "nan:arithmetic"):
        return NanPat(t, x[4:])
    return Const(t, _int(x, _MASK[t].bit_length()))


def read_pattern(v: Mapping[str, Any]) -> Pattern:
    """An expected result of ``assert_return`` (see :mod:`spectest.values` for the patterns)."""
    t = v.get("type")
    x = v.get("value")
    if t in ("i32", "i64"):
        return Const(t, _int(x, _MASK[t].bit_length()))
    if t in ("f32", "f64"):
        return _float_pattern(t, x)
    if t == "v128":
        shape, lanes = _lanes(v)
        kind = SHAPES[shape][2]
        if kind == "i":
            return Const("v128", _v128_bits(shape, lanes))
        pats = [_float_pattern(kind, lane) for lane in lanes]
        if all(isinstance(p, Const) for p in pats):
            return Const("v128", _v128_bits(shape, lanes))
        return V128Pat(shape, tuple(p.kind if isinstance(p, NanPat) else p.bits for p in pats))  # type: ignore[union-attr]
    if t == "either":
        alts = v.get("values")
        if not isinstance(alts, list) or not alts:
            raise ScriptError("either without alternatives")
        return Either(tuple(read_pattern(a) for a in alts))
    if t == "refnull":
        return RefNull(None)
    if t in _NULL_TYPES:
        return RefNull(_NULL_TYPES[t])
    if t in _REF_TYPES:
        heap = _REF_TYPES[t]
        if x == "null":
            return RefNull(heap)
        if t == "funcref":
            if isinstance(x, dict):
                x = x.get("index")
            return RefFunc(None if x is None else int(x))
        if t == "externref":
            return RefExtern(None if x is None else _int(x, 32))
        if t == "anyref" and x is not None:
            return RefHost(_int(x, 32))
        if x is None:
            return RefType(heap)
    if t in _GC_PATTERNS and x is None:
        return RefType(_GC_PATTERNS[t])
    raise ScriptError(f"unsupported result {dict(v)!r}")


# --------------------------------------------------------------------------------------------
# commands from JSON


def _module(c: Mapping[str, Any], files: Mapping[str, bytes], cls: type = ModuleDef) -> ModuleDef:
    line = int(c.get("line", 0))
    name = c.get("name")

    def data(key: str) -> Optional[bytes]:
        fn = c.get(key)
        if fn is None:
            return None
        try:
            return files[os.path.basename(fn)]
        except KeyError:
            raise ScriptError(f"the converter did not write {fn}") from None

    if c.get("module_type", "binary") == "text":
        raw = data("filename") or b""
        return cls(line, name, "text", binary=data("binary_filename"),
                   text=raw.decode("utf-8", "surrogateescape"))
    return cls(line, name, "binary", binary=data("filename") or b"")


def _action(a: Any) -> Action:
    if not isinstance(a, dict) or a.get("type") not in ("invoke", "get"):
        raise ScriptError(f"unsupported action {a!r}")
    field = a.get("field")
    if not isinstance(field, str):
        raise ScriptError("action without a field name")
    if a["type"] == "get":
        return Action("get", a.get("module"), field)
    return Action("invoke", a.get("module"), field, tuple(read_value(v) for v in a.get("args", [])))


_MODULE_ASSERTIONS = {
    "assert_malformed": AssertMalformed, "assert_invalid": AssertInvalid,
    "assert_unlinkable": AssertUnlinkable, "assert_uninstantiable": AssertUninstantiable,
    "assert_malformed_custom": AssertMalformedCustom, "assert_invalid_custom": AssertInvalidCustom,
}
_KINDS = {"module": "module", "module_definition": "module_definition",
          "module_instance": "module_instance", "register": "register", "action": "action",
          "assert_return": "assert_return", "assert_trap": "assert_trap",
          "assert_exhaustion": "assert_exhaustion", "assert_exception": "assert_exception",
          **{k: k for k in _MODULE_ASSERTIONS}}


def read_command(c: Mapping[str, Any], files: Mapping[str, bytes]) -> Command:
    """One JSON command -> a command object (raises :class:`ScriptError`)."""
    t = c.get("type")
    line = int(c.get("line", 0))
    if t == "module":
        return _module(c, files)
    if t == "module_definition":
        return _module(c, files, ModuleDefinition)
    if t == "module_instance":
        instance, module = c.get("instance"), c.get("module")
        if module is None:  # (module instance $x): one name is the module's (the spec's parser.mly)
            instance, module = None, instance
        return ModuleInstance(line, instance, module)
    if t == "register":
        return Register(line, str(c["as"]), c.get("name"))
    if t == "action":
        return ActionCommand(line, _action(c.get("action")))
    if t == "assert_return":
        return AssertReturn(line, _action(c.get("action")),
                            tuple(read_pattern(v) for v in c.get("expected", [])))
    if t == "assert_trap":
        return AssertTrap(line, _action(c.get("action")), str(c.get("text", "")))
    if t == "assert_exhaustion":
        return AssertExhaustion(line, _action(c.get("action")), str(c.get("text", "")))
    if t == "assert_exception":
        return AssertException(line, _action(c.get("action")))
    cls = _MODULE_ASSERTIONS.get(t)  # type: ignore[arg-type]
    if cls is not None:
        return cls(line, _module(c, files), str(c.get("text", "")))
    raise ScriptError(f"{t} commands are not supported")


def read_commands(converted: Converted) -> List[Command]:
    """The commands of a converted script, in order.  A command this module cannot read becomes
    :class:`Unsupported` (keeping its kind when it has one) so that the runner reports it."""
    out: List[Command] = []
    files = converted.files
    for c in converted.data.get("commands", []):
        try:
            out.append(read_command(c, files))
        except (ScriptError, KeyError, TypeError, ValueError) as e:
            t = str(c.get("type", "?"))
            out.append(Unsupported(int(c.get("line", 0)), t, str(e), kind=_KINDS.get(t, "unsupported")))
    return out


def load_script(path: str | os.PathLike[str], use_cache: bool = True) -> List[Command]:
    """Convert (or take from the cache) and read the script at ``path``.

    Raises :class:`~spectest.convert.ConvertError` if the converters reject the file and OSError
    if it cannot be read.
    """
    return read_commands(convert(path, use_cache=use_cache))
