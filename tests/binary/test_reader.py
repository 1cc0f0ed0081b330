"""Tests of whisk.binary.reader.Reader (spec 5.1, 5.2): bytes, LEB128 integers, floats, names."""

from __future__ import annotations

import struct

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from leb128 import sleb, uleb
from whisk.binary.reader import EOF_MESSAGE, Reader
from whisk.errors import DecodeError


def err(fn, data: bytes) -> DecodeError:
    with pytest.raises(DecodeError) as info:
        fn(Reader(data))
    return info.value


# --- bytes -----------------------------------------------------------------------------------


def test_byte_and_bytes_advance_position():
    r = Reader(b"\x01\x02\x03\x04")
    assert r.byte() == 1
    assert r.pos == 1
    assert r.bytes(2) == b"\x02\x03"
    assert r.pos == 3
    assert r.peek() == 4
    assert r.remaining() == 1
    assert not r.at_end()
    assert r.byte() == 4
    assert r.at_end()
    assert r.peek() is None


def test_reads_past_end_are_decode_errors():
    r = Reader(b"\x01")
    r.byte()
    with pytest.raises(DecodeError) as info:
        r.byte()
    assert info.value.message == EOF_MESSAGE
    assert info.value.offset == 1
    with pytest.raises(DecodeError):
        Reader(b"ab").bytes(3)
    with pytest.raises(DecodeError):
        Reader(b"ab").bytes(-1)


def test_end_limit_is_respected():
    r = Reader(b"\x01\x02\x03", pos=1, end=2)
    assert r.byte() == 2
    with pytest.raises(DecodeError) as info:
        r.byte()
    assert info.value.message.startswith("unexpected end")
    assert info.value.offset == 2


def test_accepts_bytearray_and_memoryview():
    assert Reader(bytearray(b"\x05")).u32() == 5
    assert Reader(memoryview(b"\x85\x01")).u32() == 133


# --- unsigned LEB128 (spec 5.2.2) -------------------------------------------------------------


@pytest.mark.parametrize("data, value", [
    (b"\x00", 0),
    (b"\x7f", 127),
    (b"\x80\x01", 128),
    (b"\xe5\x8e\x26", 624485),
    (b"\xff\xff\xff\xff\x0f", 0xFFFF_FFFF),
    (b"\x80\x80\x80\x80\x00", 0),          # padded to the maximum 5 bytes: valid
    (b"\x82\x80\x80\x80\x00", 2),
    (b"\x80\x00", 0),
])
def test_u32_values(data, value):
    r = Reader(data)
    assert r.u32() == value
    assert r.at_end()


@pytest.mark.parametrize("data, message, offset", [
    (b"\x80\x80\x80\x80\x80\x00", "integer representation too long", 5),
    (b"\x82\x80\x80\x80\x80\x00", "integer representation too long", 5),
    (b"\xff\xff\xff\xff\x1f", "integer too large", 4),
    (b"\x82\x80\x80\x80\x70", "integer too large", 4),
    (b"\x82\x80\x80\x80\x10", "integer too large", 4),
    (b"\x80\x80\x80\x80\x40", "integer too large", 4),
    (b"\x80", EOF_MESSAGE, 1),
    (b"", EOF_MESSAGE, 0),
])
def test_u32_malformed(data, message, offset):
    e = err(Reader.u32, data)
    assert e.message == message
    assert e.offset == offset


def test_u64():
    assert Reader(b"\xff" * 9 + b"\x01").u64() == 2**64 - 1
    assert err(Reader.u64, b"\xff" * 9 + b"\x02").message == "integer too large"
    assert err(Reader.u64, b"\x80" * 10 + b"\x00").message == "integer representation too long"


def test_u1_like_limits_flag():
    # The limits flag is read as a 1-bit LEB128 by the reference interpreter.
    assert Reader(b"\x00").uleb(1) == 0
    assert Reader(b"\x01").uleb(1) == 1
    assert err(lambda r: r.uleb(1), b"\x02").message == "integer too large"
    assert err(lambda r: r.uleb(1), b"\x81\x00").message == "integer representation too long"


# --- signed LEB128 (spec 5.2.2) ---------------------------------------------------------------


@pytest.mark.parametrize("data, value", [
    (b"\x00", 0),
    (b"\x7f", -1),
    (b"\x3f", 63),
    (b"\xc0\x00", 64),
    (b"\x40", -64),
    (b"\x80\x7f", -128),
    (b"\xff\xff\xff\xff\x07", 2**31 - 1),
    (b"\x80\x80\x80\x80\x78", -(2**31)),
    (b"\xff\xff\xff\xff\x7f", -1),          # padded -1
    (b"\x80\x80\x80\x80\x00", 0),           # padded 0
])
def test_s32_values(data, value):
    r = Reader(data)
    assert r.s32() == value
    assert r.at_end()


@pytest.mark.parametrize("data, message", [
    (b"\xff\xff\xff\xff\x0f", "integer too large"),      # 2**32-1 is not an s32
    (b"\x80\x80\x80\x80\x70", "integer too large"),      # not a proper sign extension
    (b"\x80\x80\x80\x80\x08", "integer too large"),      # 2**31
    (b"\xff\xff\xff\xff\x4f", "integer too large"),
    (b"\x80\x80\x80\x80\x80\x00", "integer representation too long"),
    (b"\xff\xff\xff\xff\xff\x7f", "integer representation too long"),
])
def test_s32_malformed(data, message):
    assert err(Reader.s32, data).message == message


def test_s33_and_s64():
    assert Reader(b"\xff\xff\xff\xff\x0f").s33() == 2**32 - 1
    assert Reader(b"\x80\x80\x80\x80\x70").s33() == -(2**32)
    assert err(Reader.s33, b"\x80\x80\x80\x80\x20").message == "integer too large"
    assert Reader(b"\xff" * 9 + b"\x00").s64() == 2**63 - 1
    assert Reader(b"\x80" * 9 + b"\x7f").s64() == -(2**63)
    assert err(Reader.s64, b"\xff" * 9 + b"\x01").message == "integer too large"
    assert err(Reader.s64, b"\x80" * 9 + b"\x7e").message == "integer too large"
    assert err(Reader.s64, b"\x80" * 10 + b"\x00").message == "integer representation too long"


# --- floats (spec 5.2.3) ----------------------------------------------------------------------


def test_floats_are_raw_bits():
    assert Reader(struct.pack("<f", 1.5)).f32() == 0x3FC00000
    assert Reader(struct.pack("<d", -2.0)).f64() == 0xC000000000000000
    nan = b"\x01\x00\xc0\x7f"  # a NaN with a payload: bits must be kept exactly
    assert Reader(nan).f32() == 0x7FC00001
    assert err(Reader.f32, b"\x00\x00\x00").message == EOF_MESSAGE
    assert err(Reader.f64, b"\x00" * 7).message == EOF_MESSAGE


# --- lengths, vectors, names (spec 5.1.3, 5.2.4) ----------------------------------------------


def test_vec():
    r = Reader(b"\x03\x01\x02\x03\x09")
    assert r.vec(r.u32) == [1, 2, 3]
    assert r.byte() == 9


def test_len32_out_of_bounds_counts_from_the_length_itself():
    # Like the reference interpreter: the bound is the bytes left from the start of the length.
    assert Reader(b"\x02\x00").len32() == 2
    e = err(Reader.len32, b"\x03\x00")
    assert (e.message, e.offset) == ("length out of bounds", 0)


def test_names():
    assert Reader(b"\x05hello").name() == "hello"
    assert Reader(b"\x00").name() == ""
    assert Reader(b"\x03\xe2\x8c\xa3").name() == "\u2323"
    assert Reader(b"\x04\xf0\x9f\x98\x80").name() == "\U0001F600"


@pytest.mark.parametrize("raw", [
    b"\x80",                  # lone continuation byte
    b"\xc0\x80",              # overlong encoding of U+0000
    b"\xe0\x80\x80",          # overlong
    b"\xed\xa0\x80",          # surrogate U+D800
    b"\xf4\x90\x80\x80",      # above U+10FFFF
    b"\xf8\x88\x80\x80\x80",  # 5-byte form
    b"\xe2\x8c",              # truncated sequence
    b"\xff",
])
def test_malformed_utf8(raw):
    e = err(Reader.name, bytes([len(raw)]) + raw)
    assert e.message == "malformed UTF-8 encoding"
    assert e.offset == 0


def test_name_length_errors():
    assert err(Reader.name, b"\x05abc").message == "length out of bounds"
    r = Reader(b"\x03ab", end=3)
    with pytest.raises(DecodeError) as info:
        r.name()
    assert info.value.message.startswith("unexpected end")


# --- property tests ---------------------------------------------------------------------------


@given(st.integers(0, 2**32 - 1), st.integers(0, 5))
def test_u32_roundtrip(n, pad):
    data = uleb(n, pad) + b"\xaa"
    r = Reader(data)
    assert r.u32() == n
    assert r.byte() == 0xAA


@given(st.integers(0, 2**64 - 1), st.integers(0, 10))
def test_u64_roundtrip(n, pad):
    r = Reader(uleb(n, pad))
    assert r.u64() == n
    assert r.at_end()


@given(st.integers(-(2**31), 2**31 - 1), st.integers(0, 5))
def test_s32_roundtrip(n, pad):
    r = Reader(sleb(n, pad))
    assert r.s32() == n
    assert r.at_end()


@given(st.integers(-(2**32), 2**32 - 1), st.integers(0, 5))
def test_s33_roundtrip(n, pad):
    assert Reader(sleb(n, pad)).s33() == n


@given(st.integers(-(2**63), 2**63 - 1), st.integers(0, 10))
def test_s64_roundtrip(n, pad):
    r = Reader(sleb(n, pad))
    assert r.s64() == n
    assert r.at_end()


@given(st.integers(2**32, 2**40))
def test_u32_out_of_range_rejected(n):
    with pytest.raises(DecodeError) as info:
        Reader(uleb(n)).u32()
    assert info.value.message in ("integer too large", "integer representation too long")


@given(st.one_of(st.integers(2**31, 2**36), st.integers(-(2**36), -(2**31) - 1)))
def test_s32_out_of_range_rejected(n):
    with pytest.raises(DecodeError) as info:
        Reader(sleb(n)).s32()
    assert info.value.message in ("integer too large", "integer representation too long")


@given(st.integers(1, 5))
def test_overlong_u32_rejected(extra):
    with pytest.raises(DecodeError) as info:
        Reader(b"\x80" * (4 + extra) + b"\x00").u32()
    assert info.value.message == "integer representation too long"


@settings(max_examples=300)
@given(st.binary(max_size=16))
def test_arbitrary_bytes_only_decode_errors(data):
    for method in (Reader.u32, Reader.s32, Reader.s33, Reader.s64, Reader.u64, Reader.name,
                   Reader.f32, Reader.f64, Reader.len32):
        try:
            method(Reader(data))
        except DecodeError as e:
            assert e.offset is not None
