// Runtime facts for the AMX path: CPUID leaf 7, XCR0, and Linux's per-process permission to
// use tile data. Kernels' AMXSupport turns them into one decision and a reason.
#include "cfsp_amx.h"
#include <errno.h>

#if defined(__x86_64__)
#include <cpuid.h>

uint32_t cfsp_cpuid7_edx(void) {
    unsigned int eax, ebx, ecx, edx;
    if (__get_cpuid_max(0, 0) < 7) return 0;
    __cpuid_count(7, 0, eax, ebx, ecx, edx);
    return edx;
}

uint64_t cfsp_xcr0(void) {
    unsigned int eax, ebx, ecx, edx;
    if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx) || !(ecx & (1u << 27))) return 0;  // OSXSAVE
    unsigned int low, high;
    __asm__ volatile("xgetbv" : "=a"(low), "=d"(high) : "c"(0));
    return ((uint64_t)high << 32) | low;
}
#else
uint32_t cfsp_cpuid7_edx(void) { return 0; }
uint64_t cfsp_xcr0(void) { return 0; }
#endif

#if defined(__x86_64__) && defined(__linux__)
#include <sys/syscall.h>
#include <unistd.h>

enum { archGetXcompPerm = 0x1022, archReqXcompPerm = 0x1023, xfeatureXtileData = 18 };

int cfsp_amx_request_permission(void) {
    unsigned long granted = 0;
    if (syscall(SYS_arch_prctl, archGetXcompPerm, &granted) == 0 && (granted & (1ul << xfeatureXtileData)))
        return 0;
    if (syscall(SYS_arch_prctl, archReqXcompPerm, xfeatureXtileData) != 0) return errno;
    granted = 0;
    if (syscall(SYS_arch_prctl, archGetXcompPerm, &granted) != 0) return errno;
    return (granted & (1ul << xfeatureXtileData)) ? 0 : EPERM;
}
#else
int cfsp_amx_request_permission(void) { return ENOSYS; }
#endif
