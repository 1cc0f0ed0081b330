/* sha256.c: SHA-256 (FIPS 180-4, implemented here) over generated data.
 *
 * usage: sha256 [SIZE] [--fail]
 *
 * Generates SIZE bytes (default 1048576 = 1 MiB) with a xorshift32 generator and prints
 * their SHA-256 digest in hex followed by a newline. The generator starts from
 * x = 0x9E3779B9; each step does x ^= x << 13; x ^= x >> 17; x ^= x << 5 (on 32 bits) and
 * yields the 4 bytes of x, least significant first; the last step's bytes are cut to SIZE.
 * With --fail the program exits with status 3 after printing (to exercise exit codes);
 * a bad argument prints a usage line to stderr and exits with status 2.
 *
 * Expected output (computed independently with Python's hashlib over the same bytes):
 *   sha256            3e75ec671075e4115fc876c4c55d5abbac3bfe487a67ff4ca2db38386a014f27
 *   sha256 1000       6da027a5d1c812f4c8fec3dd7076cb7b5cd9bb24d1d6ee8209aac2232c194262
 *   sha256 0          e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    uint32_t h[8];
    uint8_t block[64];
    size_t fill;        /* bytes in block */
    uint64_t length;    /* total bytes hashed */
} sha256_ctx;

static const uint32_t K[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

static uint32_t rotr(uint32_t x, unsigned n) { return (x >> n) | (x << (32 - n)); }

static void sha256_init(sha256_ctx *c) {
    static const uint32_t h0[8] = {
        0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
        0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
    };
    memcpy(c->h, h0, sizeof h0);
    c->fill = 0;
    c->length = 0;
}

static void sha256_block(sha256_ctx *c, const uint8_t *p) {
    uint32_t w[64];
    for (int i = 0; i < 16; i++)
        w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 |
               (uint32_t)p[4 * i + 2] << 8 | (uint32_t)p[4 * i + 3];
    for (int i = 16; i < 64; i++) {
        uint32_t s0 = rotr(w[i - 15], 7) ^ rotr(w[i - 15], 18) ^ (w[i - 15] >> 3);
        uint32_t s1 = rotr(w[i - 2], 17) ^ rotr(w[i - 2], 19) ^ (w[i - 2] >> 10);
        w[i] = w[i - 16] + s0 + w[i - 7] + s1;
    }
    uint32_t a = c->h[0], b = c->h[1], cc = c->h[2], d = c->h[3];
    uint32_t e = c->h[4], f = c->h[5], g = c->h[6], h = c->h[7];
    for (int i = 0; i < 64; i++) {
        uint32_t t1 = h + (rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)) + ((e & f) ^ (~e & g)) + K[i] + w[i];
        uint32_t t2 = (rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)) + ((a & b) ^ (a & cc) ^ (b & cc));
        h = g; g = f; f = e; e = d + t1;
        d = cc; cc = b; b = a; a = t1 + t2;
    }
    c->h[0] += a; c->h[1] += b; c->h[2] += cc; c->h[3] += d;
    c->h[4] += e; c->h[5] += f; c->h[6] += g; c->h[7] += h;
}

static void sha256_update(sha256_ctx *c, const uint8_t *data, size_t n) {
    c->length += n;
    while (n > 0) {
        size_t take = 64 - c->fill;
        if (take > n) take = n;
        memcpy(c->block + c->fill, data, take);
        c->fill += take;
        data += take;
        n -= take;
        if (c->fill == 64) {
            sha256_block(c, c->block);
            c->fill = 0;
        }
    }
}

static void sha256_final(sha256_ctx *c, uint8_t out[32]) {
    uint64_t bits = c->length * 8;
    uint8_t pad = 0x80;
    sha256_update(c, &pad, 1);
    pad = 0;
    while (c->fill != 56) sha256_update(c, &pad, 1);
    uint8_t len[8];
    for (int i = 0; i < 8; i++) len[i] = (uint8_t)(bits >> (56 - 8 * i));
    sha256_update(c, len, 8);
    for (int i = 0; i < 8; i++) {
        out[4 * i] = (uint8_t)(c->h[i] >> 24);
        out[4 * i + 1] = (uint8_t)(c->h[i] >> 16);
        out[4 * i + 2] = (uint8_t)(c->h[i] >> 8);
        out[4 * i + 3] = (uint8_t)c->h[i];
    }
}

static int usage(void) {
    fprintf(stderr, "usage: sha256 [SIZE] [--fail]\n");
    return 2;
}

int main(int argc, char **argv) {
    unsigned long size = 1048576;
    int fail = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--fail") == 0) {
            fail = 1;
        } else {
            char *end;
            size = strtoul(argv[i], &end, 10);
            if (argv[i][0] < '0' || argv[i][0] > '9' || *end != '\0') return usage();
        }
    }

    sha256_ctx c;
    sha256_init(&c);
    uint32_t x = 0x9E3779B9u;
    uint8_t chunk[4096];
    unsigned long left = size;
    while (left > 0) {
        size_t n = left < sizeof chunk ? (size_t)left : sizeof chunk;
        for (size_t i = 0; i < n; i += 4) {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            for (size_t k = 0; k < 4 && i + k < n; k++) chunk[i + k] = (uint8_t)(x >> (8 * k));
        }
        sha256_update(&c, chunk, n);
        left -= n;
    }
    uint8_t digest[32];
    sha256_final(&c, digest);
    for (int i = 0; i < 32; i++) printf("%02x", digest[i]);
    printf("\n");
    return fail ? 3 : 0;
}
