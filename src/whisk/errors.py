"""The exceptions whisk raises.

Hierarchy (one class per assertion kind of the spec test suite)::

    WasmError
      DecodeError       malformed binary (spec 5: "assert_malformed")
      ValidationError   invalid module (spec 3: "assert_invalid")
      LinkError         imports do not match (spec 4.5.4: "assert_unlinkable")
        ResourceError   a store limit or the host's memory would be exceeded
      Trap              execution trapped (spec 4.4: "assert_trap")
        Exhaustion      call stack or fuel exhausted ("assert_exhaustion"; "all fuel consumed")
        Interrupted     stopped from outside: Store.interrupt() or a call's timeout
      WasmException     a wasm exception (3.0 spec: throw, "assert_exception"); not a trap
    Exit                a WASI guest called ``proc_exit`` (not an error: ``.code`` holds the status)

Messages start with the spec test suite's wording (for example ``"unexpected end"`` or
``"integer divide by zero"``) so that a test can match on the prefix.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ._core.runtime import Tag

__all__ = ["WasmError", "DecodeError", "ValidationError", "LinkError", "ResourceError", "Trap",
           "TrapCode", "Frame", "Exhaustion", "Interrupted", "WasmException", "Exit"]


class WasmError(Exception):
    """Base class of every error whisk raises about a WebAssembly module or its execution."""


class DecodeError(WasmError):
    """The binary is malformed (spec 5, binary format).

    The message starts with the spec's wording ("unexpected end", "magic header not detected",
    "integer too large", "section size mismatch", ...) and ends with the byte offset when known.
    ``offset`` holds the byte offset into the module (or None).
    """

    def __init__(self, message: str, offset: int | None = None):
        self.message = message
        self.offset = offset
        super().__init__(message if offset is None else f"{message} (at byte offset {offset})")


class ValidationError(WasmError):
    """The module is well-formed but invalid (spec 3, validation).

    The message starts with the spec's wording ("type mismatch", "unknown local", ...).
    """


class LinkError(WasmError):
    """Instantiation failed to resolve or match an import (spec 4.5.4, "unknown import",
    "incompatible import type")."""


class ResourceError(LinkError):
    """A resource limit would be exceeded: a Store limit (``max_memory_bytes``,
    ``max_table_elements``, ``max_instances``, ``max_tables``, ``max_memories``) at
    instantiation or on a grow from Python, or address space or memory the host cannot provide.
    A LinkError, because instantiation fails before anything runs, as wasmtime reports it.
    (Growth from guest code past a limit is not an error: ``memory.grow``/``table.grow``
    return -1, spec 4.4.6.6 and 4.4.7.8.)"""


class TrapCode(enum.IntEnum):
    """Why execution trapped (``Trap.code``): one member per kind of trap (spec 4.4).

    Names and values are wasmtime-py's ``wasmtime.TrapCode`` where the meaning overlaps, so code
    written against either can test ``e.code.name``; the whisk-only kinds count from 100.
    """

    STACK_OVERFLOW = 0              #: "call stack exhausted" (call depth or value stack)
    MEMORY_OUT_OF_BOUNDS = 1        #: "out of bounds memory access"
    TABLE_OUT_OF_BOUNDS = 3         #: "out of bounds table access", "undefined element"
    INDIRECT_CALL_TO_NULL = 4       #: "uninitialized element" (call_indirect of a null entry)
    BAD_SIGNATURE = 5               #: "indirect call type mismatch"
    INTEGER_OVERFLOW = 6            #: "integer overflow"
    INTEGER_DIVISION_BY_ZERO = 7    #: "integer divide by zero"
    BAD_CONVERSION_TO_INTEGER = 8   #: "invalid conversion to integer"
    UNREACHABLE = 9                 #: "unreachable"
    INTERRUPT = 10                  #: "interrupted": Store.interrupt() / Instance.interrupt()
    OUT_OF_FUEL = 11                #: "all fuel consumed"
    NULL_REFERENCE = 13             #: "null reference", "null function reference", "null exception reference",
                                    #: "null structure reference", "null array reference", "null i31 reference"
    ARRAY_OUT_OF_BOUNDS = 14        #: "out of bounds array access" (3.0 GC)
    ALLOCATION_TOO_LARGE = 15       #: "allocation size too large", "GC heap out of memory" (3.0 GC)
    CAST_FAILURE = 16               #: "cast failure": ref.cast (3.0 GC)
    TIMEOUT = 100                   #: "timeout": a call's ``timeout`` passed (whisk only)
    UNKNOWN_IMPORT = 101            #: a stub of ``Linker.define_unknown_imports_as_traps`` ran
    HOST = 102                      #: raised by host (Python) code with another message

    @classmethod
    def of_message(cls, message: str) -> TrapCode:
        """The code of a trap message (by its spec wording prefix); HOST if none matches."""
        for prefix, code in _CODE_OF_MESSAGE:
            if message.startswith(prefix):
                return code
        return cls.HOST


_CODE_OF_MESSAGE = (
    ("unreachable", TrapCode.UNREACHABLE),
    ("integer divide by zero", TrapCode.INTEGER_DIVISION_BY_ZERO),
    ("integer overflow", TrapCode.INTEGER_OVERFLOW),
    ("invalid conversion to integer", TrapCode.BAD_CONVERSION_TO_INTEGER),
    ("out of bounds memory access", TrapCode.MEMORY_OUT_OF_BOUNDS),
    ("out of bounds table access", TrapCode.TABLE_OUT_OF_BOUNDS),
    ("undefined element", TrapCode.TABLE_OUT_OF_BOUNDS),
    ("uninitialized element", TrapCode.INDIRECT_CALL_TO_NULL),
    ("indirect call type mismatch", TrapCode.BAD_SIGNATURE),
    ("call stack exhausted", TrapCode.STACK_OVERFLOW),
    ("all fuel consumed", TrapCode.OUT_OF_FUEL),
    ("interrupted", TrapCode.INTERRUPT),
    ("timeout", TrapCode.TIMEOUT),
    ("null", TrapCode.NULL_REFERENCE),
    ("out of bounds array access", TrapCode.ARRAY_OUT_OF_BOUNDS),
    ("allocation size too large", TrapCode.ALLOCATION_TOO_LARGE),
    ("GC heap out of memory", TrapCode.ALLOCATION_TOO_LARGE),
    ("cast failure", TrapCode.CAST_FAILURE),
    ("unknown import", TrapCode.UNKNOWN_IMPORT),
)


class Frame:
    """One frame of a trap's wasm backtrace (``Trap.frames``), like wasmtime's ``Frame``.

    ``func_index``: the function's index in its module's function index space; ``func_name``:
    its name from the name section (or None); ``module_name``: the module's name from the name
    section (or None); ``module_offset``: the byte offset, in the module binary, of the
    instruction executing in this frame: the trapping instruction in frame 0, the call in each
    caller frame (None if unknown). The offset is found on first access (the core re-lowers
    the function body once, recording offsets; cached per module).
    """

    __slots__ = ("func_index", "func_name", "module_name", "_offset", "_find")

    def __init__(self, func_index: int, func_name: str | None = None,
                 module_name: str | None = None,
                 module_offset: int | None | Callable[[], int | None] = None):
        self.func_index = func_index
        self.func_name = func_name
        self.module_name = module_name
        self._find = module_offset if callable(module_offset) else None
        self._offset = None if callable(module_offset) else module_offset

    @property
    def module_offset(self) -> int | None:
        if self._find is not None:
            find, self._find = self._find, None
            self._offset = find()
        return self._offset

    def __repr__(self) -> str:
        off = self.module_offset
        return (f"<whisk.Frame func[{self.func_index}] {self.func_name or ''} "
                f"module_offset={'None' if off is None else hex(off)}>")


class Trap(WasmError):
    """Execution trapped (spec 4.4).

    ``message`` is the spec's trap message ("unreachable", "integer divide by zero",
    "out of bounds memory access", ...); ``code`` the :class:`TrapCode` (given, or found from
    the message: HOST for a message of no known kind); ``frames`` the wasm backtrace,
    innermost first, as :class:`Frame` objects (empty when the trap happened outside wasm
    code, e.g. in a segment's initialisation or a host function).
    """

    def __init__(self, message: str, frames: Iterable[Frame] = (),
                 code: TrapCode | None = None):
        self.message = message
        self.frames = tuple(frames)
        self.code = TrapCode.of_message(message) if code is None else TrapCode(code)
        super().__init__(message)

    def __str__(self) -> str:
        if not self.frames:
            return self.message
        # wasmtime's layout: "    0:  0x1a2b - <module>!name"
        lines = [self.message, "wasm backtrace:"]
        for i, f in enumerate(self.frames):
            label = f.func_name if f.func_name is not None else f"<func {f.func_index}>"
            off = f.module_offset
            where = f"{off:#x} - " if off is not None else ""
            mod = f"{f.module_name}!" if f.module_name is not None else ""
            lines.append(f"  {i:>3}: {where:>10}{mod}func[{f.func_index}] {label}")
        return "\n".join(lines)


class Exhaustion(Trap):
    """A resource ran out: the call stack ("call stack exhausted") or fuel."""


class Interrupted(Trap):
    """Guest code was stopped from outside: by ``Store.interrupt()`` (message ``"interrupted"``)
    or because a call's ``timeout`` passed (message ``"timeout"``). Guest code is checked at
    backward branches and calls, so it stops within about a million instructions."""


class WasmException(WasmError):
    """A WebAssembly exception (3.0 spec 4.2.11, exception instances; thrown by ``throw``).

    Raised by a call when an exception the guest threw is not caught in wasm: ``tag`` is the
    ``whisk.Tag`` it was thrown with, ``payload`` a list of its values as Python values
    (converted like call results). It is the exception instance itself: the same exception
    always gives the same WasmException object, it is the Python value of an ``exnref``
    (a function returning exnref returns one, or None for null), and it can be passed where an
    exnref is expected.

    ``WasmException(tag, payload=())`` makes a new exception instance of ``tag`` (the values
    converted like call arguments: TypeError/ValueError if they do not fit the tag's
    parameters). A host function that raises one throws it into the guest, where a
    ``try_table`` can catch it; uncaught, it passes through the wasm frames back to the Python
    caller unchanged. Traps are never WasmExceptions and cannot be caught by wasm code.
    """

    tag: Tag
    payload: list[object]

    def __init__(self, tag: Tag, payload: Iterable[object] = ()):
        from ._core.runtime import new_exception   # (the core imports this module)

        values = list(payload)
        self._init(tag, values, new_exception(tag, values, self))

    def _init(self, tag: Tag, payload: list[object], exn: object) -> None:
        # the core builds the WasmException of an exception the guest threw this way
        self.tag = tag
        self.payload = payload
        self._exn = exn
        Exception.__init__(self, tag, payload)

    def __str__(self) -> str:
        return f"wasm exception {self.tag!r}, payload {self.payload!r}"


class Exit(Exception):
    """Raised when a WASI guest calls ``proc_exit(code)``; ``code`` is the exit status (int)."""

    def __init__(self, code: int):
        self.code = code
        super().__init__(f"exit status {code}")
