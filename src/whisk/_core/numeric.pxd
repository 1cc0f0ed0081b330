# WebAssembly numeric semantics (spec 4.3, "Numerics"), one small inline function per instruction.
#
# Every function takes and returns raw 64-bit slot values (see code.pxd): i32 results are
# zero-extended, floats are IEEE bits. Two shapes, which tools/gen_core.py reads off this file:
#   cdef inline uint64_t NAME(uint64_t a[, uint64_t b]) noexcept nogil      -- cannot trap
#   cdef inline int NAME(uint64_t* r, uint64_t a[, uint64_t b]) noexcept nogil  -- returns a trap
#                                                               code, the result through r
# Loads are `uint64_t NAME(const uint8_t* p)`, stores `void NAME(uint8_t* p, uint64_t v)`.
# NAME is the instruction's mnemonic with '.' replaced by '_'.

from libc.stdint cimport uint8_t, uint16_t, uint32_t, uint64_t, int8_t, int16_t, int32_t, int64_t
from libc.math cimport sqrt, sqrtf
from whisk._core.code cimport TRAP_NONE, TRAP_DIV_ZERO, TRAP_INT_OVERFLOW, TRAP_INVALID_CONVERSION

cdef extern from "portable.h":
    uint32_t whisk_popcnt64(uint64_t x) noexcept nogil
    uint32_t whisk_clz64(uint64_t x) noexcept nogil
    uint32_t whisk_ctz64(uint64_t x) noexcept nogil
    uint32_t whisk_load32(const uint8_t* p) noexcept nogil
    uint64_t whisk_load64(const uint8_t* p) noexcept nogil
    uint16_t whisk_load16(const uint8_t* p) noexcept nogil
    void whisk_store32(uint8_t* p, uint32_t v) noexcept nogil
    void whisk_store64(uint8_t* p, uint64_t v) noexcept nogil
    void whisk_store16(uint8_t* p, uint16_t v) noexcept nogil
    float whisk_f32(uint64_t b) noexcept nogil
    double whisk_f64(uint64_t b) noexcept nogil
    uint64_t whisk_f32_bits(float f) noexcept nogil
    uint64_t whisk_f64_bits(double d) noexcept nogil

cdef extern from "fsem.h":
    uint32_t whisk_f32_min(uint32_t a, uint32_t b) noexcept nogil
    uint32_t whisk_f32_max(uint32_t a, uint32_t b) noexcept nogil
    uint64_t whisk_f64_min(uint64_t a, uint64_t b) noexcept nogil
    uint64_t whisk_f64_max(uint64_t a, uint64_t b) noexcept nogil
    uint32_t whisk_f32_ceil(uint32_t a) noexcept nogil
    uint32_t whisk_f32_floor(uint32_t a) noexcept nogil
    uint32_t whisk_f32_trunc(uint32_t a) noexcept nogil
    uint32_t whisk_f32_nearest(uint32_t a) noexcept nogil
    uint64_t whisk_f64_ceil(uint64_t a) noexcept nogil
    uint64_t whisk_f64_floor(uint64_t a) noexcept nogil
    uint64_t whisk_f64_trunc(uint64_t a) noexcept nogil
    uint64_t whisk_f64_nearest(uint64_t a) noexcept nogil
    uint32_t whisk_sat_s32(double x) noexcept nogil
    uint32_t whisk_sat_u32(double x) noexcept nogil
    uint64_t whisk_sat_s64(double x) noexcept nogil
    uint64_t whisk_sat_u64(double x) noexcept nogil

ctypedef uint64_t u64
ctypedef uint32_t u32

cdef inline u64 b32(bint c) noexcept nogil:
    return 1 if c else 0

# ---- i32 comparisons ----
cdef inline u64 i32_eqz(u64 a) noexcept nogil: return b32(<u32>a == 0)
cdef inline u64 i32_eq(u64 a, u64 b) noexcept nogil: return b32(<u32>a == <u32>b)
cdef inline u64 i32_ne(u64 a, u64 b) noexcept nogil: return b32(<u32>a != <u32>b)
cdef inline u64 i32_lt_s(u64 a, u64 b) noexcept nogil: return b32(<int32_t>a < <int32_t>b)
cdef inline u64 i32_lt_u(u64 a, u64 b) noexcept nogil: return b32(<u32>a < <u32>b)
cdef inline u64 i32_gt_s(u64 a, u64 b) noexcept nogil: return b32(<int32_t>a > <int32_t>b)
cdef inline u64 i32_gt_u(u64 a, u64 b) noexcept nogil: return b32(<u32>a > <u32>b)
cdef inline u64 i32_le_s(u64 a, u64 b) noexcept nogil: return b32(<int32_t>a <= <int32_t>b)
cdef inline u64 i32_le_u(u64 a, u64 b) noexcept nogil: return b32(<u32>a <= <u32>b)
cdef inline u64 i32_ge_s(u64 a, u64 b) noexcept nogil: return b32(<int32_t>a >= <int32_t>b)
cdef inline u64 i32_ge_u(u64 a, u64 b) noexcept nogil: return b32(<u32>a >= <u32>b)

# ---- i64 comparisons ----
cdef inline u64 i64_eqz(u64 a) noexcept nogil: return b32(a == 0)
cdef inline u64 i64_eq(u64 a, u64 b) noexcept nogil: return b32(a == b)
cdef inline u64 i64_ne(u64 a, u64 b) noexcept nogil: return b32(a != b)
cdef inline u64 i64_lt_s(u64 a, u64 b) noexcept nogil: return b32(<int64_t>a < <int64_t>b)
cdef inline u64 i64_lt_u(u64 a, u64 b) noexcept nogil: return b32(a < b)
cdef inline u64 i64_gt_s(u64 a, u64 b) noexcept nogil: return b32(<int64_t>a > <int64_t>b)
cdef inline u64 i64_gt_u(u64 a, u64 b) noexcept nogil: return b32(a > b)
cdef inline u64 i64_le_s(u64 a, u64 b) noexcept nogil: return b32(<int64_t>a <= <int64_t>b)
cdef inline u64 i64_le_u(u64 a, u64 b) noexcept nogil: return b32(a <= b)
cdef inline u64 i64_ge_s(u64 a, u64 b) noexcept nogil: return b32(<int64_t>a >= <int64_t>b)
cdef inline u64 i64_ge_u(u64 a, u64 b) noexcept nogil: return b32(a >= b)

# ---- float comparisons (false on NaN, except ne) ----
cdef inline u64 f32_eq(u64 a, u64 b) noexcept nogil: return b32(whisk_f32(a) == whisk_f32(b))
cdef inline u64 f32_ne(u64 a, u64 b) noexcept nogil: return b32(whisk_f32(a) != whisk_f32(b))
cdef inline u64 f32_lt(u64 a, u64 b) noexcept nogil: return b32(whisk_f32(a) < whisk_f32(b))
cdef inline u64 f32_gt(u64 a, u64 b) noexcept nogil: return b32(whisk_f32(a) > whisk_f32(b))
cdef inline u64 f32_le(u64 a, u64 b) noexcept nogil: return b32(whisk_f32(a) <= whisk_f32(b))
cdef inline u64 f32_ge(u64 a, u64 b) noexcept nogil: return b32(whisk_f32(a) >= whisk_f32(b))
cdef inline u64 f64_eq(u64 a, u64 b) noexcept nogil: return b32(whisk_f64(a) == whisk_f64(b))
cdef inline u64 f64_ne(u64 a, u64 b) noexcept nogil: return b32(whisk_f64(a) != whisk_f64(b))
cdef inline u64 f64_lt(u64 a, u64 b) noexcept nogil: return b32(whisk_f64(a) < whisk_f64(b))
cdef inline u64 f64_gt(u64 a, u64 b) noexcept nogil: return b32(whisk_f64(a) > whisk_f64(b))
cdef inline u64 f64_le(u64 a, u64 b) noexcept nogil: return b32(whisk_f64(a) <= whisk_f64(b))
cdef inline u64 f64_ge(u64 a, u64 b) noexcept nogil: return b32(whisk_f64(a) >= whisk_f64(b))

# ---- i32 arithmetic ----
cdef inline u64 i32_clz(u64 a) noexcept nogil: return whisk_clz64(<u32>a) - 32
cdef inline u64 i32_ctz(u64 a) noexcept nogil: return 32 if <u32>a == 0 else whisk_ctz64(<u32>a)
cdef inline u64 i32_popcnt(u64 a) noexcept nogil: return whisk_popcnt64(<u32>a)
cdef inline u64 i32_add(u64 a, u64 b) noexcept nogil: return <u32>(<u32>a + <u32>b)
cdef inline u64 i32_sub(u64 a, u64 b) noexcept nogil: return <u32>(<u32>a - <u32>b)
cdef inline u64 i32_mul(u64 a, u64 b) noexcept nogil: return <u32>(<u32>a * <u32>b)
cdef inline int i32_div_s(u64* r, u64 a, u64 b) noexcept nogil:
    if <u32>b == 0: return TRAP_DIV_ZERO
    if <u32>a == 0x80000000u and <u32>b == 0xFFFFFFFFu: return TRAP_INT_OVERFLOW
    r[0] = <u32>(<int32_t>a / <int32_t>b)
    return TRAP_NONE
cdef inline int i32_div_u(u64* r, u64 a, u64 b) noexcept nogil:
    if <u32>b == 0: return TRAP_DIV_ZERO
    r[0] = <u32>a / <u32>b
    return TRAP_NONE
cdef inline int i32_rem_s(u64* r, u64 a, u64 b) noexcept nogil:
    if <u32>b == 0: return TRAP_DIV_ZERO
    if <u32>b == 0xFFFFFFFFu:
        r[0] = 0
    else:
        r[0] = <u32>(<int32_t>a % <int32_t>b)
    return TRAP_NONE
cdef inline int i32_rem_u(u64* r, u64 a, u64 b) noexcept nogil:
    if <u32>b == 0: return TRAP_DIV_ZERO
    r[0] = <u32>a % <u32>b
    return TRAP_NONE
cdef inline u64 i32_and(u64 a, u64 b) noexcept nogil: return <u32>(a & b)
cdef inline u64 i32_or(u64 a, u64 b) noexcept nogil: return <u32>(a | b)
cdef inline u64 i32_xor(u64 a, u64 b) noexcept nogil: return <u32>(a ^ b)
cdef inline u64 i32_shl(u64 a, u64 b) noexcept nogil: return <u32>(<u32>a << (b & 31))
cdef inline u64 i32_shr_s(u64 a, u64 b) noexcept nogil: return <u32>(<int32_t>a >> (b & 31))
cdef inline u64 i32_shr_u(u64 a, u64 b) noexcept nogil: return <u32>a >> (b & 31)
cdef inline u64 i32_rotl(u64 a, u64 b) noexcept nogil:
    cdef u32 x = <u32>a
    cdef u32 k = b & 31
    return <u32>((x << k) | (x >> ((32 - k) & 31)))
cdef inline u64 i32_rotr(u64 a, u64 b) noexcept nogil:
    cdef u32 x = <u32>a
    cdef u32 k = b & 31
    return <u32>((x >> k) | (x << ((32 - k) & 31)))

# ---- i64 arithmetic ----
cdef inline u64 i64_clz(u64 a) noexcept nogil: return whisk_clz64(a)
cdef inline u64 i64_ctz(u64 a) noexcept nogil: return whisk_ctz64(a)
cdef inline u64 i64_popcnt(u64 a) noexcept nogil: return whisk_popcnt64(a)
cdef inline u64 i64_add(u64 a, u64 b) noexcept nogil: return a + b
cdef inline u64 i64_sub(u64 a, u64 b) noexcept nogil: return a - b
cdef inline u64 i64_mul(u64 a, u64 b) noexcept nogil: return a * b
cdef inline int i64_div_s(u64* r, u64 a, u64 b) noexcept nogil:
    if b == 0: return TRAP_DIV_ZERO
    if a == 0x8000000000000000u and b == 0xFFFFFFFFFFFFFFFFu: return TRAP_INT_OVERFLOW
    r[0] = <u64>(<int64_t>a / <int64_t>b)
    return TRAP_NONE
cdef inline int i64_div_u(u64* r, u64 a, u64 b) noexcept nogil:
    if b == 0: return TRAP_DIV_ZERO
    r[0] = a / b
    return TRAP_NONE
cdef inline int i64_rem_s(u64* r, u64 a, u64 b) noexcept nogil:
    if b == 0: return TRAP_DIV_ZERO
    if b == 0xFFFFFFFFFFFFFFFFu:
        r[0] = 0
    else:
        r[0] = <u64>(<int64_t>a % <int64_t>b)
    return TRAP_NONE
cdef inline int i64_rem_u(u64* r, u64 a, u64 b) noexcept nogil:
    if b == 0: return TRAP_DIV_ZERO
    r[0] = a % b
    return TRAP_NONE
cdef inline u64 i64_and(u64 a, u64 b) noexcept nogil: return a & b
cdef inline u64 i64_or(u64 a, u64 b) noexcept nogil: return a | b
cdef inline u64 i64_xor(u64 a, u64 b) noexcept nogil: return a ^ b
cdef inline u64 i64_shl(u64 a, u64 b) noexcept nogil: return a << (b & 63)
cdef inline u64 i64_shr_s(u64 a, u64 b) noexcept nogil: return <u64>(<int64_t>a >> (b & 63))
cdef inline u64 i64_shr_u(u64 a, u64 b) noexcept nogil: return a >> (b & 63)
cdef inline u64 i64_rotl(u64 a, u64 b) noexcept nogil:
    cdef u64 k = b & 63
    return (a << k) | (a >> ((64 - k) & 63))
cdef inline u64 i64_rotr(u64 a, u64 b) noexcept nogil:
    cdef u64 k = b & 63
    return (a >> k) | (a << ((64 - k) & 63))

# ---- float arithmetic (spec 4.3.3) ----
# abs, neg and copysign act on the sign bit only, so NaN payloads pass through unchanged.
cdef inline u64 f32_abs(u64 a) noexcept nogil: return <u32>a & 0x7FFFFFFFu
cdef inline u64 f32_neg(u64 a) noexcept nogil: return (<u32>a) ^ 0x80000000u
cdef inline u64 f32_copysign(u64 a, u64 b) noexcept nogil:
    return (<u32>a & 0x7FFFFFFFu) | (<u32>b & 0x80000000u)
# min/max and rounding follow the wasm rules in fsem.h (NaN handling, signed zeros).
cdef inline u64 f32_ceil(u64 a) noexcept nogil: return whisk_f32_ceil(<u32>a)
cdef inline u64 f32_floor(u64 a) noexcept nogil: return whisk_f32_floor(<u32>a)
cdef inline u64 f32_trunc(u64 a) noexcept nogil: return whisk_f32_trunc(<u32>a)
cdef inline u64 f32_nearest(u64 a) noexcept nogil: return whisk_f32_nearest(<u32>a)
cdef inline u64 f32_sqrt(u64 a) noexcept nogil: return whisk_f32_bits(sqrtf(whisk_f32(a)))
cdef inline u64 f32_add(u64 a, u64 b) noexcept nogil: return whisk_f32_bits(whisk_f32(a) + whisk_f32(b))
cdef inline u64 f32_sub(u64 a, u64 b) noexcept nogil: return whisk_f32_bits(whisk_f32(a) - whisk_f32(b))
cdef inline u64 f32_mul(u64 a, u64 b) noexcept nogil: return whisk_f32_bits(whisk_f32(a) * whisk_f32(b))
cdef inline u64 f32_div(u64 a, u64 b) noexcept nogil: return whisk_f32_bits(whisk_f32(a) / whisk_f32(b))
cdef inline u64 f32_min(u64 a, u64 b) noexcept nogil: return whisk_f32_min(<u32>a, <u32>b)
cdef inline u64 f32_max(u64 a, u64 b) noexcept nogil: return whisk_f32_max(<u32>a, <u32>b)

cdef inline u64 f64_abs(u64 a) noexcept nogil: return a & 0x7FFFFFFFFFFFFFFFu
cdef inline u64 f64_neg(u64 a) noexcept nogil: return a ^ 0x8000000000000000u
cdef inline u64 f64_copysign(u64 a, u64 b) noexcept nogil:
    return (a & 0x7FFFFFFFFFFFFFFFu) | (b & 0x8000000000000000u)
cdef inline u64 f64_ceil(u64 a) noexcept nogil: return whisk_f64_ceil(a)
cdef inline u64 f64_floor(u64 a) noexcept nogil: return whisk_f64_floor(a)
cdef inline u64 f64_trunc(u64 a) noexcept nogil: return whisk_f64_trunc(a)
cdef inline u64 f64_nearest(u64 a) noexcept nogil: return whisk_f64_nearest(a)
cdef inline u64 f64_sqrt(u64 a) noexcept nogil: return whisk_f64_bits(sqrt(whisk_f64(a)))
cdef inline u64 f64_add(u64 a, u64 b) noexcept nogil: return whisk_f64_bits(whisk_f64(a) + whisk_f64(b))
cdef inline u64 f64_sub(u64 a, u64 b) noexcept nogil: return whisk_f64_bits(whisk_f64(a) - whisk_f64(b))
cdef inline u64 f64_mul(u64 a, u64 b) noexcept nogil: return whisk_f64_bits(whisk_f64(a) * whisk_f64(b))
cdef inline u64 f64_div(u64 a, u64 b) noexcept nogil: return whisk_f64_bits(whisk_f64(a) / whisk_f64(b))
cdef inline u64 f64_min(u64 a, u64 b) noexcept nogil: return whisk_f64_min(a, b)
cdef inline u64 f64_max(u64 a, u64 b) noexcept nogil: return whisk_f64_max(a, b)

# ---- conversions (spec 4.3.4) ----
cdef inline u64 i32_wrap_i64(u64 a) noexcept nogil: return <u32>a
cdef inline u64 i64_extend_i32_s(u64 a) noexcept nogil: return <u64><int64_t><int32_t>a
cdef inline u64 i64_extend_i32_u(u64 a) noexcept nogil: return <u32>a
cdef inline u64 i32_extend8_s(u64 a) noexcept nogil: return <u32><int32_t><int8_t>a
cdef inline u64 i32_extend16_s(u64 a) noexcept nogil: return <u32><int32_t><int16_t>a
cdef inline u64 i64_extend8_s(u64 a) noexcept nogil: return <u64><int64_t><int8_t>a
cdef inline u64 i64_extend16_s(u64 a) noexcept nogil: return <u64><int64_t><int16_t>a
cdef inline u64 i64_extend32_s(u64 a) noexcept nogil: return <u64><int64_t><int32_t>a

# Trapping truncation: NaN is an invalid conversion, out of range an integer overflow. The range
# tests are done in double, where every bound below is exact.
cdef inline int trunc_check(double x, double lo, double hi) noexcept nogil:
    # valid when lo < x < hi
    if x != x: return TRAP_INVALID_CONVERSION
    if not (x > lo and x < hi): return TRAP_INT_OVERFLOW
    return TRAP_NONE
cdef inline int i32_trunc_f32_s(u64* r, u64 a) noexcept nogil:
    cdef double x = whisk_f32(a)
    cdef int t = trunc_check(x, -2147483649.0, 2147483648.0)
    if t == TRAP_NONE: r[0] = <u32><int32_t>x
    return t
cdef inline int i32_trunc_f32_u(u64* r, u64 a) noexcept nogil:
    cdef double x = whisk_f32(a)
    cdef int t = trunc_check(x, -1.0, 4294967296.0)
    if t == TRAP_NONE: r[0] = <u32>x
    return t
cdef inline int i32_trunc_f64_s(u64* r, u64 a) noexcept nogil:
    cdef double x = whisk_f64(a)
    cdef int t = trunc_check(x, -2147483649.0, 2147483648.0)
    if t == TRAP_NONE: r[0] = <u32><int32_t>x
    return t
cdef inline int i32_trunc_f64_u(u64* r, u64 a) noexcept nogil:
    cdef double x = whisk_f64(a)
    cdef int t = trunc_check(x, -1.0, 4294967296.0)
    if t == TRAP_NONE: r[0] = <u32>x
    return t
cdef inline int i64_trunc_f32_s(u64* r, u64 a) noexcept nogil:
    cdef double x = whisk_f32(a)
    if x != x: return TRAP_INVALID_CONVERSION
    if not (x >= -9223372036854775808.0 and x < 9223372036854775808.0): return TRAP_INT_OVERFLOW
    r[0] = <u64><int64_t>x
    return TRAP_NONE
cdef inline int i64_trunc_f32_u(u64* r, u64 a) noexcept nogil:
    cdef double x = whisk_f32(a)
    cdef int t = trunc_check(x, -1.0, 18446744073709551616.0)
    if t == TRAP_NONE: r[0] = <u64>x
    return t
cdef inline int i64_trunc_f64_s(u64* r, u64 a) noexcept nogil:
    cdef double x = whisk_f64(a)
    if x != x: return TRAP_INVALID_CONVERSION
    if not (x >= -9223372036854775808.0 and x < 9223372036854775808.0): return TRAP_INT_OVERFLOW
    r[0] = <u64><int64_t>x
    return TRAP_NONE
cdef inline int i64_trunc_f64_u(u64* r, u64 a) noexcept nogil:
    cdef double x = whisk_f64(a)
    cdef int t = trunc_check(x, -1.0, 18446744073709551616.0)
    if t == TRAP_NONE: r[0] = <u64>x
    return t

# Saturating truncation (spec 4.3.4, trunc_sat): the rules are in fsem.h.
cdef inline u64 i32_trunc_sat_f32_s(u64 a) noexcept nogil: return whisk_sat_s32(whisk_f32(a))
cdef inline u64 i32_trunc_sat_f32_u(u64 a) noexcept nogil: return whisk_sat_u32(whisk_f32(a))
cdef inline u64 i32_trunc_sat_f64_s(u64 a) noexcept nogil: return whisk_sat_s32(whisk_f64(a))
cdef inline u64 i32_trunc_sat_f64_u(u64 a) noexcept nogil: return whisk_sat_u32(whisk_f64(a))
cdef inline u64 i64_trunc_sat_f32_s(u64 a) noexcept nogil: return whisk_sat_s64(whisk_f32(a))
cdef inline u64 i64_trunc_sat_f32_u(u64 a) noexcept nogil: return whisk_sat_u64(whisk_f32(a))
cdef inline u64 i64_trunc_sat_f64_s(u64 a) noexcept nogil: return whisk_sat_s64(whisk_f64(a))
cdef inline u64 i64_trunc_sat_f64_u(u64 a) noexcept nogil: return whisk_sat_u64(whisk_f64(a))

cdef inline u64 f32_convert_i32_s(u64 a) noexcept nogil: return whisk_f32_bits(<float><int32_t>a)
cdef inline u64 f32_convert_i32_u(u64 a) noexcept nogil: return whisk_f32_bits(<float><u32>a)
cdef inline u64 f32_convert_i64_s(u64 a) noexcept nogil: return whisk_f32_bits(<float><int64_t>a)
cdef inline u64 f32_convert_i64_u(u64 a) noexcept nogil: return whisk_f32_bits(<float>a)
cdef inline u64 f32_demote_f64(u64 a) noexcept nogil: return whisk_f32_bits(<float>whisk_f64(a))
cdef inline u64 f64_convert_i32_s(u64 a) noexcept nogil: return whisk_f64_bits(<double><int32_t>a)
cdef inline u64 f64_convert_i32_u(u64 a) noexcept nogil: return whisk_f64_bits(<double><u32>a)
cdef inline u64 f64_convert_i64_s(u64 a) noexcept nogil: return whisk_f64_bits(<double><int64_t>a)
cdef inline u64 f64_convert_i64_u(u64 a) noexcept nogil: return whisk_f64_bits(<double>a)
cdef inline u64 f64_promote_f32(u64 a) noexcept nogil: return whisk_f64_bits(<double>whisk_f32(a))
cdef inline u64 i32_reinterpret_f32(u64 a) noexcept nogil: return <u32>a
cdef inline u64 i64_reinterpret_f64(u64 a) noexcept nogil: return a
cdef inline u64 f32_reinterpret_i32(u64 a) noexcept nogil: return <u32>a
cdef inline u64 f64_reinterpret_i64(u64 a) noexcept nogil: return a

# ---- loads and stores (little-endian; spec 4.4.7) ----
cdef inline u64 i32_load(const uint8_t* p) noexcept nogil: return whisk_load32(p)
cdef inline u64 i64_load(const uint8_t* p) noexcept nogil: return whisk_load64(p)
cdef inline u64 f32_load(const uint8_t* p) noexcept nogil: return whisk_load32(p)
cdef inline u64 f64_load(const uint8_t* p) noexcept nogil: return whisk_load64(p)
cdef inline u64 i32_load8_s(const uint8_t* p) noexcept nogil: return <u32><int32_t>(<int8_t>p[0])
cdef inline u64 i32_load8_u(const uint8_t* p) noexcept nogil: return p[0]
cdef inline u64 i32_load16_s(const uint8_t* p) noexcept nogil: return <u32><int32_t><int16_t>whisk_load16(p)
cdef inline u64 i32_load16_u(const uint8_t* p) noexcept nogil: return whisk_load16(p)
cdef inline u64 i64_load8_s(const uint8_t* p) noexcept nogil: return <u64><int64_t>(<int8_t>p[0])
cdef inline u64 i64_load8_u(const uint8_t* p) noexcept nogil: return p[0]
cdef inline u64 i64_load16_s(const uint8_t* p) noexcept nogil: return <u64><int64_t><int16_t>whisk_load16(p)
cdef inline u64 i64_load16_u(const uint8_t* p) noexcept nogil: return whisk_load16(p)
cdef inline u64 i64_load32_s(const uint8_t* p) noexcept nogil: return <u64><int64_t><int32_t>whisk_load32(p)
cdef inline u64 i64_load32_u(const uint8_t* p) noexcept nogil: return whisk_load32(p)
cdef inline void i32_store(uint8_t* p, u64 v) noexcept nogil: whisk_store32(p, <u32>v)
cdef inline void i64_store(uint8_t* p, u64 v) noexcept nogil: whisk_store64(p, v)
cdef inline void f32_store(uint8_t* p, u64 v) noexcept nogil: whisk_store32(p, <u32>v)
cdef inline void f64_store(uint8_t* p, u64 v) noexcept nogil: whisk_store64(p, v)
cdef inline void i32_store8(uint8_t* p, u64 v) noexcept nogil: p[0] = <uint8_t>v
cdef inline void i32_store16(uint8_t* p, u64 v) noexcept nogil: whisk_store16(p, <uint16_t>v)
cdef inline void i64_store8(uint8_t* p, u64 v) noexcept nogil: p[0] = <uint8_t>v
cdef inline void i64_store16(uint8_t* p, u64 v) noexcept nogil: whisk_store16(p, <uint16_t>v)
cdef inline void i64_store32(uint8_t* p, u64 v) noexcept nogil: whisk_store32(p, <u32>v)
