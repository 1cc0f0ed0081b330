/* Float operations whose WebAssembly semantics differ from plain C (spec 4.3.3 and 4.3.4), on raw
 * IEEE bits. Shared by the scalar instructions (numeric.pxd) and the SIMD lanes (simd.h), so each
 * rule is written once.
 *
 * - fmin/fmax: a NaN operand gives a NaN; min(-0, +0) = -0 and max(-0, +0) = +0.
 * - ceil/floor/trunc/nearest: a NaN result must be quiet (an arithmetic NaN) with the payload kept.
 * - trunc_sat: NaN -> 0, out of range -> the nearest bound.
 */
#ifndef WHISK_FSEM_H
#define WHISK_FSEM_H
#include <stdint.h>
#include <math.h>
#include "portable.h"

static inline uint32_t whisk_f32_min(uint32_t a, uint32_t b) {
    float x = whisk_f32(a), y = whisk_f32(b);
    if (x != x || y != y) return (uint32_t)whisk_f32_bits(x + y);   /* a quiet (arithmetic) NaN */
    if (x == y) return a | b;
    return x < y ? a : b;
}
static inline uint32_t whisk_f32_max(uint32_t a, uint32_t b) {
    float x = whisk_f32(a), y = whisk_f32(b);
    if (x != x || y != y) return (uint32_t)whisk_f32_bits(x + y);
    if (x == y) return a & b;
    return x > y ? a : b;
}
static inline uint64_t whisk_f64_min(uint64_t a, uint64_t b) {
    double x = whisk_f64(a), y = whisk_f64(b);
    if (x != x || y != y) return whisk_f64_bits(x + y);
    if (x == y) return a | b;
    return x < y ? a : b;
}
static inline uint64_t whisk_f64_max(uint64_t a, uint64_t b) {
    double x = whisk_f64(a), y = whisk_f64(b);
    if (x != x || y != y) return whisk_f64_bits(x + y);
    if (x == y) return a & b;
    return x > y ? a : b;
}

/* Rounding keeps a NaN's payload but returns it quiet. */
static inline uint32_t whisk_f32_rounded(uint32_t a, float r) {
    return r != r ? (a | 0x00400000u) : (uint32_t)whisk_f32_bits(r);
}
static inline uint64_t whisk_f64_rounded(uint64_t a, double r) {
    return r != r ? (a | 0x0008000000000000ull) : whisk_f64_bits(r);
}
static inline uint32_t whisk_f32_ceil(uint32_t a) { return whisk_f32_rounded(a, ceilf(whisk_f32(a))); }
static inline uint32_t whisk_f32_floor(uint32_t a) { return whisk_f32_rounded(a, floorf(whisk_f32(a))); }
static inline uint32_t whisk_f32_trunc(uint32_t a) { return whisk_f32_rounded(a, truncf(whisk_f32(a))); }
static inline uint32_t whisk_f32_nearest(uint32_t a) { return whisk_f32_rounded(a, nearbyintf(whisk_f32(a))); }
static inline uint64_t whisk_f64_ceil(uint64_t a) { return whisk_f64_rounded(a, ceil(whisk_f64(a))); }
static inline uint64_t whisk_f64_floor(uint64_t a) { return whisk_f64_rounded(a, floor(whisk_f64(a))); }
static inline uint64_t whisk_f64_trunc(uint64_t a) { return whisk_f64_rounded(a, trunc(whisk_f64(a))); }
static inline uint64_t whisk_f64_nearest(uint64_t a) { return whisk_f64_rounded(a, nearbyint(whisk_f64(a))); }

/* Saturating truncation of a double (every f32 is exact as a double); all bounds are exact. */
static inline uint32_t whisk_sat_s32(double x) {
    if (x != x) return 0;
    if (x <= -2147483648.0) return 0x80000000u;
    if (x >= 2147483647.0) return 0x7FFFFFFFu;
    return (uint32_t)(int32_t)x;
}
static inline uint32_t whisk_sat_u32(double x) {
    if (x != x || x <= 0.0) return 0;
    if (x >= 4294967295.0) return 0xFFFFFFFFu;
    return (uint32_t)x;
}
static inline uint64_t whisk_sat_s64(double x) {
    if (x != x) return 0;
    if (x <= -9223372036854775808.0) return 0x8000000000000000ull;
    if (x >= 9223372036854775808.0) return 0x7FFFFFFFFFFFFFFFull;
    return (uint64_t)(int64_t)x;
}
static inline uint64_t whisk_sat_u64(double x) {
    if (x != x || x <= 0.0) return 0;
    if (x >= 18446744073709551616.0) return 0xFFFFFFFFFFFFFFFFull;
    return (uint64_t)x;
}

#endif
