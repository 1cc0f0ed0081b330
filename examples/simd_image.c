/* An image kernel written twice: with WebAssembly SIMD intrinsics (built with -msimd128) and as
 * plain scalar C (built without). Both builds must print the same lines.
 *
 * usage: simd_image [WIDTH [HEIGHT]]   (default 1024 x 768; WIDTH is rounded up to 16)
 *
 * On a generated grayscale image (xorshift32) it
 *   1. brightens every pixel by 40 with saturation, then blurs each row with
 *      out[x] = avgr(avgr(in[x-1], in[x+1]), in[x]) (avgr(a, b) = (a + b + 1) >> 1; edges clamp),
 *   2. sums the result (as u32), finds its min and max,
 *   3. computes an f32 "energy" sum of (p / 255)^2 over 4 interleaved accumulators, so that the
 *      scalar build adds in the same order as the four SIMD lanes,
 * and prints an FNV-1a hash of the output image with the figures.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef __wasm_simd128__
#include <wasm_simd128.h>
#endif

static uint32_t xorshift(uint32_t *s) {
    uint32_t x = *s;
    x ^= x << 13; x ^= x >> 17; x ^= x << 5;
    return *s = x;
}

#ifdef __wasm_simd128__
/* One row; in has a clamped copy of its edge pixel on each side (in[-1] and in[w]). */
static void blur_row(const uint8_t *in, uint8_t *out, int w) {
    const v128_t forty = wasm_u8x16_splat(40);
    for (int x = 0; x < w; x += 16) {
        v128_t l = wasm_u8x16_add_sat(wasm_v128_load(in + x - 1), forty);
        v128_t c = wasm_u8x16_add_sat(wasm_v128_load(in + x), forty);
        v128_t r = wasm_u8x16_add_sat(wasm_v128_load(in + x + 1), forty);
        wasm_v128_store(out + x, wasm_u8x16_avgr(wasm_u8x16_avgr(l, r), c));
    }
}

static void stats(const uint8_t *img, size_t n, uint32_t *sum, uint8_t *lo, uint8_t *hi, float *energy) {
    v128_t acc = wasm_i32x4_splat(0), mn = wasm_u8x16_splat(255), mx = wasm_u8x16_splat(0);
    v128_t e = wasm_f32x4_splat(0.0f);
    const v128_t scale = wasm_f32x4_splat(1.0f / 255.0f);
    for (size_t i = 0; i < n; i += 16) {
        v128_t p = wasm_v128_load(img + i);
        mn = wasm_u8x16_min(mn, p);
        mx = wasm_u8x16_max(mx, p);
        acc = wasm_i32x4_add(acc, wasm_u32x4_extadd_pairwise_u16x8(wasm_u16x8_extadd_pairwise_u8x16(p)));
        v128_t w16 = wasm_u16x8_extend_low_u8x16(p);
        v128_t parts[4] = {wasm_u32x4_extend_low_u16x8(w16), wasm_u32x4_extend_high_u16x8(w16), 0, 0};
        w16 = wasm_u16x8_extend_high_u8x16(p);
        parts[2] = wasm_u32x4_extend_low_u16x8(w16);
        parts[3] = wasm_u32x4_extend_high_u16x8(w16);
        for (int k = 0; k < 4; k++) {
            v128_t f = wasm_f32x4_mul(wasm_f32x4_convert_u32x4(parts[k]), scale);
            e = wasm_f32x4_add(e, wasm_f32x4_mul(f, f));
        }
    }
    *sum = wasm_i32x4_extract_lane(acc, 0) + wasm_i32x4_extract_lane(acc, 1)
         + wasm_i32x4_extract_lane(acc, 2) + wasm_i32x4_extract_lane(acc, 3);
    uint8_t lanes[16];
    wasm_v128_store(lanes, mn);
    *lo = 255;
    for (int k = 0; k < 16; k++) if (lanes[k] < *lo) *lo = lanes[k];
    wasm_v128_store(lanes, mx);
    *hi = 0;
    for (int k = 0; k < 16; k++) if (lanes[k] > *hi) *hi = lanes[k];
    *energy = (wasm_f32x4_extract_lane(e, 0) + wasm_f32x4_extract_lane(e, 1))
            + (wasm_f32x4_extract_lane(e, 2) + wasm_f32x4_extract_lane(e, 3));
}
#else
static uint8_t avgr(uint8_t a, uint8_t b) { return (uint8_t)((a + b + 1) >> 1); }
static uint8_t brighten(uint8_t p) { return p > 215 ? 255 : (uint8_t)(p + 40); }

static void blur_row(const uint8_t *in, uint8_t *out, int w) {
    for (int x = 0; x < w; x++)
        out[x] = avgr(avgr(brighten(in[x - 1]), brighten(in[x + 1])), brighten(in[x]));
}

static void stats(const uint8_t *img, size_t n, uint32_t *sum, uint8_t *lo, uint8_t *hi, float *energy) {
    float e[4] = {0, 0, 0, 0};
    *sum = 0; *lo = 255; *hi = 0;
    /* the SIMD build widens 16 pixels into four groups of 4 lanes: pixel i + 4k + j goes to lane j */
    for (size_t i = 0; i < n; i++) {
        uint8_t p = img[i];
        *sum += p;
        if (p < *lo) *lo = p;
        if (p > *hi) *hi = p;
        float f = (float)p * (1.0f / 255.0f);
        e[i % 4] += f * f;
    }
    *energy = (e[0] + e[1]) + (e[2] + e[3]);
}
#endif

int main(int argc, char **argv) {
    int w = argc > 1 ? atoi(argv[1]) : 1024, h = argc > 2 ? atoi(argv[2]) : 768;
    if (w < 16 || h < 1) { fprintf(stderr, "usage: simd_image [WIDTH>=16 [HEIGHT>=1]]\n"); return 2; }
    w = (w + 15) & ~15;
    size_t n = (size_t)w * h;
    uint8_t *img = malloc(n), *out = malloc(n), *row = malloc((size_t)w + 32);
    if (!img || !out || !row) { fprintf(stderr, "out of memory\n"); return 1; }
    uint32_t s = 0x9E3779B9u;
    for (size_t i = 0; i < n; i++) img[i] = (uint8_t)xorshift(&s);
    for (int y = 0; y < h; y++) {
        uint8_t *r = row + 16;                      /* room for the clamped edge on each side */
        memcpy(r, img + (size_t)y * w, w);
        r[-1] = r[0];
        r[w] = r[w - 1];
        blur_row(r, out + (size_t)y * w, w);
    }
    uint32_t hash = 2166136261u, sum;
    for (size_t i = 0; i < n; i++) hash = (hash ^ out[i]) * 16777619u;
    uint8_t lo, hi;
    float energy;
    stats(out, n, &sum, &lo, &hi, &energy);
    printf("image %dx%d\nfnv1a %08x\nsum %u\nmin %u max %u\nenergy %.3f\n", w, h, hash, sum, lo, hi,
           (double)energy);
    free(img); free(out); free(row);
    return 0;
}
