/* A monotonic clock in nanoseconds for the core's deadlines (call timeouts). Portable: Windows'
 * QueryPerformanceCounter, POSIX clock_gettime(CLOCK_MONOTONIC). */
#ifndef WHISK_MCLOCK_H
#define WHISK_MCLOCK_H
#include <stdint.h>
#ifdef _WIN32
#include <windows.h>
static int64_t whisk_monotonic_ns(void) {
    LARGE_INTEGER f, c;
    QueryPerformanceFrequency(&f);
    QueryPerformanceCounter(&c);
    return (int64_t)((double)c.QuadPart * (1e9 / (double)f.QuadPart));
}
#else
#include <time.h>
static int64_t whisk_monotonic_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}
#endif
#endif
