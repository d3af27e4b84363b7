/// RMSNorm of each row of a (rows x cols) matrix, as in LLaMA:
/// out[r][c] = x[r][c] / sqrt(mean_c(x[r]^2) + eps) * weight[c].
///
/// The mean of squares accumulates in f32 lanes (`sumOfSquares`), as Hugging Face computes it
/// in float32. `out` may alias `x`: a row is read fully before any of it is written, so the
/// per-head query/key norm of Qwen3 and Gemma 3 runs in place on (tokens * heads) x headDim
/// rows with one headDim weight.
public func rmsNorm(_ x: UnsafePointer<Float>, rows: Int, cols: Int, weight: UnsafePointer<Float>,
                    eps: Float, into out: UnsafeMutablePointer<Float>) {
    if cols <= 0 { return }
    for r in 0..<Swift.max(0, rows) {
        let source = x + r * cols
        let target = out + r * cols
        let meanSquare = sumOfSquares(source, count: cols) / Float(cols)
        let inverse = 1 / (meanSquare + eps).squareRoot()
        let inverseVector = SIMD16<Float>(repeating: inverse)
        var c = 0
        while c + 16 <= cols {
            OpsSIMD.store(OpsSIMD.load(source + c) * inverseVector * OpsSIMD.load(weight + c), target + c)
            c += 16
        }
        while c < cols {
            target[c] = source[c] * inverse * weight[c]
            c += 1
        }
    }
}
