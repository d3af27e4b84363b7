// Intel AMX (tile) instructions for the bf16 GEMM, as tiny inline C: Swift cannot name them.
// Each wrapper is one instruction. They carry `target("amx-tile,amx-bf16")` so they compile on
// any x86-64 host whatever the build's -target-cpu; they may only be *executed* after
// `cfsp_amx_request_permission` succeeded on a CPU whose CPUID reports AMX (Kernels' AMXSupport
// checks that once). Tile numbers are instruction immediates, hence the switches: with constant
// arguments they fold away once inlined.
//
// Fixed register roles (the Swift side, AMXTiles.swift, uses the same numbers):
// tmm0..tmm3 = f32 accumulators C, tmm4..tmm5 = bf16-pair A tiles, tmm6..tmm7 = bf16-pair B
// tiles; every tile is 16 rows x 64 bytes (C: 16 x 16 f32, A: 16 rows x 32 bf16, B: 16 k-pairs
// x 16 columns).
#ifndef CFSP_AMX_H
#define CFSP_AMX_H

#include <stddef.h>
#include <stdint.h>

/// CPUID.(EAX=7,ECX=0):EDX, or 0 where leaf 7 does not exist (bit 22 amx-bf16, 24 amx-tile,
/// 25 amx-int8). 0 on other architectures.
uint32_t cfsp_cpuid7_edx(void);
/// XCR0 via xgetbv (bit 17 XTILECFG, bit 18 XTILEDATA), or 0 when the OS has not enabled
/// XSAVE (CPUID.1:ECX.OSXSAVE clear) or on other architectures.
uint64_t cfsp_xcr0(void);
/// Asks Linux for permission to use AMX tile data (arch_prctl ARCH_REQ_XCOMP_PERM, feature 18)
/// unless ARCH_GET_XCOMP_PERM shows it granted already. Returns 0 when granted, else the errno
/// (ENOSYS on other systems). Process-wide; call once.
int cfsp_amx_request_permission(void);

#if defined(__x86_64__)
#include <immintrin.h>

#define CFSP_AMX_TARGET __attribute__((target("amx-tile,amx-bf16"), unused))

/// ldtilecfg of the fixed configuration: palette 1, tiles 0-7 all 16 rows x 64 bytes.
static inline CFSP_AMX_TARGET void cfsp_amx_configure(void) {
    struct __attribute__((aligned(64))) {
        uint8_t palette, startRow, reserved[14];
        uint16_t colsb[16];
        uint8_t rows[16];
    } config = {0};
    config.palette = 1;
    for (int tile = 0; tile < 8; tile++) { config.colsb[tile] = 64; config.rows[tile] = 16; }
    _tile_loadconfig(&config);
}

/// tilerelease: back to the init state (so the kernel need not save 8 KiB of tiles).
static inline CFSP_AMX_TARGET void cfsp_amx_release(void) { _tile_release(); }

#define CFSP_AMX_CASES(op) op(0) op(1) op(2) op(3) op(4) op(5) op(6) op(7)

/// tilezero tmm[tile].
static inline CFSP_AMX_TARGET void cfsp_amx_zero(int tile) {
#define CFSP_ZERO(t) case t: _tile_zero(t); break;
    switch (tile) { CFSP_AMX_CASES(CFSP_ZERO) default: __builtin_trap(); }
#undef CFSP_ZERO
}

/// tileloadd tmm[tile], 16 rows of 64 bytes from `base`, rows `stride` bytes apart.
static inline CFSP_AMX_TARGET void cfsp_amx_load(int tile, const void *base, size_t stride) {
#define CFSP_LOAD(t) case t: _tile_loadd(t, base, (long)stride); break;
    switch (tile) { CFSP_AMX_CASES(CFSP_LOAD) default: __builtin_trap(); }
#undef CFSP_LOAD
}

/// tilestored tmm[tile] to 16 rows of 64 bytes at `base`, rows `stride` bytes apart.
static inline CFSP_AMX_TARGET void cfsp_amx_store(int tile, void *base, size_t stride) {
#define CFSP_STORE(t) case t: _tile_stored(t, base, (long)stride); break;
    switch (tile) { CFSP_AMX_CASES(CFSP_STORE) default: __builtin_trap(); }
#undef CFSP_STORE
}

/// tdpbf16ps tmm[c], tmm[a], tmm[b] for the fixed roles: c in 0..3, a in 4..5, b in 6..7
/// (anything else traps).
static inline CFSP_AMX_TARGET void cfsp_amx_dpbf16ps(int c, int a, int b) {
#define CFSP_DP(cc, aa, bb) case (cc) * 16 + ((aa) - 4) * 2 + ((bb) - 6): _tile_dpbf16ps(cc, aa, bb); break;
#define CFSP_DP_C(cc) CFSP_DP(cc, 4, 6) CFSP_DP(cc, 4, 7) CFSP_DP(cc, 5, 6) CFSP_DP(cc, 5, 7)
    if (c < 0 || c > 3 || a < 4 || a > 5 || b < 6 || b > 7) __builtin_trap();
    switch (c * 16 + (a - 4) * 2 + (b - 6)) {
        CFSP_DP_C(0) CFSP_DP_C(1) CFSP_DP_C(2) CFSP_DP_C(3)
        default: __builtin_trap();
    }
#undef CFSP_DP_C
#undef CFSP_DP
}

#undef CFSP_AMX_CASES
#endif

#endif
