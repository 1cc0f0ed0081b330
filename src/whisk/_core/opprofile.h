/* The dynamic instruction mix of a run (a profile build only: WHISK_PROFILE defined, as
 * `WHISK_PROFILE=1 python setup.py build_ext --inplace --force` does). The dispatch loop
 * (loop.pxi) calls WHISK_COUNT_OP(op) for each op it dispatches; in the normal build the macro
 * is empty, so the loop compiles to the same machine code as without it. In a profile build
 * each dispatch adds 1 to whisk_op_counts[op] and to whisk_pair_counts[prev][op] (prev: the
 * op dispatched before it, in any frame and any call since the reset; the first dispatch after
 * a reset has none). The counters are plain globals: runs on several
 * threads at once lose counts. Read and reset through whisk._core.runtime.op_counts(). */
#ifndef WHISK_OPPROFILE_H
#define WHISK_OPPROFILE_H

#include <stdint.h>
#include <string.h>

#define WHISK_PROFILE_MAXOPS 1024   /* > OP_COUNT (checked by runtime.pyx on import) */
#define WHISK_NO_OP (WHISK_PROFILE_MAXOPS - 1)   /* prev before the first dispatch */

#ifdef WHISK_PROFILE
#define WHISK_PROFILE_ENABLED 1
static uint64_t whisk_op_counts[WHISK_PROFILE_MAXOPS];
static uint64_t whisk_pair_counts[WHISK_PROFILE_MAXOPS * WHISK_PROFILE_MAXOPS];
static uint32_t whisk_prev_op = WHISK_NO_OP;
#define WHISK_COUNT_OP(op) do { \
        uint32_t whisk_op_ = (op); \
        whisk_op_counts[whisk_op_]++; \
        whisk_pair_counts[whisk_prev_op * WHISK_PROFILE_MAXOPS + whisk_op_]++; \
        whisk_prev_op = whisk_op_; \
    } while (0)
#else
#define WHISK_PROFILE_ENABLED 0
static uint64_t whisk_op_counts[1];
static uint64_t whisk_pair_counts[1];
static uint32_t whisk_prev_op = WHISK_NO_OP;
#define WHISK_COUNT_OP(op) ((void)0)
#endif

static uint64_t whisk_op_count(uint32_t op) {
    return WHISK_PROFILE_ENABLED && op < WHISK_PROFILE_MAXOPS ? whisk_op_counts[op] : 0;
}

static uint64_t whisk_pair_count(uint32_t a, uint32_t b) {
    return WHISK_PROFILE_ENABLED && a < WHISK_PROFILE_MAXOPS && b < WHISK_PROFILE_MAXOPS
        ? whisk_pair_counts[a * WHISK_PROFILE_MAXOPS + b] : 0;
}

static void whisk_reset_op_counts(void) {
    memset(whisk_op_counts, 0, sizeof(whisk_op_counts));
    memset(whisk_pair_counts, 0, sizeof(whisk_pair_counts));
    whisk_prev_op = WHISK_NO_OP;
}

#endif
