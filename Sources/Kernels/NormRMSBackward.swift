/// Backward pass of `rmsNorm` for fine-tuning. With g = gradOut * weight and
/// s = 1 / sqrt(mean(x^2) + eps) per row:
/// gradInput = s * g - x * s^3 * (g . x) / cols, and, when `gradWeight` is given,
/// gradWeight[c] += sum over rows of gradOut[r][c] * x[r][c] * s_r (rows added in order, so the
/// result is deterministic). Sums accumulate in f32 lanes like the forward pass.
/// `gradInput` may alias `gradOut`, `x`, or both: each row's dot product and weight gradient
/// are taken before any of the row is written, and the final pass reads element c of x and
/// gradOut just before it writes element c of gradInput. (`gradWeight` must not alias
/// anything.) So after an in-place per-head norm (Qwen3 / Gemma 3 query-key norm: rows =
/// tokens * heads, cols = headDim), the gradient can overwrite gradOut in place; the norm's
/// input itself must be kept, since the backward needs it.
public func rmsNormBackward(_ x: UnsafePointer<Float>, rows: Int, cols: Int, weight: UnsafePointer<Float>,
                            eps: Float, gradOut: UnsafePointer<Float>,
                            gradInput: UnsafeMutablePointer<Float>,
                            gradWeight: UnsafeMutablePointer<Float>? = nil) {
    if cols <= 0 { return }
    for r in 0..<Swift.max(0, rows) {
        let source = x + r * cols
        let upstream = gradOut + r * cols
        let target = gradInput + r * cols
        let scale = 1 / (sumOfSquares(source, count: cols) / Float(cols) + eps).squareRoot()

        // (gradOut * weight) . x, and the weight gradient, before gradInput overwrites gradOut.
        var projection = SIMD16<Float>()
        var c = 0
        while c + 16 <= cols {
            let xs = OpsSIMD.load(source + c)
            let gs = OpsSIMD.load(upstream + c)
            projection.addProduct(gs * OpsSIMD.load(weight + c), xs)
            if let gradWeight {
                OpsSIMD.store(OpsSIMD.load(gradWeight + c).addingProduct(gs * xs, SIMD16(repeating: scale)),
                              gradWeight + c)
            }
            c += 16
        }
        var dotGX = OpsSIMD.sum(projection)
        while c < cols {
            dotGX = dotGX.addingProduct(upstream[c] * weight[c], source[c])
            if let gradWeight { gradWeight[c] = gradWeight[c].addingProduct(upstream[c] * source[c], scale) }
            c += 1
        }

        let coefficient = scale * scale * scale * dotGX / Float(cols)
        let scaleVector = SIMD16<Float>(repeating: scale)
        let coefficientVector = SIMD16<Float>(repeating: coefficient)
        c = 0
        while c + 16 <= cols {
            let g = OpsSIMD.load(upstream + c) * OpsSIMD.load(weight + c)
            OpsSIMD.store(g * scaleVector - OpsSIMD.load(source + c) * coefficientVector, target + c)
            c += 16
        }
        while c < cols {
            target[c] = upstream[c] * weight[c] * scale - source[c] * coefficient
            c += 1
        }
    }
}
