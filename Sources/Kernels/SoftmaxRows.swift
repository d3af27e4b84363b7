/// In-place, numerically stable softmax of each row of a (rows x cols) matrix:
/// x[r][c] = exp(x[r][c] - max_r) / sum_c exp(x[r][c] - max_r).
///
/// Subtracting the row maximum keeps every exponent <= 0, so large inputs never overflow.
/// The sum accumulates in f32 (16 lanes, fixed order). Entries of -inf (masked) become 0;
/// a row that is entirely -inf becomes all zeros (nothing to attend to) instead of NaN.
public func softmaxRows(_ x: UnsafeMutablePointer<Float>, rows: Int, cols: Int) {
    if cols <= 0 { return }
    for r in 0..<Swift.max(0, rows) {
        let row = x + r * cols
        let maximum = softmaxRowMaximum(row, count: cols)
        if maximum == -.infinity {
            row.update(repeating: 0, count: cols)
            continue
        }
        let total = softmaxExponentiate(row, count: cols, minus: maximum)
        softmaxScale(row, count: cols, by: 1 / total)
    }
}

/// Largest of `count` floats (exact, independent of order); -inf for count = 0.
///
/// Lane-wise ternaries rather than `pointwiseMax`, which is a non-inlined generic call; kept
/// out of line so the small loop is vectorized (vmaxps) whatever the caller looks like.
@inline(never)
func softmaxRowMaximum(_ row: UnsafePointer<Float>, count: Int) -> Float {
    var best = SIMD16<Float>(repeating: -.infinity)
    var i = 0
    while i + 16 <= count {
        let values = OpsSIMD.load(row + i)
        for lane in 0..<16 { best[lane] = values[lane] > best[lane] ? values[lane] : best[lane] }
        i += 16
    }
    var result = -Float.infinity
    for lane in 0..<16 { result = best[lane] > result ? best[lane] : result }
    while i < count {
        result = row[i] > result ? row[i] : result
        i += 1
    }
    return result
}

/// Replaces row[i] by exp(row[i] - shift) for i < count and returns their sum, accumulated in
/// f32 lanes in a fixed order.
@inline(__always)
func softmaxExponentiate(_ row: UnsafeMutablePointer<Float>, count: Int, minus shift: Float) -> Float {
    let shiftVector = SIMD16<Float>(repeating: shift)
    var total = SIMD16<Float>()
    var i = 0
    while i + 16 <= count {
        let e = OpsExp.exp(OpsSIMD.load(row + i) - shiftVector)
        OpsSIMD.store(e, row + i)
        total += e
        i += 16
    }
    if i < count {
        let tail = count - i
        let e = OpsExp.expTail(row + i, count: tail, minus: shift)
        for lane in 0..<tail { row[i + lane] = e[lane] }
        total += e
    }
    return OpsSIMD.sum(total)
}

/// Multiplies `count` floats by `factor` in place.
@inline(__always)
func softmaxScale(_ row: UnsafeMutablePointer<Float>, count: Int, by factor: Float) {
    let factorVector = SIMD16<Float>(repeating: factor)
    var i = 0
    while i + 16 <= count {
        OpsSIMD.store(OpsSIMD.load(row + i) * factorVector, row + i)
        i += 16
    }
    while i < count {
        row[i] *= factor
        i += 1
    }
}
