"""Tokenizer and parser for the S-expression syntax of WAST scripts.

The tree is made of three kinds of node:

* ``str``   -- an atom (keyword, number, ``$id``, ...), exactly as written;
* :class:`String` -- a string literal: ``value`` holds the decoded BYTES, ``raw`` the source text
  (with the quotes and escapes) so that it can be written back unchanged;
* ``list``  -- a parenthesised list of nodes.

Comments (``;; ...`` to the end of the line and nested ``(; ... ;)``) and annotations
(``(@name ...)``) are dropped.  :func:`parse` is iterative, so deep nesting is fine.
:func:`dumps` writes a tree back to text (atoms and strings as written).
"""

from __future__ import annotations

import re
from typing import Iterator, List, Tuple, Union

__all__ = [
    "String",
    "Node",
    "ParseError",
    "parse",
    "parse_with_lines",
    "decode_string",
    "quote_bytes",
    "dumps",
]


class ParseError(ValueError):
    """Syntax error in the S-expression text; ``line`` is 1-based (or None)."""

    def __init__(self, message: str, line: int | None = None):
        self.line = line
        super().__init__(message if line is None else f"line {line}: {message}")


class String:
    """A string literal: ``value`` = decoded bytes, ``raw`` = source text including quotes."""

    __slots__ = ("value", "raw")

    def __init__(self, value: bytes, raw: str | None = None):
        self.value = value
        self.raw = raw if raw is not None else quote_bytes(value)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, String):
            return self.value == other.value
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self.value)

    def __repr__(self) -> str:
        return f"String({self.value!r})"

    def text(self) -> str:
        """The value decoded as UTF-8 (invalid bytes kept as surrogate escapes)."""
        return self.value.decode("utf-8", "surrogateescape")


Node = Union[str, String, list]

# One alternative per token kind; the group number (``m.lastindex``) tells which matched.
# Whitespace and line comments have no group (lastindex is None).
_TOKEN = re.compile(
    r"""
      ([^()";]+)                    # 1 a run of whitespace and atoms (split in C)
    | (\(;)                         # 2 block comment start
    | (\()                          # 3 open paren
    | (\))                          # 4 close paren
    | ("(?:[^"\\\n]|\\[^\n])*")     # 5 string literal
    | ;;[^\n]*                      # line comment (no group)
    | (.)                           # 6 anything else: error
    """,
    re.X | re.S,
)
_BLOCK = re.compile(r"\(;|;\)")
_ESCAPE = re.compile(r"\\(?:([0-9a-fA-F]{2})|u\{([0-9a-fA-F](?:_?[0-9a-fA-F])*)\}|([tnr\"'\\]))|\\")
_SIMPLE_ESCAPES = {"t": b"\t", "n": b"\n", "r": b"\r", '"': b'"', "'": b"'", "\\": b"\\"}


def decode_string(raw: str) -> bytes:
    """Decode the body of a string literal (``raw`` WITHOUT the surrounding quotes) to bytes."""
    if "\\" not in raw:
        return raw.encode("utf-8", "surrogateescape")
    out = bytearray()
    pos = 0
    for m in _ESCAPE.finditer(raw):
        if m.start() > pos:
            out += raw[pos : m.start()].encode("utf-8", "surrogateescape")
        hh, uni, simple = m.groups()
        if hh is not None:
            out.append(int(hh, 16))
        elif uni is not None:
            cp = int(uni.replace("_", ""), 16)
            if cp > 0x10FFFF or 0xD800 <= cp < 0xE000:
                raise ParseError(f"invalid unicode escape \\u{{{uni}}}")
            out += chr(cp).encode("utf-8")
        elif simple is not None:
            out += _SIMPLE_ESCAPES[simple]
        else:
            raise ParseError(f"invalid escape in string near {raw[m.start():m.start() + 4]!r}")
        pos = m.end()
    out += raw[pos:].encode("utf-8", "surrogateescape")
    return bytes(out)


def quote_bytes(value: bytes) -> str:
    """A string literal (with quotes) whose decoded value is ``value``."""
    parts = ['"']
    for b in value:
        if 0x20 <= b < 0x7F and b not in (0x22, 0x5C):
            parts.append(chr(b))
        else:
            parts.append("\\%02x" % b)
    parts.append('"')
    return "".join(parts)


def _line_of(text: str, pos: int) -> int:
    return text.count("\n", 0, pos) + 1


def _skip_block_comment(text: str, start: int) -> int:
    """``text[start:start+2] == '(;'``; return the offset just after the matching ``;)``."""
    depth = 0
    pos = start
    while True:
        m = _BLOCK.search(text, pos)
        if m is None:
            raise ParseError("unterminated block comment", _line_of(text, start))
        if m.group() == "(;":
            depth += 1
        else:
            depth -= 1
            if depth == 0:
                return m.end()
        pos = m.end()


def _parse(text: str) -> Tuple[list, List[int]]:
    """Return (top-level nodes, start offsets of the top-level nodes)."""
    top: list = []
    starts: List[int] = []
    stack: list = []  # enclosing lists (the innermost open list is `cur`)
    open_pos: List[int] = []
    cur = top
    pos = 0
    finditer = _TOKEN.finditer
    while True:
        restart = None
        for m in finditer(text, pos):
            k = m.lastindex
            if k == 1:
                chunk = m.group(1)
                if not chunk.isspace():
                    cur.extend(chunk.split())
            elif k == 3:
                new: list = []
                cur.append(new)
                stack.append(cur)
                open_pos.append(m.start())
                cur = new
            elif k == 4:
                if not stack:
                    raise ParseError("unexpected ')'", _line_of(text, m.start()))
                parent = stack.pop()
                p = open_pos.pop()
                if cur and type(cur[0]) is str and cur[0][:1] == "@":
                    parent.pop()  # annotation: ignore
                elif not stack:
                    starts.append(p)
                cur = parent
            elif k == 5:
                raw = m.group(5)
                try:
                    cur.append(String(decode_string(raw[1:-1]), raw))
                except ParseError as e:
                    raise ParseError(str(e), _line_of(text, m.start())) from None
            elif k is None:
                continue
            elif k == 2:
                restart = _skip_block_comment(text, m.start())
                break
            else:
                ch = m.group(6)
                what = "unterminated string" if ch == '"' else f"unexpected character {ch!r}"
                raise ParseError(what, _line_of(text, m.start()))
        if restart is None:
            break
        pos = restart
    if stack:
        raise ParseError("unclosed '('", _line_of(text, open_pos[-1]))
    # Only lists get a start offset; top-level atoms/strings are kept in `top` but not in `starts`.
    return top, starts


def parse(text: str) -> list:
    """Parse ``text`` into a list of top-level nodes."""
    return _parse(text)[0]


def parse_with_lines(text: str) -> List[Tuple[Node, int]]:
    """Parse ``text`` into ``(node, line)`` pairs for the top-level nodes.

    Top-level atoms or strings (never valid in a script) get line 0.
    """
    top, starts = _parse(text)
    out = []
    si = 0
    line = 1
    last = 0
    for node in top:
        if type(node) is list:
            p = starts[si]
            si += 1
            line += text.count("\n", last, p)
            last = p
            out.append((node, line))
        else:
            out.append((node, 0))
    return out


def _string_text(s: String, ascii: bool) -> str:
    if ascii and not s.raw.isascii():
        return quote_bytes(s.value)
    return s.raw


def dumps(node: Node, ascii: bool = False) -> str:
    """Write a node back to text (atoms and strings as written).

    With ``ascii``, strings holding non-ASCII characters are written with ``\\hh`` escapes
    instead (same bytes; some text parsers reject e.g. bidirectional-override characters).
    """
    if type(node) is str:
        return node
    if isinstance(node, String):
        return _string_text(node, ascii)
    parts: List[str] = []
    # iterative pre-order walk: stack of iterators
    stack: List[Iterator] = [iter([node])]
    pending_space: List[bool] = [False]
    while stack:
        it = stack[-1]
        try:
            item = next(it)
        except StopIteration:
            stack.pop()
            pending_space.pop()
            if stack:
                parts.append(")")
            continue
        if pending_space[-1]:
            parts.append(" ")
        pending_space[-1] = True
        if type(item) is list:
            parts.append("(")
            stack.append(iter(item))
            pending_space.append(False)
        elif isinstance(item, String):
            parts.append(_string_text(item, ascii))
        else:
            parts.append(item)
    return "".join(parts)
