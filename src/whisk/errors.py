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

from collections.abc import Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ._core.runtime import Tag

__all__ = ["WasmError", "DecodeError", "ValidationError", "LinkError", "ResourceError", "Trap",
           "Exhaustion", "Interrupted", "WasmException", "Exit"]


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


class Trap(WasmError):
    """Execution trapped (spec 4.4).

    ``message`` is the spec's trap message ("unreachable", "integer divide by zero",
    "out of bounds memory access", ...); ``frames`` the wasm backtrace, innermost first, as
    ``(func_index, func_name_or_None)`` tuples when known.
    """

    def __init__(self, message: str, frames: Iterable[tuple[int, str | None]] = ()):
        self.message = message
        self.frames = tuple(frames)
        super().__init__(message)

    def __str__(self) -> str:
        if not self.frames:
            return self.message
        lines = [self.message, "wasm backtrace:"]
        for i, (index, name) in enumerate(self.frames):
            label = name if name is not None else f"<func {index}>"
            lines.append(f"  {i}: func[{index}] {label}")
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
