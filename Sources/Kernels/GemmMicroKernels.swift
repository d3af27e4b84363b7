#if CFSP_AVX512BF16
import CVectorISA
#endif

/// Register tile of the GEMM micro-kernels: 8 rows of C x 32 columns (two 16-float vectors),
/// i.e. 16 vector accumulators that stay in zmm registers for a whole K block.
enum GemmTile {
    /// Rows of A / C per micro-tile.
    static let rows = 8
    /// Columns of C (weight rows) per micro-tile and per packed panel.
    static let columns = 32
    /// Longest multiply-add chain of the f32 kernels: each output is summed over k in chains of
    /// this many products, each chain added to C. One chain over all of K (576-8192 here) rounds
    /// 2-5x more than torch/MKL and kept SmolLM2's f32 logits 1.1e-4-1.2e-4 from transformers';
    /// chains of 128 bring them to 2.6e-5-6.7e-5 (HuggingFaceExportIntegration). The price is one
    /// extra load and store of the C tile per 128 k, from L1 (16 vectors per 2,048 FMAs).
    static let chain = 128
}

typealias F32x16 = SIMD16<Float>
typealias U32x16 = SIMD16<UInt32>

/// acc + a * b: one fused vfmadd231ps where the vector ISA was compiled in; a plain multiply-add
/// for the portable build (where SIMD FMA would become a libm call per lane).
@inline(__always)
func multiplyAdd(_ acc: F32x16, _ a: F32x16, _ b: F32x16) -> F32x16 {
    #if CFSP_AVX512 || CFSP_AVX2
    return acc.addingProduct(a, b)
    #else
    return acc + a * b
    #endif
}

/// acc[i] += a.lo[i] * b.lo[i] + a.hi[i] * b.hi[i] over bf16 pairs packed in u32 lanes: one
/// vdpbf16ps with AVX512-BF16, otherwise the same sum computed in f32 from the widened halves.
@inline(__always)
func dotBF16Pairs(_ acc: F32x16, _ a: U32x16, _ b: U32x16) -> F32x16 {
    #if CFSP_AVX512BF16
    return cfsp_dpbf16(acc, a, b)
    #else
    let aLow = unsafeBitCast(a &<< 16, to: F32x16.self), aHigh = unsafeBitCast(a & 0xFFFF_0000, to: F32x16.self)
    let bLow = unsafeBitCast(b &<< 16, to: F32x16.self), bHigh = unsafeBitCast(b & 0xFFFF_0000, to: F32x16.self)
    return multiplyAdd(multiplyAdd(acc, aLow, bLow), aHigh, bHigh)
    #endif
}

@inline(__always)
func loadF32x16(_ pointer: UnsafePointer<Float>) -> F32x16 {
    UnsafeRawPointer(pointer).loadUnaligned(as: F32x16.self)
}

@inline(__always)
func loadU32x16(_ pointer: UnsafePointer<UInt32>) -> U32x16 {
    UnsafeRawPointer(pointer).loadUnaligned(as: U32x16.self)
}

/// Writes one 32-wide row of a tile: c[0..<columns] = (add ? c : 0) + (low ++ high).
@inline(__always)
func storeTileRow(_ c: UnsafeMutablePointer<Float>, _ low: F32x16, _ high: F32x16, columns: Int, add: Bool) {
    if columns == GemmTile.columns {
        let raw = UnsafeMutableRawPointer(c)
        if add {
            raw.storeBytes(of: loadF32x16(c) + low, as: F32x16.self)
            raw.storeBytes(of: loadF32x16(c + 16) + high, toByteOffset: 64, as: F32x16.self)
        } else {
            raw.storeBytes(of: low, as: F32x16.self)
            raw.storeBytes(of: high, toByteOffset: 64, as: F32x16.self)
        }
        return
    }
    for j in 0..<min(columns, 16) { c[j] = add ? c[j] + low[j] : low[j] }
    if columns > 16 {
        for j in 16..<columns { c[j] = add ? c[j] + high[j - 16] : high[j - 16] }
    }
}

/// C tile (rows x columns, rows <= 8, columns <= 32) (+)= A[rows x kc] * panel, f32.
/// `a` points at A[row 0][k0] with row stride `lda`; `panel` at the packed panel's k0 (32
/// floats per k). Rows past `rows` repeat the last row (computed, never stored). Each output is
/// summed over k in increasing order, then added to C when `add`.
@inline(never)
func gemmMicroKernelF32(
    a: UnsafePointer<Float>, lda: Int, rows: Int, panel: UnsafePointer<Float>, kc: Int,
    c: UnsafeMutablePointer<Float>, ldc: Int, columns: Int, add: Bool
) {
    let a0 = a
    let a1 = rows > 1 ? a0 + lda : a0
    let a2 = rows > 2 ? a1 + lda : a1
    let a3 = rows > 3 ? a2 + lda : a2
    let a4 = rows > 4 ? a3 + lda : a3
    let a5 = rows > 5 ? a4 + lda : a4
    let a6 = rows > 6 ? a5 + lda : a5
    let a7 = rows > 7 ? a6 + lda : a6
    var c00 = F32x16(), c01 = F32x16(), c10 = F32x16(), c11 = F32x16()
    var c20 = F32x16(), c21 = F32x16(), c30 = F32x16(), c31 = F32x16()
    var c40 = F32x16(), c41 = F32x16(), c50 = F32x16(), c51 = F32x16()
    var c60 = F32x16(), c61 = F32x16(), c70 = F32x16(), c71 = F32x16()
    var b = panel
    for k in 0..<kc {
        let b0 = loadF32x16(b), b1 = loadF32x16(b + 16)
        var x = F32x16(repeating: a0[k])
        c00 = multiplyAdd(c00, x, b0); c01 = multiplyAdd(c01, x, b1)
        x = F32x16(repeating: a1[k])
        c10 = multiplyAdd(c10, x, b0); c11 = multiplyAdd(c11, x, b1)
        x = F32x16(repeating: a2[k])
        c20 = multiplyAdd(c20, x, b0); c21 = multiplyAdd(c21, x, b1)
        x = F32x16(repeating: a3[k])
        c30 = multiplyAdd(c30, x, b0); c31 = multiplyAdd(c31, x, b1)
        x = F32x16(repeating: a4[k])
        c40 = multiplyAdd(c40, x, b0); c41 = multiplyAdd(c41, x, b1)
        x = F32x16(repeating: a5[k])
        c50 = multiplyAdd(c50, x, b0); c51 = multiplyAdd(c51, x, b1)
        x = F32x16(repeating: a6[k])
        c60 = multiplyAdd(c60, x, b0); c61 = multiplyAdd(c61, x, b1)
        x = F32x16(repeating: a7[k])
        c70 = multiplyAdd(c70, x, b0); c71 = multiplyAdd(c71, x, b1)
        b += GemmTile.columns
    }
    storeTile(c, ldc: ldc, rows: rows, columns: columns, add: add,
              c00, c01, c10, c11, c20, c21, c30, c31, c40, c41, c50, c51, c60, c61, c70, c71)
}

/// C tile (rows x columns) (+)= A * panel over bf16 pairs: `a` points at row 0 of A already
/// converted to bf16 pairs (row stride `ldaPairs` u32), `panel` at the packed bf16 panel's
/// first pair of the block; `pairs` k pairs are summed (f32 accumulation) in increasing order.
@inline(never)
func gemmMicroKernelBF16(
    a: UnsafePointer<UInt32>, ldaPairs: Int, rows: Int, panel: UnsafePointer<UInt32>, pairs: Int,
    c: UnsafeMutablePointer<Float>, ldc: Int, columns: Int, add: Bool
) {
    let a0 = a
    let a1 = rows > 1 ? a0 + ldaPairs : a0
    let a2 = rows > 2 ? a1 + ldaPairs : a1
    let a3 = rows > 3 ? a2 + ldaPairs : a2
    let a4 = rows > 4 ? a3 + ldaPairs : a3
    let a5 = rows > 5 ? a4 + ldaPairs : a4
    let a6 = rows > 6 ? a5 + ldaPairs : a5
    let a7 = rows > 7 ? a6 + ldaPairs : a6
    var c00 = F32x16(), c01 = F32x16(), c10 = F32x16(), c11 = F32x16()
    var c20 = F32x16(), c21 = F32x16(), c30 = F32x16(), c31 = F32x16()
    var c40 = F32x16(), c41 = F32x16(), c50 = F32x16(), c51 = F32x16()
    var c60 = F32x16(), c61 = F32x16(), c70 = F32x16(), c71 = F32x16()
    var b = panel
    for q in 0..<pairs {
        let b0 = loadU32x16(b), b1 = loadU32x16(b + 16)
        var x = U32x16(repeating: a0[q])
        c00 = dotBF16Pairs(c00, x, b0); c01 = dotBF16Pairs(c01, x, b1)
        x = U32x16(repeating: a1[q])
        c10 = dotBF16Pairs(c10, x, b0); c11 = dotBF16Pairs(c11, x, b1)
        x = U32x16(repeating: a2[q])
        c20 = dotBF16Pairs(c20, x, b0); c21 = dotBF16Pairs(c21, x, b1)
        x = U32x16(repeating: a3[q])
        c30 = dotBF16Pairs(c30, x, b0); c31 = dotBF16Pairs(c31, x, b1)
        x = U32x16(repeating: a4[q])
        c40 = dotBF16Pairs(c40, x, b0); c41 = dotBF16Pairs(c41, x, b1)
        x = U32x16(repeating: a5[q])
        c50 = dotBF16Pairs(c50, x, b0); c51 = dotBF16Pairs(c51, x, b1)
        x = U32x16(repeating: a6[q])
        c60 = dotBF16Pairs(c60, x, b0); c61 = dotBF16Pairs(c61, x, b1)
        x = U32x16(repeating: a7[q])
        c70 = dotBF16Pairs(c70, x, b0); c71 = dotBF16Pairs(c71, x, b1)
        b += GemmTile.columns
    }
    storeTile(c, ldc: ldc, rows: rows, columns: columns, add: add,
              c00, c01, c10, c11, c20, c21, c30, c31, c40, c41, c50, c51, c60, c61, c70, c71)
}

/// `gemmMicroKernelF32` for at most 4 rows (small m, row tails): half the accumulators, so no
/// work is wasted on repeated rows. Same per-element summation order as the 8-row kernel.
@inline(never)
func gemmMicroKernelF32x4(
    a: UnsafePointer<Float>, lda: Int, rows: Int, panel: UnsafePointer<Float>, kc: Int,
    c: UnsafeMutablePointer<Float>, ldc: Int, columns: Int, add: Bool
) {
    let a0 = a
    let a1 = rows > 1 ? a0 + lda : a0
    let a2 = rows > 2 ? a1 + lda : a1
    let a3 = rows > 3 ? a2 + lda : a2
    var c00 = F32x16(), c01 = F32x16(), c10 = F32x16(), c11 = F32x16()
    var c20 = F32x16(), c21 = F32x16(), c30 = F32x16(), c31 = F32x16()
    var b = panel
    for k in 0..<kc {
        let b0 = loadF32x16(b), b1 = loadF32x16(b + 16)
        var x = F32x16(repeating: a0[k])
        c00 = multiplyAdd(c00, x, b0); c01 = multiplyAdd(c01, x, b1)
        x = F32x16(repeating: a1[k])
        c10 = multiplyAdd(c10, x, b0); c11 = multiplyAdd(c11, x, b1)
        x = F32x16(repeating: a2[k])
        c20 = multiplyAdd(c20, x, b0); c21 = multiplyAdd(c21, x, b1)
        x = F32x16(repeating: a3[k])
        c30 = multiplyAdd(c30, x, b0); c31 = multiplyAdd(c31, x, b1)
        b += GemmTile.columns
    }
    storeTileRow(c, c00, c01, columns: columns, add: add)
    if rows > 1 { storeTileRow(c + ldc, c10, c11, columns: columns, add: add) }
    if rows > 2 { storeTileRow(c + 2 * ldc, c20, c21, columns: columns, add: add) }
    if rows > 3 { storeTileRow(c + 3 * ldc, c30, c31, columns: columns, add: add) }
}

/// `gemmMicroKernelBF16` for at most 4 rows (small m, row tails).
@inline(never)
func gemmMicroKernelBF16x4(
    a: UnsafePointer<UInt32>, ldaPairs: Int, rows: Int, panel: UnsafePointer<UInt32>, pairs: Int,
    c: UnsafeMutablePointer<Float>, ldc: Int, columns: Int, add: Bool
) {
    let a0 = a
    let a1 = rows > 1 ? a0 + ldaPairs : a0
    let a2 = rows > 2 ? a1 + ldaPairs : a1
    let a3 = rows > 3 ? a2 + ldaPairs : a2
    var c00 = F32x16(), c01 = F32x16(), c10 = F32x16(), c11 = F32x16()
    var c20 = F32x16(), c21 = F32x16(), c30 = F32x16(), c31 = F32x16()
    var b = panel
    for q in 0..<pairs {
        let b0 = loadU32x16(b), b1 = loadU32x16(b + 16)
        var x = U32x16(repeating: a0[q])
        c00 = dotBF16Pairs(c00, x, b0); c01 = dotBF16Pairs(c01, x, b1)
        x = U32x16(repeating: a1[q])
        c10 = dotBF16Pairs(c10, x, b0); c11 = dotBF16Pairs(c11, x, b1)
        x = U32x16(repeating: a2[q])
        c20 = dotBF16Pairs(c20, x, b0); c21 = dotBF16Pairs(c21, x, b1)
        x = U32x16(repeating: a3[q])
        c30 = dotBF16Pairs(c30, x, b0); c31 = dotBF16Pairs(c31, x, b1)
        b += GemmTile.columns
    }
    storeTileRow(c, c00, c01, columns: columns, add: add)
    if rows > 1 { storeTileRow(c + ldc, c10, c11, columns: columns, add: add) }
    if rows > 2 { storeTileRow(c + 2 * ldc, c20, c21, columns: columns, add: add) }
    if rows > 3 { storeTileRow(c + 3 * ldc, c30, c31, columns: columns, add: add) }
}

/// Stores the first `rows` rows of an 8 x 32 accumulator tile.
@inline(__always)
func storeTile(
    _ c: UnsafeMutablePointer<Float>, ldc: Int, rows: Int, columns: Int, add: Bool,
    _ c00: F32x16, _ c01: F32x16, _ c10: F32x16, _ c11: F32x16,
    _ c20: F32x16, _ c21: F32x16, _ c30: F32x16, _ c31: F32x16,
    _ c40: F32x16, _ c41: F32x16, _ c50: F32x16, _ c51: F32x16,
    _ c60: F32x16, _ c61: F32x16, _ c70: F32x16, _ c71: F32x16
) {
    storeTileRow(c, c00, c01, columns: columns, add: add)
    if rows > 1 { storeTileRow(c + ldc, c10, c11, columns: columns, add: add) }
    if rows > 2 { storeTileRow(c + 2 * ldc, c20, c21, columns: columns, add: add) }
    if rows > 3 { storeTileRow(c + 3 * ldc, c30, c31, columns: columns, add: add) }
    if rows > 4 { storeTileRow(c + 4 * ldc, c40, c41, columns: columns, add: add) }
    if rows > 5 { storeTileRow(c + 5 * ldc, c50, c51, columns: columns, add: add) }
    if rows > 6 { storeTileRow(c + 6 * ldc, c60, c61, columns: columns, add: add) }
    if rows > 7 { storeTileRow(c + 7 * ldc, c70, c71, columns: columns, add: add) }
}
