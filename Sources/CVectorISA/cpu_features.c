#include "CVectorISA.h"

#if defined(__x86_64__)
int cfsp_cpu_has_avx512f(void) { __builtin_cpu_init(); return __builtin_cpu_supports("avx512f"); }
int cfsp_cpu_has_avx512bf16(void) { __builtin_cpu_init(); return __builtin_cpu_supports("avx512bf16"); }
int cfsp_cpu_has_avx2_fma(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
}
#else
int cfsp_cpu_has_avx512f(void) { return 0; }
int cfsp_cpu_has_avx512bf16(void) { return 0; }
int cfsp_cpu_has_avx2_fma(void) { return 0; }
#endif
