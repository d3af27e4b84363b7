// The x86 vector instructions that Swift cannot name directly, as inline C that the Swift
// micro-kernels call. `cfsp_dpbf16` lowers to a single instruction (vdpbf16ps); the
// Swift side compiles a call to it only when built with CFSP_AVX512BF16 (see Package.swift).
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
#endif

#include "cfsp_amx.h"

/// Runtime CPU features, so a binary built for one machine refuses clearly on another.
int cfsp_cpu_has_avx512f(void);
int cfsp_cpu_has_avx512bf16(void);
int cfsp_cpu_has_avx2_fma(void);

#endif
