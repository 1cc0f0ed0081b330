/* The 236 fixed-width SIMD instructions (spec 4.4.3 "Vector Instructions", 4.3 numerics lane-wise)
 * and the 20 relaxed SIMD instructions of WebAssembly 3.0 (at the end),
 * one function per instruction, named after the mnemonic with '.' -> '_'.
 *
 * A v128 lives in two consecutive 64-bit stack slots (low half first), so it is passed as
 * `const uint64_t*` and a v128 result is written through `uint64_t* r`, which may alias an operand:
 * every function reads its operands into locals before it writes r. Scalar operands and results are
 * raw 64-bit slot values as in numeric.pxd. Lane i of a vector is bytes [i*w, (i+1)*w) of its 16
 * bytes, little-endian (spec 4.2.x "vectors"): whisk's hosts are little-endian, as its scalar loads
 * already assume. The shapes of the functions (which tools/gen_core.py declares to Cython) follow
 * the opcode table: an optional `uint64_t* r` (v128 result) or a `uint64_t` return (scalar
 * result); for memory accesses a pointer to the effective address first; the operands (v128 by
 * pointer, scalars by value) except the address; then `uint32_t lane`, or `const uint32_t* imm`
 * for the 16 immediate bytes of v128.const and i8x16.shuffle.
 *
 * Portable C99 (MSVC, GCC, Clang); loops over lanes are plain so compilers may vectorise them.
 * Arithmetic wraps on unsigned lane types to avoid signed overflow; float rules shared with the
 * scalar instructions come from fsem.h.
 */
#ifndef WHISK_SIMD_H
#define WHISK_SIMD_H
#include <stdint.h>
#include <string.h>
#include <math.h>
#include "portable.h"
#include "fsem.h"

typedef union {
    uint8_t u8[16]; int8_t i8[16]; uint16_t u16[8]; int16_t i16[8];
    uint32_t u32[4]; int32_t i32[4]; uint64_t u64[2]; int64_t i64[2];
    float f32[4]; double f64[2];
} whisk_v128;

#define V_IN(v, p) whisk_v128 v; memcpy(&v, (p), 16)
#define V_OUT(r, v) memcpy((r), &(v), 16)

/* Lane-wise unary: o.FO[i] = EXPR over x = a.FI[i]. */
#define V_UN(NAME, FI, FO, N, EXPR) \
    static inline void NAME(uint64_t* r, const uint64_t* pa) { \
        V_IN(a, pa); whisk_v128 o; int i; \
        for (i = 0; i < N; i++) { const whisk_lane_##FI x = a.FI[i]; o.FO[i] = (EXPR); } \
        V_OUT(r, o); }
/* Lane-wise binary: o.FO[i] = EXPR over x = a.FI[i], y = b.FI[i]. */
#define V_BIN(NAME, FI, FO, N, EXPR) \
    static inline void NAME(uint64_t* r, const uint64_t* pa, const uint64_t* pb) { \
        V_IN(a, pa); V_IN(b, pb); whisk_v128 o; int i; \
        for (i = 0; i < N; i++) { const whisk_lane_##FI x = a.FI[i], y = b.FI[i]; o.FO[i] = (EXPR); } \
        V_OUT(r, o); }
/* Shift by a scalar count taken modulo the lane width. */
#define V_SHIFT(NAME, F, N, BITS, OP) \
    static inline void NAME(uint64_t* r, const uint64_t* pa, uint64_t s) { \
        V_IN(a, pa); int i; const unsigned k = (unsigned)(s & (BITS - 1)); \
        for (i = 0; i < N; i++) { a.F[i] = a.F[i] OP k; } \
        V_OUT(r, a); }

/* The C type of each union field, for the lane variables of the macros above. */
typedef uint8_t whisk_lane_u8;   typedef int8_t whisk_lane_i8;
typedef uint16_t whisk_lane_u16; typedef int16_t whisk_lane_i16;
typedef uint32_t whisk_lane_u32; typedef int32_t whisk_lane_i32;
typedef uint64_t whisk_lane_u64; typedef int64_t whisk_lane_i64;
typedef float whisk_lane_f32;    typedef double whisk_lane_f64;

#define MASK(c, T) ((c) ? (T)~(T)0 : (T)0)
#define SAT(v, lo, hi) ((v) < (lo) ? (lo) : (v) > (hi) ? (hi) : (v))

/* ---- constants, shuffles, splats and lanes ---- */
static inline void v128_const(uint64_t* r, const uint32_t* imm) { memcpy(r, imm, 16); }

static inline void i8x16_shuffle(uint64_t* r, const uint64_t* pa, const uint64_t* pb, const uint32_t* imm) {
    V_IN(a, pa); V_IN(b, pb); whisk_v128 o; uint8_t lanes[16]; int i;
    memcpy(lanes, imm, 16);
    for (i = 0; i < 16; i++) { o.u8[i] = lanes[i] < 16 ? a.u8[lanes[i]] : b.u8[lanes[i] & 15]; }
    V_OUT(r, o);
}
static inline void i8x16_swizzle(uint64_t* r, const uint64_t* pa, const uint64_t* pb) {
    V_IN(a, pa); V_IN(b, pb); whisk_v128 o; int i;
    for (i = 0; i < 16; i++) { o.u8[i] = b.u8[i] < 16 ? a.u8[b.u8[i]] : 0; }
    V_OUT(r, o);
}

#define V_SPLAT(NAME, F, N, T) \
    static inline void NAME(uint64_t* r, uint64_t x) { whisk_v128 o; int i; \
        for (i = 0; i < N; i++) { o.F[i] = (T)x; } V_OUT(r, o); }
V_SPLAT(i8x16_splat, u8, 16, uint8_t)
V_SPLAT(i16x8_splat, u16, 8, uint16_t)
V_SPLAT(i32x4_splat, u32, 4, uint32_t)
V_SPLAT(i64x2_splat, u64, 2, uint64_t)
V_SPLAT(f32x4_splat, u32, 4, uint32_t)
V_SPLAT(f64x2_splat, u64, 2, uint64_t)

#define V_EXTRACT(NAME, EXPR) \
    static inline uint64_t NAME(const uint64_t* pa, uint32_t lane) { V_IN(a, pa); return (EXPR); }
V_EXTRACT(i8x16_extract_lane_s, (uint32_t)(int32_t)a.i8[lane])
V_EXTRACT(i8x16_extract_lane_u, a.u8[lane])
V_EXTRACT(i16x8_extract_lane_s, (uint32_t)(int32_t)a.i16[lane])
V_EXTRACT(i16x8_extract_lane_u, a.u16[lane])
V_EXTRACT(i32x4_extract_lane, a.u32[lane])
V_EXTRACT(i64x2_extract_lane, a.u64[lane])
V_EXTRACT(f32x4_extract_lane, a.u32[lane])
V_EXTRACT(f64x2_extract_lane, a.u64[lane])

#define V_REPLACE(NAME, F, T) \
    static inline void NAME(uint64_t* r, const uint64_t* pa, uint64_t x, uint32_t lane) { \
        V_IN(a, pa); a.F[lane] = (T)x; V_OUT(r, a); }
V_REPLACE(i8x16_replace_lane, u8, uint8_t)
V_REPLACE(i16x8_replace_lane, u16, uint16_t)
V_REPLACE(i32x4_replace_lane, u32, uint32_t)
V_REPLACE(i64x2_replace_lane, u64, uint64_t)
V_REPLACE(f32x4_replace_lane, u32, uint32_t)
V_REPLACE(f64x2_replace_lane, u64, uint64_t)

/* ---- loads and stores (p is the effective address, already bounds-checked) ---- */
static inline void v128_load(uint64_t* r, const uint8_t* p) { memcpy(r, p, 16); }
static inline void v128_store(uint8_t* p, const uint64_t* pa) { memcpy(p, pa, 16); }

#define V_LOAD_EXT(NAME, T, FO, N) \
    static inline void NAME(uint64_t* r, const uint8_t* p) { T in[N]; whisk_v128 o; int i; \
        memcpy(in, p, sizeof in); for (i = 0; i < N; i++) { o.FO[i] = in[i]; } V_OUT(r, o); }
V_LOAD_EXT(v128_load8x8_s, int8_t, i16, 8)
V_LOAD_EXT(v128_load8x8_u, uint8_t, u16, 8)
V_LOAD_EXT(v128_load16x4_s, int16_t, i32, 4)
V_LOAD_EXT(v128_load16x4_u, uint16_t, u32, 4)
V_LOAD_EXT(v128_load32x2_s, int32_t, i64, 2)
V_LOAD_EXT(v128_load32x2_u, uint32_t, u64, 2)

#define V_LOAD_SPLAT(NAME, T, F, N) \
    static inline void NAME(uint64_t* r, const uint8_t* p) { T v; whisk_v128 o; int i; \
        memcpy(&v, p, sizeof v); for (i = 0; i < N; i++) { o.F[i] = v; } V_OUT(r, o); }
V_LOAD_SPLAT(v128_load8_splat, uint8_t, u8, 16)
V_LOAD_SPLAT(v128_load16_splat, uint16_t, u16, 8)
V_LOAD_SPLAT(v128_load32_splat, uint32_t, u32, 4)
V_LOAD_SPLAT(v128_load64_splat, uint64_t, u64, 2)

#define V_LOAD_ZERO(NAME, W) \
    static inline void NAME(uint64_t* r, const uint8_t* p) { whisk_v128 o; \
        memset(&o, 0, 16); memcpy(&o, p, W); V_OUT(r, o); }
V_LOAD_ZERO(v128_load32_zero, 4)
V_LOAD_ZERO(v128_load64_zero, 8)

#define V_LANE_MEM(LOAD, STORE, W) \
    static inline void LOAD(uint64_t* r, const uint8_t* p, const uint64_t* pa, uint32_t lane) { \
        V_IN(a, pa); memcpy(&a.u8[lane * W], p, W); V_OUT(r, a); } \
    static inline void STORE(uint8_t* p, const uint64_t* pa, uint32_t lane) { \
        V_IN(a, pa); memcpy(p, &a.u8[lane * W], W); }
V_LANE_MEM(v128_load8_lane, v128_store8_lane, 1)
V_LANE_MEM(v128_load16_lane, v128_store16_lane, 2)
V_LANE_MEM(v128_load32_lane, v128_store32_lane, 4)
V_LANE_MEM(v128_load64_lane, v128_store64_lane, 8)

/* ---- bitwise (spec 4.4.3.1) ---- */
V_UN(v128_not, u64, u64, 2, ~x)
V_BIN(v128_and, u64, u64, 2, x & y)
V_BIN(v128_andnot, u64, u64, 2, x & ~y)
V_BIN(v128_or, u64, u64, 2, x | y)
V_BIN(v128_xor, u64, u64, 2, x ^ y)
static inline void v128_bitselect(uint64_t* r, const uint64_t* pa, const uint64_t* pb, const uint64_t* pc) {
    V_IN(a, pa); V_IN(b, pb); V_IN(c, pc); int i;
    for (i = 0; i < 2; i++) { a.u64[i] = (a.u64[i] & c.u64[i]) | (b.u64[i] & ~c.u64[i]); }
    V_OUT(r, a);
}
static inline uint64_t v128_any_true(const uint64_t* pa) { return (pa[0] | pa[1]) != 0; }

/* ---- tests: all_true and bitmask ---- */
#define V_TESTS(SHAPE, FS, N) \
    static inline uint64_t SHAPE##_all_true(const uint64_t* pa) { V_IN(a, pa); int i; \
        for (i = 0; i < N; i++) { if (a.FS[i] == 0) return 0; } return 1; } \
    static inline uint64_t SHAPE##_bitmask(const uint64_t* pa) { V_IN(a, pa); int i; uint32_t m = 0; \
        for (i = 0; i < N; i++) { m |= (uint32_t)(a.FS[i] < 0) << i; } return m; }
V_TESTS(i8x16, i8, 16)
V_TESTS(i16x8, i16, 8)
V_TESTS(i32x4, i32, 4)
V_TESTS(i64x2, i64, 2)

/* ---- integer comparisons: all ones where true ---- */
#define V_ICMP(SHAPE, FS, FU, N) \
    V_BIN(SHAPE##_eq, FU, FU, N, MASK(x == y, whisk_lane_##FU)) \
    V_BIN(SHAPE##_ne, FU, FU, N, MASK(x != y, whisk_lane_##FU)) \
    V_BIN(SHAPE##_lt_s, FS, FU, N, MASK(x < y, whisk_lane_##FU)) \
    V_BIN(SHAPE##_gt_s, FS, FU, N, MASK(x > y, whisk_lane_##FU)) \
    V_BIN(SHAPE##_le_s, FS, FU, N, MASK(x <= y, whisk_lane_##FU)) \
    V_BIN(SHAPE##_ge_s, FS, FU, N, MASK(x >= y, whisk_lane_##FU))
#define V_UCMP(SHAPE, FU, N) \
    V_BIN(SHAPE##_lt_u, FU, FU, N, MASK(x < y, whisk_lane_##FU)) \
    V_BIN(SHAPE##_gt_u, FU, FU, N, MASK(x > y, whisk_lane_##FU)) \
    V_BIN(SHAPE##_le_u, FU, FU, N, MASK(x <= y, whisk_lane_##FU)) \
    V_BIN(SHAPE##_ge_u, FU, FU, N, MASK(x >= y, whisk_lane_##FU))
V_ICMP(i8x16, i8, u8, 16)   V_UCMP(i8x16, u8, 16)
V_ICMP(i16x8, i16, u16, 8)  V_UCMP(i16x8, u16, 8)
V_ICMP(i32x4, i32, u32, 4)  V_UCMP(i32x4, u32, 4)
V_ICMP(i64x2, i64, u64, 2)

/* ---- integer arithmetic: wrapping on the unsigned lanes ---- */
#define V_IARITH(SHAPE, FS, FU, N, BITS) \
    V_UN(SHAPE##_abs, FS, FU, N, x < 0 ? (whisk_lane_##FU)(0 - (whisk_lane_##FU)x) : (whisk_lane_##FU)x) \
    V_UN(SHAPE##_neg, FU, FU, N, (whisk_lane_##FU)(0 - x)) \
    V_BIN(SHAPE##_add, FU, FU, N, (whisk_lane_##FU)(x + y)) \
    V_BIN(SHAPE##_sub, FU, FU, N, (whisk_lane_##FU)(x - y)) \
    V_SHIFT(SHAPE##_shl, FU, N, BITS, <<) \
    V_SHIFT(SHAPE##_shr_s, FS, N, BITS, >>) \
    V_SHIFT(SHAPE##_shr_u, FU, N, BITS, >>)
V_IARITH(i8x16, i8, u8, 16, 8)
V_IARITH(i16x8, i16, u16, 8, 16)
V_IARITH(i32x4, i32, u32, 4, 32)
V_IARITH(i64x2, i64, u64, 2, 64)
V_BIN(i16x8_mul, u16, u16, 8, (uint16_t)((uint32_t)x * y))
V_BIN(i32x4_mul, u32, u32, 4, x * y)
V_BIN(i64x2_mul, u64, u64, 2, x * y)

#define V_MINMAX(SHAPE, FS, FU, N) \
    V_BIN(SHAPE##_min_s, FS, FS, N, x < y ? x : y) \
    V_BIN(SHAPE##_min_u, FU, FU, N, x < y ? x : y) \
    V_BIN(SHAPE##_max_s, FS, FS, N, x > y ? x : y) \
    V_BIN(SHAPE##_max_u, FU, FU, N, x > y ? x : y)
V_MINMAX(i8x16, i8, u8, 16)
V_MINMAX(i16x8, i16, u16, 8)
V_MINMAX(i32x4, i32, u32, 4)

#define V_SATARITH(SHAPE, FS, FU, N, SMIN, SMAX, UMAX) \
    V_BIN(SHAPE##_add_sat_s, FS, FS, N, SAT((int32_t)x + y, SMIN, SMAX)) \
    V_BIN(SHAPE##_add_sat_u, FU, FU, N, SAT((int32_t)x + y, 0, UMAX)) \
    V_BIN(SHAPE##_sub_sat_s, FS, FS, N, SAT((int32_t)x - y, SMIN, SMAX)) \
    V_BIN(SHAPE##_sub_sat_u, FU, FU, N, SAT((int32_t)x - y, 0, UMAX)) \
    V_BIN(SHAPE##_avgr_u, FU, FU, N, ((uint32_t)x + y + 1) >> 1)
V_SATARITH(i8x16, i8, u8, 16, -128, 127, 255)
V_SATARITH(i16x8, i16, u16, 8, -32768, 32767, 65535)

V_UN(i8x16_popcnt, u8, u8, 16, whisk_popcnt64(x))
V_BIN(i16x8_q15mulr_sat_s, i16, i16, 8, SAT(((int32_t)x * y + 0x4000) >> 15, -32768, 32767))

/* ---- shape changes: narrow, extend, extmul, extadd_pairwise, dot ---- */
#define V_NARROW(NAME, FI, FO, N, LO, HI) \
    static inline void NAME(uint64_t* r, const uint64_t* pa, const uint64_t* pb) { \
        V_IN(a, pa); V_IN(b, pb); whisk_v128 o; int i; \
        for (i = 0; i < N; i++) { o.FO[i] = SAT(a.FI[i], LO, HI); o.FO[i + N] = SAT(b.FI[i], LO, HI); } \
        V_OUT(r, o); }
V_NARROW(i8x16_narrow_i16x8_s, i16, i8, 8, -128, 127)
V_NARROW(i8x16_narrow_i16x8_u, i16, u8, 8, 0, 255)
V_NARROW(i16x8_narrow_i32x4_s, i32, i16, 4, -32768, 32767)
V_NARROW(i16x8_narrow_i32x4_u, i32, u16, 4, 0, 65535)

/* Half-width lanes LOW (0) or high (N) of a widened to FO. */
#define V_EXTEND(NAME, FI, FO, N, HALF) \
    static inline void NAME(uint64_t* r, const uint64_t* pa) { V_IN(a, pa); whisk_v128 o; int i; \
        for (i = 0; i < N; i++) { o.FO[i] = a.FI[i + HALF]; } V_OUT(r, o); }
#define V_EXTMUL(NAME, FI, FO, T, N, HALF) \
    static inline void NAME(uint64_t* r, const uint64_t* pa, const uint64_t* pb) { \
        V_IN(a, pa); V_IN(b, pb); whisk_v128 o; int i; \
        for (i = 0; i < N; i++) { o.FO[i] = (T)a.FI[i + HALF] * (T)b.FI[i + HALF]; } V_OUT(r, o); }
#define V_WIDEN(SHAPE, FROM, FS, FU, WS, WU, TS, TU, N) \
    V_EXTEND(SHAPE##_extend_low_##FROM##_s, FS, WS, N, 0) \
    V_EXTEND(SHAPE##_extend_high_##FROM##_s, FS, WS, N, N) \
    V_EXTEND(SHAPE##_extend_low_##FROM##_u, FU, WU, N, 0) \
    V_EXTEND(SHAPE##_extend_high_##FROM##_u, FU, WU, N, N) \
    V_EXTMUL(SHAPE##_extmul_low_##FROM##_s, FS, WU, TS, N, 0) \
    V_EXTMUL(SHAPE##_extmul_high_##FROM##_s, FS, WU, TS, N, N) \
    V_EXTMUL(SHAPE##_extmul_low_##FROM##_u, FU, WU, TU, N, 0) \
    V_EXTMUL(SHAPE##_extmul_high_##FROM##_u, FU, WU, TU, N, N)
V_WIDEN(i16x8, i8x16, i8, u8, i16, u16, int32_t, uint32_t, 8)
V_WIDEN(i32x4, i16x8, i16, u16, i32, u32, int64_t, uint32_t, 4)
V_WIDEN(i64x2, i32x4, i32, u32, i64, u64, int64_t, uint64_t, 2)

#define V_PAIRWISE(NAME, FI, FO, N) \
    static inline void NAME(uint64_t* r, const uint64_t* pa) { V_IN(a, pa); whisk_v128 o; int i; \
        for (i = 0; i < N; i++) { o.FO[i] = a.FI[2 * i] + a.FI[2 * i + 1]; } V_OUT(r, o); }
V_PAIRWISE(i16x8_extadd_pairwise_i8x16_s, i8, i16, 8)
V_PAIRWISE(i16x8_extadd_pairwise_i8x16_u, u8, u16, 8)
V_PAIRWISE(i32x4_extadd_pairwise_i16x8_s, i16, i32, 4)
V_PAIRWISE(i32x4_extadd_pairwise_i16x8_u, u16, u32, 4)

static inline void i32x4_dot_i16x8_s(uint64_t* r, const uint64_t* pa, const uint64_t* pb) {
    V_IN(a, pa); V_IN(b, pb); whisk_v128 o; int i;
    for (i = 0; i < 4; i++)
        o.u32[i] = (uint32_t)((int64_t)a.i16[2 * i] * b.i16[2 * i] + (int64_t)a.i16[2 * i + 1] * b.i16[2 * i + 1]);
    V_OUT(r, o);
}

/* ---- floats (spec 4.3.3 lane-wise; NaN results are the hardware's, as for the scalars) ---- */
#define V_FLOAT(SHAPE, F, U, N, SIGN, SQRT, MIN, MAX, CEIL, FLOOR, TRUNC, NEAREST) \
    V_UN(SHAPE##_abs, U, U, N, x & ~SIGN) \
    V_UN(SHAPE##_neg, U, U, N, x ^ SIGN) \
    V_UN(SHAPE##_sqrt, F, F, N, SQRT(x)) \
    V_UN(SHAPE##_ceil, U, U, N, CEIL(x)) \
    V_UN(SHAPE##_floor, U, U, N, FLOOR(x)) \
    V_UN(SHAPE##_trunc, U, U, N, TRUNC(x)) \
    V_UN(SHAPE##_nearest, U, U, N, NEAREST(x)) \
    V_BIN(SHAPE##_add, F, F, N, x + y) \
    V_BIN(SHAPE##_sub, F, F, N, x - y) \
    V_BIN(SHAPE##_mul, F, F, N, x * y) \
    V_BIN(SHAPE##_div, F, F, N, x / y) \
    V_BIN(SHAPE##_min, U, U, N, MIN(x, y)) \
    V_BIN(SHAPE##_max, U, U, N, MAX(x, y)) \
    V_BIN(SHAPE##_eq, F, U, N, MASK(x == y, whisk_lane_##U)) \
    V_BIN(SHAPE##_ne, F, U, N, MASK(x != y, whisk_lane_##U)) \
    V_BIN(SHAPE##_lt, F, U, N, MASK(x < y, whisk_lane_##U)) \
    V_BIN(SHAPE##_gt, F, U, N, MASK(x > y, whisk_lane_##U)) \
    V_BIN(SHAPE##_le, F, U, N, MASK(x <= y, whisk_lane_##U)) \
    V_BIN(SHAPE##_ge, F, U, N, MASK(x >= y, whisk_lane_##U)) \
    /* pmin/pmax (spec: b < a ? b : a, a < b ? b : a) return an operand's bits unchanged */ \
    static inline void SHAPE##_pmin(uint64_t* r, const uint64_t* pa, const uint64_t* pb) { \
        V_IN(a, pa); V_IN(b, pb); whisk_v128 o; int i; \
        for (i = 0; i < N; i++) { o.U[i] = b.F[i] < a.F[i] ? b.U[i] : a.U[i]; } V_OUT(r, o); } \
    static inline void SHAPE##_pmax(uint64_t* r, const uint64_t* pa, const uint64_t* pb) { \
        V_IN(a, pa); V_IN(b, pb); whisk_v128 o; int i; \
        for (i = 0; i < N; i++) { o.U[i] = a.F[i] < b.F[i] ? b.U[i] : a.U[i]; } V_OUT(r, o); }
V_FLOAT(f32x4, f32, u32, 4, 0x80000000u, sqrtf, whisk_f32_min, whisk_f32_max,
        whisk_f32_ceil, whisk_f32_floor, whisk_f32_trunc, whisk_f32_nearest)
V_FLOAT(f64x2, f64, u64, 2, 0x8000000000000000ull, sqrt, whisk_f64_min, whisk_f64_max,
        whisk_f64_ceil, whisk_f64_floor, whisk_f64_trunc, whisk_f64_nearest)

/* ---- conversions (spec 4.3.4 lane-wise) ---- */
V_UN(i32x4_trunc_sat_f32x4_s, f32, u32, 4, whisk_sat_s32(x))
V_UN(i32x4_trunc_sat_f32x4_u, f32, u32, 4, whisk_sat_u32(x))
V_UN(f32x4_convert_i32x4_s, i32, f32, 4, (float)x)
V_UN(f32x4_convert_i32x4_u, u32, f32, 4, (float)x)

/* Two lanes in, two lanes out; the other two output lanes are zero. */
#define V_HALF(NAME, FI, FO, EXPR) \
    static inline void NAME(uint64_t* r, const uint64_t* pa) { V_IN(a, pa); whisk_v128 o; int i; \
        memset(&o, 0, 16); for (i = 0; i < 2; i++) { const whisk_lane_##FI x = a.FI[i]; o.FO[i] = (EXPR); } \
        V_OUT(r, o); }
V_HALF(i32x4_trunc_sat_f64x2_s_zero, f64, u32, whisk_sat_s32(x))
V_HALF(i32x4_trunc_sat_f64x2_u_zero, f64, u32, whisk_sat_u32(x))
V_HALF(f32x4_demote_f64x2_zero, f64, f32, (float)x)
V_HALF(f64x2_promote_low_f32x4, f32, f64, (double)x)
V_HALF(f64x2_convert_low_i32x4_s, i32, f64, (double)x)
V_HALF(f64x2_convert_low_i32x4_u, u32, f64, (double)x)

/* ---- relaxed SIMD (WebAssembly 3.0; spec 4.3.6 "Relaxed Operations") ----
 * Each relaxed operator's result is one of a set the spec allows, chosen by a global parameter
 * R. whisk fixes every parameter to 0, the choice of the deterministic profile (spec Appendix
 * "Profiles"), so each instruction computes the same result on every host, equal to a 2.0
 * instruction where one exists (docs/features.md lists them): */
static inline void i8x16_relaxed_swizzle(uint64_t* r, const uint64_t* pa, const uint64_t* pb) {
    i8x16_swizzle(r, pa, pb);                   /* R_swizzle = 0: an index >= 16 selects 0 */
}
/* R_trunc_s = R_trunc_u = 0: NaN and out-of-range lanes saturate, as trunc_sat. */
static inline void i32x4_relaxed_trunc_f32x4_s(uint64_t* r, const uint64_t* pa) { i32x4_trunc_sat_f32x4_s(r, pa); }
static inline void i32x4_relaxed_trunc_f32x4_u(uint64_t* r, const uint64_t* pa) { i32x4_trunc_sat_f32x4_u(r, pa); }
static inline void i32x4_relaxed_trunc_f64x2_s_zero(uint64_t* r, const uint64_t* pa) { i32x4_trunc_sat_f64x2_s_zero(r, pa); }
static inline void i32x4_relaxed_trunc_f64x2_u_zero(uint64_t* r, const uint64_t* pa) { i32x4_trunc_sat_f64x2_u_zero(r, pa); }

/* R_fmadd = 0: unfused, fadd(fmul(z1, z2), z3), two roundings. The product goes through a
 * volatile so that no compiler contracts it into a fused multiply-add (GCC's default
 * -ffp-contract=fast does on targets with FMA instructions). nmadd negates z1 (spec: frelaxed_nmadd
 * = frelaxed_madd(-z1, z2, z3)). */
#define V_MADD(NAME, F, T, N, NEG) \
    static inline void NAME(uint64_t* r, const uint64_t* pa, const uint64_t* pb, const uint64_t* pc) { \
        V_IN(a, pa); V_IN(b, pb); V_IN(c, pc); whisk_v128 o; int i; \
        for (i = 0; i < N; i++) { volatile T p = (NEG a.F[i]) * b.F[i]; o.F[i] = p + c.F[i]; } \
        V_OUT(r, o); }
V_MADD(f32x4_relaxed_madd, f32, float, 4, +)
V_MADD(f32x4_relaxed_nmadd, f32, float, 4, -)
V_MADD(f64x2_relaxed_madd, f64, double, 2, +)
V_MADD(f64x2_relaxed_nmadd, f64, double, 2, -)

/* R_laneselect = 0: the mask is used bit by bit, as v128.bitselect (the same for every shape). */
static inline void i8x16_relaxed_laneselect(uint64_t* r, const uint64_t* pa, const uint64_t* pb, const uint64_t* pc) { v128_bitselect(r, pa, pb, pc); }
static inline void i16x8_relaxed_laneselect(uint64_t* r, const uint64_t* pa, const uint64_t* pb, const uint64_t* pc) { v128_bitselect(r, pa, pb, pc); }
static inline void i32x4_relaxed_laneselect(uint64_t* r, const uint64_t* pa, const uint64_t* pb, const uint64_t* pc) { v128_bitselect(r, pa, pb, pc); }
static inline void i64x2_relaxed_laneselect(uint64_t* r, const uint64_t* pa, const uint64_t* pb, const uint64_t* pc) { v128_bitselect(r, pa, pb, pc); }

/* R_fmin = R_fmax = 0: fmin / fmax (NaN propagates, -0 < +0), as f32x4.min etc. */
static inline void f32x4_relaxed_min(uint64_t* r, const uint64_t* pa, const uint64_t* pb) { f32x4_min(r, pa, pb); }
static inline void f32x4_relaxed_max(uint64_t* r, const uint64_t* pa, const uint64_t* pb) { f32x4_max(r, pa, pb); }
static inline void f64x2_relaxed_min(uint64_t* r, const uint64_t* pa, const uint64_t* pb) { f64x2_min(r, pa, pb); }
static inline void f64x2_relaxed_max(uint64_t* r, const uint64_t* pa, const uint64_t* pb) { f64x2_max(r, pa, pb); }

/* R_iq15mulr = 0: -32768 * -32768 saturates to 32767, as i16x8.q15mulr_sat_s. */
static inline void i16x8_relaxed_q15mulr_s(uint64_t* r, const uint64_t* pa, const uint64_t* pb) { i16x8_q15mulr_sat_s(r, pa, pb); }

/* R_idot = 0: both operands signed. i16x8: lane i = iadd_sat_s(a[2i]*b[2i], a[2i+1]*b[2i+1]) over
 * the 8-bit lanes (spec ivdotsat); i32x4 ..._add_s: those 16-bit lanes added pairwise (signed)
 * into 32 bits, plus c, wrapping (spec vextternop). */
static inline void whisk_relaxed_dot_i8(whisk_v128* o, const whisk_v128* a, const whisk_v128* b) {
    int i;
    for (i = 0; i < 8; i++) {
        int32_t s = (int32_t)a->i8[2 * i] * b->i8[2 * i] + (int32_t)a->i8[2 * i + 1] * b->i8[2 * i + 1];
        o->i16[i] = (int16_t)SAT(s, -32768, 32767);
    }
}
static inline void i16x8_relaxed_dot_i8x16_i7x16_s(uint64_t* r, const uint64_t* pa, const uint64_t* pb) {
    V_IN(a, pa); V_IN(b, pb); whisk_v128 o;
    whisk_relaxed_dot_i8(&o, &a, &b);
    V_OUT(r, o);
}
static inline void i32x4_relaxed_dot_i8x16_i7x16_add_s(uint64_t* r, const uint64_t* pa, const uint64_t* pb, const uint64_t* pc) {
    V_IN(a, pa); V_IN(b, pb); V_IN(c, pc); whisk_v128 d, o; int i;
    whisk_relaxed_dot_i8(&d, &a, &b);
    for (i = 0; i < 4; i++)
        o.u32[i] = (uint32_t)((int32_t)d.i16[2 * i] + (int32_t)d.i16[2 * i + 1]) + c.u32[i];
    V_OUT(r, o);
}

#endif
