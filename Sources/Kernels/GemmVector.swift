/// y[N] (+)= W x for one activation row (m == 1, token-by-token decoding): memory-bound, so it
/// streams each packed panel once, with four independent accumulator pairs (k mod 4) to hide
/// FMA latency; they are combined in a fixed order, so results do not depend on the split.
func gemv(_ x: UnsafePointer<Float>, weights: PackedWeights, into y: UnsafeMutablePointer<Float>,
          accumulate: Bool, pool: ThreadPool) {
    let n = weights.rows, k = weights.cols
    let panels = weights.panelCount
    let items = (panels + GemvPlan.panelsPerItem - 1) / GemvPlan.panelsPerItem
    switch weights.precision {
    case .native:
        gemvNative(x, weights: weights, into: y, accumulate: accumulate, pool: pool)
    case .f32:
        weights.f32Panels.withUnsafeBufferPointer { storage in
            guard let packed = storage.baseAddress else { return }
            pool.parallelFor(items) { item in
                let first = item * GemvPlan.panelsPerItem
                for panel in first..<min(panels, first + GemvPlan.panelsPerItem) {
                    let start = panel * GemmTile.columns
                    gemvPanelF32(x, panel: packed + panel * k * GemmTile.columns, k: k, y: y + start,
                                 columns: min(GemmTile.columns, n - start), add: accumulate)
                }
            }
        }
    case .bf16:
        let pairs = weights.pairCount
        let xPairs = UnsafeMutablePointer<UInt32>.allocate(capacity: pairs)
        defer { xPairs.deallocate() }
        packRowsAsBF16Pairs(x, lda: k, rows: 1, count: k, into: xPairs, ldPairs: pairs)
        let xPacked = UnsafePointer(xPairs)
        weights.bf16Panels.withUnsafeBufferPointer { storage in
            guard let packed = storage.baseAddress else { return }
            pool.parallelFor(items) { item in
                let first = item * GemvPlan.panelsPerItem
                for panel in first..<min(panels, first + GemvPlan.panelsPerItem) {
                    let start = panel * GemmTile.columns
                    gemvPanelBF16(xPacked, panel: packed + panel * weights.pairStride * GemmTile.columns, pairs: pairs,
                                  y: y + start, columns: min(GemmTile.columns, n - start), add: accumulate)
                }
            }
        }
    }
}

enum GemvPlan {
    /// Panels (of 32 outputs) per work item.
    static let panelsPerItem = 4
}

/// One panel of the f32 GEMV: 32 outputs over all k.
@inline(never)
func gemvPanelF32(_ x: UnsafePointer<Float>, panel: UnsafePointer<Float>, k: Int,
                  y: UnsafeMutablePointer<Float>, columns: Int, add: Bool) {
    var s00 = F32x16(), s01 = F32x16(), s10 = F32x16(), s11 = F32x16()
    var s20 = F32x16(), s21 = F32x16(), s30 = F32x16(), s31 = F32x16()
    var b = panel
    var index = 0
    let width = GemmTile.columns
    while index + 4 <= k {
        var v = F32x16(repeating: x[index])
        s00 = multiplyAdd(s00, v, loadF32x16(b)); s01 = multiplyAdd(s01, v, loadF32x16(b + 16))
        v = F32x16(repeating: x[index + 1])
        s10 = multiplyAdd(s10, v, loadF32x16(b + width)); s11 = multiplyAdd(s11, v, loadF32x16(b + width + 16))
        v = F32x16(repeating: x[index + 2])
        s20 = multiplyAdd(s20, v, loadF32x16(b + 2 * width)); s21 = multiplyAdd(s21, v, loadF32x16(b + 2 * width + 16))
        v = F32x16(repeating: x[index + 3])
        s30 = multiplyAdd(s30, v, loadF32x16(b + 3 * width)); s31 = multiplyAdd(s31, v, loadF32x16(b + 3 * width + 16))
        b += 4 * width
        index += 4
    }
    while index < k {
        let v = F32x16(repeating: x[index])
        s00 = multiplyAdd(s00, v, loadF32x16(b)); s01 = multiplyAdd(s01, v, loadF32x16(b + 16))
        b += width
        index += 1
    }
    storeTileRow(y, (s00 + s10) + (s20 + s30), (s01 + s11) + (s21 + s31), columns: columns, add: add)
}

/// One panel of the bf16 GEMV: 32 outputs over all k pairs (x already in bf16 pairs).
@inline(never)
func gemvPanelBF16(_ x: UnsafePointer<UInt32>, panel: UnsafePointer<UInt32>, pairs: Int,
                   y: UnsafeMutablePointer<Float>, columns: Int, add: Bool) {
    var s00 = F32x16(), s01 = F32x16(), s10 = F32x16(), s11 = F32x16()
    var s20 = F32x16(), s21 = F32x16(), s30 = F32x16(), s31 = F32x16()
    var b = panel
    var index = 0
    let width = GemmTile.columns
    while index + 4 <= pairs {
        var v = U32x16(repeating: x[index])
        s00 = dotBF16Pairs(s00, v, loadU32x16(b)); s01 = dotBF16Pairs(s01, v, loadU32x16(b + 16))
        v = U32x16(repeating: x[index + 1])
        s10 = dotBF16Pairs(s10, v, loadU32x16(b + width)); s11 = dotBF16Pairs(s11, v, loadU32x16(b + width + 16))
        v = U32x16(repeating: x[index + 2])
        s20 = dotBF16Pairs(s20, v, loadU32x16(b + 2 * width)); s21 = dotBF16Pairs(s21, v, loadU32x16(b + 2 * width + 16))
        v = U32x16(repeating: x[index + 3])
        s30 = dotBF16Pairs(s30, v, loadU32x16(b + 3 * width)); s31 = dotBF16Pairs(s31, v, loadU32x16(b + 3 * width + 16))
        b += 4 * width
        index += 4
    }
    while index < pairs {
        let v = U32x16(repeating: x[index])
        s00 = dotBF16Pairs(s00, v, loadU32x16(b)); s01 = dotBF16Pairs(s01, v, loadU32x16(b + 16))
        b += width
        index += 1
    }
    storeTileRow(y, (s00 + s10) + (s20 + s30), (s01 + s11) + (s21 + s31), columns: columns, add: add)
}
