/* Small helpers of the dispatch loop's hot arms (loop.pxi.in). */
#ifndef WHISK_HOTPATH_H
#define WHISK_HOTPATH_H

#include <stdint.h>

/* Zero n frame slots from p: the locals of a callee beyond its parameters (spec 4.4.10,
 * invocation: the locals start at their default value). Functions have few such slots, and a
 * call of memset costs more than the stores (and makes gcc save the loop's live registers
 * around it); the empty asm hides p from gcc, which would turn the loop back into memset. */
static inline void whisk_zero_slots(uint64_t* p, uint32_t n) {
    while (n--) {
        *p++ = 0;
#if defined(__GNUC__) || defined(__clang__)
        __asm__("" : "+r"(p));
#endif
    }
}

#endif
