"""WebAssembly text format input (spec 6): telling text from binary, and assembling text.

``whisk.Module`` accepts the text format as a ``str``, or as bytes whose first token (after
white space and comments, spec 6.2.4) is ``(``; a binary starts with the magic ``\\0asm``
(spec 5.5.16), which is never text. The text is assembled to a binary by a maintained parser
from an optional extra, ``pip install 'whisk-wasm[wat]'``: wasmtime-py's ``wat2wasm``. whisk
then decodes and validates that binary like any other, so the module pickles as its binary and
a worker process needs no text parser.
"""

from __future__ import annotations

import re

from .errors import DecodeError

__all__ = ["WatUnavailableError", "is_text", "wat_to_binary", "INSTALL_HINT"]

#: What to install for the text format.
INSTALL_HINT = "pip install 'whisk-wasm[wat]'"


class WatUnavailableError(ModuleNotFoundError):
    """WebAssembly text was given but no text parser is installed (the ``wat`` extra, which
    installs wasmtime-py). A ``ModuleNotFoundError`` (an ``ImportError``): a missing package,
    not a bad module; the message says what to install."""


# Spec 6.2.4: white space is spaces, tabs, newlines, carriage returns and comments; a line
# comment runs from ";;" to the end of the line, a block comment "(; ... ;)" nests.
_SPACE = frozenset(b" \t\n\r")
_LINE_COMMENT = re.compile(rb";;[^\n]*")


def _skip_block_comment(data: bytes, i: int) -> int:
    """The index after the block comment starting at ``data[i:i+2] == b"(;"`` (nested ones
    included), or ``len(data)`` if it is not closed."""
    depth, n = 0, len(data)
    while i < n:
        if data.startswith(b"(;", i):
            depth, i = depth + 1, i + 2
        elif data.startswith(b";)", i):
            depth, i = depth - 1, i + 2
            if depth == 0:
                return i
        else:
            i += 1
    return n


def is_text(data: bytes) -> bool:
    """True if ``data`` looks like the text format: its first token after white space and
    comments (spec 6.2.4) is ``(``. A binary (``\\0asm``) is never text; this reads only the
    leading white space and comments (a binary's first byte settles it at once)."""
    if not data or (data[0] not in _SPACE and data[0] not in b"(;"):
        return False                                  # fast path: a binary starts with \0
    i, n = 0, len(data)
    while i < n:
        c = data[i]
        if c in _SPACE:
            i += 1
        elif data.startswith(b";;", i):
            m = _LINE_COMMENT.match(data, i)
            assert m is not None
            i = m.end()
        elif data.startswith(b"(;", i):
            i = _skip_block_comment(data, i)
        else:
            return c == 0x28                          # "("
    return False


def wat_to_binary(text: str | bytes) -> bytes:
    """Assemble WebAssembly text (a ``str``, or UTF-8 bytes) to a binary module with
    ``wasmtime.wat2wasm``. Raises :class:`WatUnavailableError` (a ModuleNotFoundError) without
    the ``wat`` extra, and :class:`~whisk.DecodeError` with the parser's message, line and
    column (``"expected a i32 (at line 1, column 37)"``) if the text is malformed (spec 6)."""
    try:
        from wasmtime import WasmtimeError, wat2wasm
    except ImportError as exc:
        raise WatUnavailableError(
            f"WebAssembly text needs the wat extra: {INSTALL_HINT} (it installs wasmtime, "
            f"whose wat2wasm parses the text)", name="wasmtime") from exc
    if not isinstance(text, str):
        text = bytes(text)
    try:
        return bytes(wat2wasm(text))
    except WasmtimeError as exc:
        raise DecodeError(_one_line(str(exc))) from exc


_LOCATION = re.compile(r"-->\s*[^\n]*?:(\d+):(\d+)")


def _one_line(message: str) -> str:
    """wasmtime's parse error (the message, then a ``--> <anon>:LINE:COL`` snippet) as one
    line: ``"<message> (at line LINE, column COL)"``."""
    first = message.strip().splitlines()[0] if message.strip() else "malformed text"
    m = _LOCATION.search(message)
    return f"{first} (at line {m[1]}, column {m[2]})" if m else first
