/* matmul: f64 loads, stores and multiply-adds. run(n) multiplies two generated 24x24
 * matrices n times (C = A*B, then A = C scaled to mean 0.5 so values neither vanish nor
 * overflow, plus a moving perturbation) and returns a checksum of C. */
#include "kernel.h"

#define N 24

static double a[N][N], b[N][N], c[N][N];

static void fill(void) {
    uint32_t s = 12345;
    for (int i = 0; i < N; i++)
        for (int j = 0; j < N; j++) {
            a[i][j] = (double)(xorshift32(&s) % 1000) / 1000.0;
            b[i][j] = (double)(xorshift32(&s) % 1000) / 1000.0;
        }
}

static void multiply(void) {
    for (int i = 0; i < N; i++)
        for (int j = 0; j < N; j++) {
            double sum = 0;
            for (int k = 0; k < N; k++)
                sum += a[i][k] * b[k][j];
            c[i][j] = sum;
        }
}

uint32_t run(uint32_t n) {
    uint32_t check = 0;
    fill();
    for (uint32_t r = 0; r < n; r++) {
        double total = 0, scale;
        multiply();
        for (int i = 0; i < N; i++)
            for (int j = 0; j < N; j++)
                total += c[i][j];
        scale = 0.5 * N * N / total;
        for (int i = 0; i < N; i++)
            for (int j = 0; j < N; j++)
                a[i][j] = c[i][j] * scale;
        a[r % N][(r * 7) % N] += 1.0;           /* keep the iteration from converging */
    }
    for (int i = 0; i < N; i++)
        for (int j = 0; j < N; j++)
            check = check * 31 + (uint32_t)(int32_t)(c[i][j] * 1000.0);
    return check;
}
