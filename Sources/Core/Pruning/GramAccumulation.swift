import Kernels

/// Adds one window's z^T z (z: tokens x width, row-major, f32) to a block's Gram matrix.
///
/// The product is one call of the f32 GEMM kernel over the transposed activations (the full
/// width x width product: computing only the triangle in bands measured slower, as every band
/// repacks its operand and runs on one thread). Each window's f32 sums (over at most one
/// window's tokens) are then added into the f64 triangle, rows split over the pool, so memory
/// stays size x (size + 1) / 2 doubles however many windows stream through, and the result is
/// bit-identical for any thread count (the kernel is).
struct GramAccumulation {
    /// Scratch reused across windows and blocks (grown to the largest request).
    private var transposed: [Float] = []
    private var product: [Float] = []

    mutating func add(_ z: UnsafePointer<Float>, tokens: Int, into gram: inout GramMatrix, pool: ThreadPool) {
        let n = gram.size
        guard tokens > 0, n > 0 else { return }
        if transposed.count < n * tokens { transposed = Array(repeating: 0, count: n * tokens) }
        if product.count < n * n { product = Array(repeating: 0, count: n * n) }
        transposed.withUnsafeMutableBufferPointer { zt in
            product.withUnsafeMutableBufferPointer { c in
                let zt = zt.baseAddress!, c = c.baseAddress!
                transposeMatrix(z, rows: tokens, cols: n, lda: n, into: zt)
                matmulTransposed(m: n, n: n, k: tokens, a: zt, lda: tokens, b: zt, ldb: tokens, c: c, ldc: n, pool: pool)
                gram.packed.withUnsafeMutableBufferPointer { g in
                    let g = g.baseAddress!
                    let chunk = 64
                    pool.parallelFor((n + chunk - 1) / chunk) { part in
                        for i in (part * chunk)..<min(n, (part + 1) * chunk) {
                            let row = g + (i * n - i * (i - 1) / 2)
                            let source = c + i * n + i  // row i from the diagonal on
                            for j in 0..<(n - i) { row[j] += Double(source[j]) }
                        }
                    }
                }
            }
        }
    }
}
