/* sieve: integer array work. run(n) runs n sieves of Eratosthenes (limits 8192 + k for
 * k < n) over a byte array and returns a checksum of the prime counts and the last prime. */
#include "kernel.h"

#define LIMIT_BASE 8192
#define MAX_LIMIT (LIMIT_BASE + 1024)

static unsigned char composite[MAX_LIMIT];

static uint32_t sieve(uint32_t limit, uint32_t *last) {
    uint32_t count = 0;
    for (uint32_t i = 2; i < limit; i++)
        composite[i] = 0;
    for (uint32_t i = 2; i < limit; i++) {
        if (composite[i])
            continue;
        count++;
        *last = i;
        for (uint32_t j = i * 2; j < limit; j += i)
            composite[j] = 1;
    }
    return count;
}

uint32_t run(uint32_t n) {
    uint32_t sum = 0, last = 0;
    for (uint32_t k = 0; k < n; k++)
        sum = sum * 31 + sieve(LIMIT_BASE + (k % 1024), &last);
    return sum ^ last;
}
