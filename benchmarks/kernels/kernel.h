/* Shared by the benchmark kernels: the export attribute and a small PRNG.
 *
 * Each kernel defines `uint32_t run(uint32_t n)` (exported as "run") that does work
 * proportional to n and returns a checksum of the result. Kernels are freestanding: no libc,
 * no imports, so every engine runs them identically. The same source builds natively
 * (build.sh --native) to compute the expected checksums.
 */
#ifndef KERNEL_H
#define KERNEL_H

typedef unsigned int uint32_t;
typedef unsigned long long uint64_t;
typedef int int32_t;

#ifdef __wasm__
#define EXPORT(name) __attribute__((export_name(name)))
#else
#define EXPORT(name)
#endif

/* xorshift32: deterministic data generator; state must not be 0. */
static inline uint32_t xorshift32(uint32_t *state) {
    uint32_t x = *state;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    return *state = x;
}

EXPORT("run") uint32_t run(uint32_t n);

#endif
