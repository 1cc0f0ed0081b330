/* Portable bit operations and memory primitives for whisk's core.
 * GCC/Clang builtins where available, plain C fallbacks otherwise (MSVC builds the Windows wheels). */
#ifndef WHISK_PORTABLE_H
#define WHISK_PORTABLE_H
#include <stdint.h>
#include <string.h>
#include <math.h>

static inline uint32_t whisk_popcnt64(uint64_t x) {
#if defined(__GNUC__) || defined(__clang__)
    return (uint32_t)__builtin_popcountll(x);
#else
    x = x - ((x >> 1) & 0x5555555555555555ULL);
    x = (x & 0x3333333333333333ULL) + ((x >> 2) & 0x3333333333333333ULL);
    x = (x + (x >> 4)) & 0x0F0F0F0F0F0F0F0FULL;
    return (uint32_t)((x * 0x0101010101010101ULL) >> 56);
#endif
}

static inline uint32_t whisk_clz64(uint64_t x) {  /* 64 for x == 0 */
    if (x == 0) return 64;
#if defined(__GNUC__) || defined(__clang__)
    return (uint32_t)__builtin_clzll(x);
#else
    uint32_t n = 0;
    if (!(x & 0xFFFFFFFF00000000ULL)) { n += 32; x <<= 32; }
    if (!(x & 0xFFFF000000000000ULL)) { n += 16; x <<= 16; }
    if (!(x & 0xFF00000000000000ULL)) { n += 8; x <<= 8; }
    if (!(x & 0xF000000000000000ULL)) { n += 4; x <<= 4; }
    if (!(x & 0xC000000000000000ULL)) { n += 2; x <<= 2; }
    if (!(x & 0x8000000000000000ULL)) { n += 1; }
    return n;
#endif
}

static inline uint32_t whisk_ctz64(uint64_t x) {  /* 64 for x == 0 */
    if (x == 0) return 64;
#if defined(__GNUC__) || defined(__clang__)
    return (uint32_t)__builtin_ctzll(x);
#else
    return whisk_popcnt64((x & (0 - x)) - 1);
#endif
}

static inline uint32_t whisk_load32(const uint8_t* p) { uint32_t v; memcpy(&v, p, 4); return v; }
static inline uint64_t whisk_load64(const uint8_t* p) { uint64_t v; memcpy(&v, p, 8); return v; }
static inline uint16_t whisk_load16(const uint8_t* p) { uint16_t v; memcpy(&v, p, 2); return v; }
static inline void whisk_store32(uint8_t* p, uint32_t v) { memcpy(p, &v, 4); }
static inline void whisk_store64(uint8_t* p, uint64_t v) { memcpy(p, &v, 8); }
static inline void whisk_store16(uint8_t* p, uint16_t v) { memcpy(p, &v, 2); }

static inline float whisk_f32(uint64_t b) { uint32_t u = (uint32_t)b; float f; memcpy(&f, &u, 4); return f; }
static inline double whisk_f64(uint64_t b) { double d; memcpy(&d, &b, 8); return d; }
static inline uint64_t whisk_f32_bits(float f) { uint32_t u; memcpy(&u, &f, 4); return u; }
static inline uint64_t whisk_f64_bits(double d) { uint64_t u; memcpy(&u, &d, 8); return u; }

#endif
