"""A byte reader for the WebAssembly binary format (spec 5.1 and 5.2).

The :class:`Reader` walks a ``bytes`` object with an integer position and an exclusive ``end``
limit. Every read that would go past ``end`` raises :class:`~whisk.errors.DecodeError` with the
message ``"unexpected end of section or function"`` (the reference interpreter's wording for any
premature end of input after the module header); every malformed value raises ``DecodeError``
with the spec test suite's message and the byte offset. No other exception escapes.

Integers use the LEB128 rules of spec 5.2.2 exactly as the reference interpreter applies them:

* an ``uN``/``sN`` takes at most ``ceil(N / 7)`` bytes, otherwise
  ``"integer representation too long"``;
* in the last possible byte the bits beyond ``N`` must be zero (unsigned) or a proper sign
  extension (signed), otherwise ``"integer too large"``;
* padded encodings (``0x80 0x80 0x80 0x80 0x00`` for a u32 0) are valid.
"""

from __future__ import annotations

import builtins
from typing import Callable, TypeVar

from ..errors import DecodeError
from ..features import ALL, Features

__all__ = ["Reader", "EOF_MESSAGE", "feature_enabled"]

T = TypeVar("T")

#: The message for a read past the end of the available input (reference interpreter wording).
EOF_MESSAGE = "unexpected end of section or function"


#: The longest name, in bytes: an implementation limit of the JS API (which wasmparser, wasmtime
#: and the browsers apply; the 2.0 spec sets none).
MAX_NAME_BYTES = 100_000


class Reader:
    """A cursor over WebAssembly binary data (spec 5.1: conventions, 5.2: values).

    ``data`` is the whole module (``bytes``; a ``bytearray`` or ``memoryview`` is copied once),
    ``pos`` the current absolute offset and ``end`` the exclusive limit of readable bytes
    (default: the end of ``data``). Offsets in errors are absolute offsets into ``data``.
    ``features`` (:class:`~whisk.features.Features`, default all) are the features the module
    may use: decoders check a construct of a feature with
    ``r.features.require(name, what, malformed=True, offset=pos)``.
    """

    __slots__ = ("data", "pos", "end", "features")

    def __init__(self, data: bytes | bytearray | memoryview, pos: int = 0, end: int | None = None,
                 features: Features | None = None):
        if not isinstance(data, bytes):
            data = bytes(data)
        self.data: bytes = data
        self.pos: int = pos
        self.end: int = len(data) if end is None else min(end, len(data))
        self.features: Features = ALL if features is None else features

    # --- helpers -------------------------------------------------------------------------

    def _eof(self) -> DecodeError:
        return DecodeError(EOF_MESSAGE, self.end)

    def at_end(self) -> bool:
        """True when no byte is left before ``end``."""
        return self.pos >= self.end

    def remaining(self) -> int:
        """The number of bytes left before ``end``."""
        return self.end - self.pos

    def peek(self) -> int | None:
        """The next byte without consuming it, or None at the end."""
        p = self.pos
        return self.data[p] if p < self.end else None

    # --- raw bytes (spec 5.2.1) ----------------------------------------------------------

    def byte(self) -> int:
        """Read one byte (spec 5.2.1)."""
        p = self.pos
        if p >= self.end:
            raise self._eof()
        self.pos = p + 1
        return self.data[p]

    def bytes(self, n: int) -> bytes:
        """Read exactly ``n`` raw bytes (spec 5.2.1)."""
        p = self.pos
        q = p + n
        if n < 0 or q > self.end:
            raise self._eof()
        self.pos = q
        return self.data[p:q]

    def skip(self, n: int) -> None:
        """Advance by ``n`` bytes, which must exist."""
        q = self.pos + n
        if n < 0 or q > self.end:
            raise self._eof()
        self.pos = q

    # --- integers (spec 5.2.2) -----------------------------------------------------------

    def uleb(self, bits: int) -> int:
        """Read an unsigned LEB128 integer of at most ``bits`` bits (spec 5.2.2, ``uN``)."""
        data = self.data
        end = self.end
        p = self.pos
        result = 0
        shift = 0
        n = bits
        while True:
            if n <= 0:
                raise DecodeError("integer representation too long", p)
            if p >= end:
                raise self._eof()
            b = data[p]
            p += 1
            if n < 7 and (b & 0x7F) >= (1 << n):
                raise DecodeError("integer too large", p - 1)
            result |= (b & 0x7F) << shift
            if b < 0x80:
                self.pos = p
                return result
            shift += 7
            n -= 7

    def sleb(self, bits: int) -> int:
        """Read a signed LEB128 integer of at most ``bits`` bits (spec 5.2.2, ``sN``); the result
        is a Python int in ``[-2**(bits-1), 2**(bits-1))``."""
        data = self.data
        end = self.end
        p = self.pos
        result = 0
        shift = 0
        n = bits
        while True:
            if n <= 0:
                raise DecodeError("integer representation too long", p)
            if p >= end:
                raise self._eof()
            b = data[p]
            p += 1
            if n < 7:
                mask = (-1 << (n - 1)) & 0x7F
                m = b & mask
                if m != 0 and m != mask:
                    raise DecodeError("integer too large", p - 1)
            result |= (b & 0x7F) << shift
            shift += 7
            if b < 0x80:
                self.pos = p
                if b & 0x40:
                    result -= 1 << shift
                return result
            n -= 7

    def u32(self) -> int:
        """Read a ``u32`` (spec 5.2.2): unsigned LEB128, at most 5 bytes."""
        p = self.pos
        if p < self.end:
            b = self.data[p]
            if b < 0x80:
                self.pos = p + 1
                return b
        return self.uleb(32)

    def u64(self) -> int:
        """Read a ``u64`` (spec 5.2.2): unsigned LEB128, at most 10 bytes."""
        return self.uleb(64)

    def s32(self) -> int:
        """Read an ``s32`` (spec 5.2.2): signed LEB128, at most 5 bytes."""
        p = self.pos
        if p < self.end:
            b = self.data[p]
            if b < 0x40:
                self.pos = p + 1
                return b
        return self.sleb(32)

    def s33(self) -> int:
        """Read an ``s33`` (spec 5.2.2, used by block types): signed LEB128, at most 5 bytes."""
        return self.sleb(33)

    def s64(self) -> int:
        """Read an ``s64`` (spec 5.2.2): signed LEB128, at most 10 bytes."""
        p = self.pos
        if p < self.end:
            b = self.data[p]
            if b < 0x40:
                self.pos = p + 1
                return b
        return self.sleb(64)

    # --- floats (spec 5.2.3) -------------------------------------------------------------

    def f32(self) -> int:
        """Read an ``f32`` (spec 5.2.3) and return its raw IEEE-754 bits as an int."""
        p = self.pos
        q = p + 4
        if q > self.end:
            raise self._eof()
        self.pos = q
        return int.from_bytes(self.data[p:q], "little")

    def f64(self) -> int:
        """Read an ``f64`` (spec 5.2.3) and return its raw IEEE-754 bits as an int."""
        p = self.pos
        q = p + 8
        if q > self.end:
            raise self._eof()
        self.pos = q
        return int.from_bytes(self.data[p:q], "little")

    # --- lengths, vectors, names (spec 5.1.3, 5.2.4) -------------------------------------

    def len32(self) -> int:
        """Read a ``u32`` used as a length or element count (spec 5.1.3).

        As in the reference interpreter, a length larger than the number of bytes left
        (counted from the start of the length itself) is ``"length out of bounds"``.
        """
        p = self.pos
        n = self.u32()
        if n > self.end - p:
            raise DecodeError("length out of bounds", p)
        return n

    def vec(self, item: Callable[[], T]) -> list[T]:
        """Read a vector (spec 5.1.3): a ``u32`` count, then that many ``item()`` results."""
        return [item() for _ in range(self.len32())]

    def byte_vec(self) -> builtins.bytes:   # ``bytes`` here would be the method
        """Read a ``vec(byte)`` (spec 5.1.3), e.g. a data segment's initial contents."""
        n = self.len32()
        return self.bytes(n)

    def name(self) -> str:
        """Read a name (spec 5.2.4): a ``vec(byte)`` that must be valid UTF-8, otherwise
        ``"malformed UTF-8 encoding"``."""
        start = self.pos
        raw = self.byte_vec()
        if len(raw) > MAX_NAME_BYTES:
            raise DecodeError("string size out of bounds", start)
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            raise DecodeError("malformed UTF-8 encoding", start) from None


def feature_enabled(r: Reader, name: str) -> bool:
    """Whether the feature ``name`` (e.g. ``"memory64"``, ``"multi_memory"``) is on for what
    ``r`` decodes: ``r.features`` is None (every feature whisk supports) or the set of names."""
    f = r.features
    return f is None or name in f
