// The x86 vector instructions that Swift cannot name directly, as inline C that the Swift
// micro-kernels call. `cfsp_dpbf16` (vdpbf16ps) and `cfsp_low_halves` (vpermt2w) each lower to a
// single instruction; the Swift side compiles calls to them only when built with CFSP_AVX512BF16
// (see Package.swift).
// The AMX tile wrappers and AMX detection are in cfsp_amx.h.
#ifndef CFSP_VECTOR_ISA_H
#define CFSP_VECTOR_ISA_H

typedef float cfsp_f32x16 __attribute__((ext_vector_type(16)));
typedef unsigned int cfsp_u32x16 __attribute__((ext_vector_type(16)));

#if defined(__x86_64__)
#include <immintrin.h>
/// acc[i] += a.lo[i]*b.lo[i] + a.hi[i]*b.hi[i] over bf16 pairs packed in 32-bit lanes.
static inline __attribute__((target("avx512f,avx512bf16"), always_inline))
cfsp_f32x16 cfsp_dpbf16(cfsp_f32x16 acc, cfsp_u32x16 a, cfsp_u32x16 b) {
    return (cfsp_f32x16)_mm512_dpbf16_ps((__m512)acc, (__m512bh)a, (__m512bh)b);
}

/// The low 16 bits of each 32-bit lane of `low`, then of `high`, as 32 consecutive u16: one
/// vpermt2w. With bf16 bit patterns in the low halves this is the pair layout vdpbf16ps reads.
static inline __attribute__((target("avx512f,avx512bw"), always_inline))
cfsp_u32x16 cfsp_low_halves(cfsp_u32x16 low, cfsp_u32x16 high) {
    const __m512i even_words = _mm512_set_epi16(62, 60, 58, 56, 54, 52, 50, 48, 46, 44, 42, 40, 38, 36, 34, 32,
                                                30, 28, 26, 24, 22, 20, 18, 16, 14, 12, 10, 8, 6, 4, 2, 0);
    return (cfsp_u32x16)_mm512_permutex2var_epi16((__m512i)low, even_words, (__m512i)high);
}
#endif

#include "cfsp_amx.h"

/// Runtime CPU features, so a binary built for one machine refuses clearly on another.
int cfsp_cpu_has_avx512f(void);
int cfsp_cpu_has_avx512bf16(void);
int cfsp_cpu_has_avx2_fma(void);

#endif
