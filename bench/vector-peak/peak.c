// Peak of the two vector instructions cfsp's GEMM micro-kernels issue, for reading GemmBench's
// figures as a fraction of what one core can do: back-to-back independent `vdpbf16ps zmm`
// (AVX512-BF16, 64 flops each) and `vfmadd231ps zmm` (32 flops each), 12 accumulators in
// registers, no loads; best of 3 runs of 2e8 iterations. One thread. Built by ./run.
#include <immintrin.h>
#include <stdio.h>
#include <time.h>

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

#define TWELVE(X) X(0) X(1) X(2) X(3) X(4) X(5) X(6) X(7) X(8) X(9) X(10) X(11)
/* An empty asm that reads each accumulator keeps it live (and in its register) without a store. */
#define KEEP(j) __asm__ volatile("" : : "v"(acc[j]));

/* Best of 3 timed runs of `iterations` x (STEP on each of the 12 accumulators), in seconds. */
#define BEST_OF_3(STEP, best)                                              \
    do {                                                                   \
        best = 1e30;                                                       \
        for (int run = 0; run < 3; run++) {                                \
            for (int j = 0; j < 12; j++) acc[j] = _mm512_setzero_ps();     \
            double start = now();                                          \
            for (long i = 0; i < iterations; i++) { TWELVE(STEP) TWELVE(KEEP) } \
            double seconds = now() - start;                                \
            if (seconds < best) best = seconds;                            \
        }                                                                  \
    } while (0)

int main(void) {
    const long iterations = 200000000;
    __m512 acc[12];
    double best;
#ifdef __AVX512BF16__
    __m512bh x = (__m512bh)_mm512_set1_epi32(0x3f803f80), y = (__m512bh)_mm512_set1_epi32(0x30003000);
#define DOT(j) acc[j] = _mm512_dpbf16_ps(acc[j], x, y);
    BEST_OF_3(DOT, best);
    printf("vdpbf16ps zmm: %.1f GFLOP/s (1 thread)\n", iterations * 12.0 * 64 / best / 1e9);
#else
    printf("vdpbf16ps zmm: not compiled (no AVX512-BF16 on this CPU)\n");
#endif
    __m512 u = _mm512_set1_ps(1e-9f);
#define FMA(j) acc[j] = _mm512_fmadd_ps(acc[j], u, u);
    BEST_OF_3(FMA, best);
    printf("vfmadd231ps zmm: %.1f GFLOP/s (1 thread)\n", iterations * 12.0 * 32 / best / 1e9);
    return 0;
}
