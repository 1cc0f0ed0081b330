"""LEB128 encoders (spec 5.2.2) for building test binaries by hand."""

from __future__ import annotations


def uleb(n: int, pad_to: int = 0) -> bytes:
    """Unsigned LEB128 of ``n``, padded with 0x80 continuation bytes to ``pad_to`` bytes."""
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            break
    while len(out) < pad_to:
        out[-1] |= 0x80
        out.append(0)
    return bytes(out)


def sleb(n: int, pad_to: int = 0) -> bytes:
    """Signed LEB128 of ``n``, padded with sign-extension bytes to ``pad_to`` bytes."""
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if (n == 0 and not b & 0x40) or (n == -1 and b & 0x40):
            out.append(b)
            break
        out.append(b | 0x80)
    fill = 0x7F if out[-1] & 0x40 else 0x00
    while len(out) < pad_to:
        out[-1] |= 0x80
        out.append(fill)
    return bytes(out)
