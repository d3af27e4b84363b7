import Kernels

/// Forward and backward of one frozen linear layer with its LoRA adapter:
/// y = x Wᵀ + s (x Aᵀ) Bᵀ. The adapter's parameters and gradients live in flat vectors.
struct LoRALinearPass {
    let frozen: FrozenLinear
    let layout: LoRAAdapterLayout
    let parameters: UnsafeMutablePointer<Float>
    let gradients: UnsafeMutablePointer<Float>
    let pool: ThreadPool

    /// y (+)= x Wᵀ + s (x Aᵀ) Bᵀ for `tokens` rows; leaves s x Aᵀ in `adapterActivation`
    /// (tokens x rank) for the backward pass.
    func forward(_ x: UnsafePointer<Float>, tokens: Int, into y: UnsafeMutablePointer<Float>, accumulate: Bool,
                 adapterActivation xa: UnsafeMutablePointer<Float>) {
        matmul(x, rows: tokens, lda: layout.inputs, weights: frozen.forward, into: y, ldc: layout.outputs,
               accumulate: accumulate, pool: pool)
        addAdapter(x, tokens: tokens, into: y, adapterActivation: xa)
    }

    /// y += s (x Aᵀ) Bᵀ, the adapter's part of `forward` (for a y that already holds x Wᵀ);
    /// leaves s x Aᵀ in `adapterActivation`.
    func addAdapter(_ x: UnsafePointer<Float>, tokens: Int, into y: UnsafeMutablePointer<Float>,
                    adapterActivation xa: UnsafeMutablePointer<Float>) {
        let r = layout.rank, n = layout.inputs, m = layout.outputs
        if r == 0 { return }
        matmulTransposed(m: tokens, n: r, k: n, a: x, lda: n, b: parameters + layout.aOffset, ldb: n,
                         c: xa, ldc: r, pool: pool)
        let s = layout.scaling
        for i in 0..<(tokens * r) { xa[i] *= s }
        matmulTransposed(m: tokens, n: m, k: r, a: xa, lda: r, b: parameters + layout.bOffset, ldb: r,
                         c: y, ldc: m, accumulate: true, pool: pool)
    }

    /// Given dY, adds the adapter's gradients (dB += dYᵀ (s x Aᵀ), dA += (s dY B)ᵀ x) and writes
    /// (or adds, when `accumulate`) dX = dY W + s (dY B) A. `scratch` holds tokens x rank,
    /// `transposeScratch` rank x max(inputs, outputs).
    func backward(gradOut dy: UnsafePointer<Float>, input x: UnsafePointer<Float>, tokens: Int,
                  adapterActivation xa: UnsafePointer<Float>, gradInput dx: UnsafeMutablePointer<Float>,
                  accumulate: Bool, scratch dxa: UnsafeMutablePointer<Float>,
                  transposeScratch: UnsafeMutablePointer<Float>) {
        let r = layout.rank, n = layout.inputs, m = layout.outputs
        matmul(dy, rows: tokens, lda: m, weights: frozen.backward, into: dx, ldc: n, accumulate: accumulate, pool: pool)
        if r == 0 { return }
        let a = parameters + layout.aOffset, b = parameters + layout.bOffset
        matmulTransposedLeft(m: m, n: r, k: tokens, a: dy, lda: m, b: xa, ldb: r,
                             c: gradients + layout.bOffset, ldc: r, accumulate: true, pool: pool)
        transposeMatrix(b, rows: m, cols: r, lda: r, into: transposeScratch)
        matmulTransposed(m: tokens, n: r, k: m, a: dy, lda: m, b: transposeScratch, ldb: m, c: dxa, ldc: r, pool: pool)
        let s = layout.scaling
        for i in 0..<(tokens * r) { dxa[i] *= s }
        matmulTransposedLeft(m: r, n: n, k: tokens, a: dxa, lda: r, b: x, ldb: n,
                             c: gradients + layout.aOffset, ldc: n, accumulate: true, pool: pool)
        transposeMatrix(a, rows: r, cols: n, lda: n, into: transposeScratch)
        matmulTransposed(m: tokens, n: n, k: r, a: dxa, lda: r, b: transposeScratch, ldb: r, c: dx, ldc: n,
                         accumulate: true, pool: pool)
    }
}
