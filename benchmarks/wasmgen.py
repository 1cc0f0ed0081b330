"""Tiny WebAssembly binary encoders shared by the benchmark scripts (LEB128, sections) and the
trivial module used to measure the cost of a call from Python."""

MAGIC_VERSION = b"\x00asm\x01\x00\x00\x00"
I32 = 0x7F


def leb(n: int) -> bytes:
    """Unsigned LEB128 encoding of ``n`` (n >= 0)."""
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def section(sid: int, payload: bytes) -> bytes:
    """A section: id, payload size, payload."""
    return bytes([sid]) + leb(len(payload)) + payload


def name(s: str) -> bytes:
    """A name: its UTF-8 length then its bytes."""
    data = s.encode()
    return leb(len(data)) + data


def call_module() -> bytes:
    """A module exporting ``nop: [] -> []`` and ``add: [i32 i32] -> [i32]``, to time calls."""
    types = section(1, leb(2) + b"\x60\x00\x00" + b"\x60\x02" + bytes([I32, I32]) + b"\x01" + bytes([I32]))
    funcs = section(3, leb(2) + b"\x00\x01")
    exports = section(7, leb(2) + name("nop") + b"\x00\x00" + name("add") + b"\x00\x01")
    nop = b"\x00\x0b"                                   # no locals; end
    add = b"\x00\x20\x00\x20\x01\x6a\x0b"               # local.get 0; local.get 1; i32.add; end
    code = section(10, leb(2) + leb(len(nop)) + nop + leb(len(add)) + add)
    return MAGIC_VERSION + types + funcs + exports + code
