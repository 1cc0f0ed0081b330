/* The GC heap's primitives (gc.pxi): a spin lock for the heap's lists (held for a few
 * instructions per allocation; a waiter yields the CPU after spinning a little) and chunks
 * aligned to their size, so an address finds its chunk by masking.
 * GCC/Clang atomics, MSVC interlocked intrinsics (MSVC builds the Windows wheels). */
#ifndef WHISK_GCMEM_H
#define WHISK_GCMEM_H
#include <stdint.h>
#include <stdlib.h>

#if defined(_MSC_VER)
#include <windows.h>
#include <intrin.h>
typedef volatile long whisk_spin_t;
static int whisk_spin_try(whisk_spin_t* l) { return _InterlockedExchange(l, 1) == 0; }
static void whisk_spin_unlock(whisk_spin_t* l) { _InterlockedExchange(l, 0); }
static void whisk_yield(void) { SwitchToThread(); }
static void* whisk_chunk_alloc(size_t n) { return _aligned_malloc(n, n); }
static void whisk_chunk_free(void* p) { _aligned_free(p); }
#else
#include <sched.h>
typedef volatile int whisk_spin_t;
static int whisk_spin_try(whisk_spin_t* l) { return __atomic_exchange_n(l, 1, __ATOMIC_ACQUIRE) == 0; }
static void whisk_spin_unlock(whisk_spin_t* l) { __atomic_store_n(l, 0, __ATOMIC_RELEASE); }
static void whisk_yield(void) { sched_yield(); }
static void* whisk_chunk_alloc(size_t n) {
    void* p = NULL;
    return posix_memalign(&p, n, n) == 0 ? p : NULL;
}
static void whisk_chunk_free(void* p) { free(p); }
#endif

static whisk_spin_t whisk_gc_spin = 0;     /* the one lock of every GC heap */

static void whisk_gc_lock(void) {
    int n = 0;
    while (!whisk_spin_try(&whisk_gc_spin)) {
        while (whisk_gc_spin) {
            if (++n > 100) { whisk_yield(); n = 0; }
        }
    }
}
static void whisk_gc_unlock(void) { whisk_spin_unlock(&whisk_gc_spin); }

#endif
