/* fib: recursive calls. run(n) = fib(n) mod 2^32, computed by naive double recursion. */
#include "kernel.h"

static uint32_t __attribute__((noinline)) fib(uint32_t n) {
    return n < 2 ? n : fib(n - 1) + fib(n - 2);
}

uint32_t run(uint32_t n) { return fib(n); }
