/// Backward pass of `softmaxRows` for fine-tuning: given the softmax output y and the upstream
/// gradient, writes grad[r][c] = y[r][c] * (gradOut[r][c] - sum_c gradOut[r][c] * y[r][c]).
/// The row sum accumulates in f32 lanes (`dot`). `gradInput` may alias `gradOut`.
public func softmaxRowsBackward(output y: UnsafePointer<Float>, gradOut: UnsafePointer<Float>, rows: Int,
                                cols: Int, gradInput: UnsafeMutablePointer<Float>) {
    if cols <= 0 { return }
    for r in 0..<Swift.max(0, rows) {
        let probabilities = y + r * cols
        let upstream = gradOut + r * cols
        let target = gradInput + r * cols
        let weighted = dot(upstream, probabilities, count: cols)
        let weightedVector = SIMD16<Float>(repeating: weighted)
        var c = 0
        while c + 16 <= cols {
            OpsSIMD.store(OpsSIMD.load(probabilities + c) * (OpsSIMD.load(upstream + c) - weightedVector), target + c)
            c += 16
        }
        while c < cols {
            target[c] = probabilities[c] * (upstream[c] - weighted)
            c += 1
        }
    }
}
