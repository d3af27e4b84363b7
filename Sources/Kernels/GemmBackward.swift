/// Weight-gradient GEMM for fine-tuning: C[m x n] (+)= Aᵀ B, where A is k x m and B is k x n,
/// both row-major with row strides `lda` and `ldb` — the reduction runs over the k rows (the
/// tokens). This is how a linear layer's weight gradient dW = dYᵀ X is formed. Both operands are
/// transposed into scratch once, then `matmulTransposed` runs, so the result is bit-identical for
/// any thread count. C must not overlap A or B.
public func matmulTransposedLeft(m: Int, n: Int, k: Int, a: UnsafePointer<Float>, lda: Int,
                                 b: UnsafePointer<Float>, ldb: Int, c: UnsafeMutablePointer<Float>, ldc: Int,
                                 accumulate: Bool = false, pool: ThreadPool) {
    precondition(m >= 0 && n >= 0 && k >= 0 && lda >= m && ldb >= n && ldc >= n,
                 "matmulTransposedLeft: need non-negative sizes, lda >= m (\(m)), ldb and ldc >= n (\(n))")
    if m == 0 || n == 0 { return }
    let at = UnsafeMutablePointer<Float>.allocate(capacity: Swift.max(1, m * k))
    let bt = UnsafeMutablePointer<Float>.allocate(capacity: Swift.max(1, n * k))
    defer {
        at.deallocate()
        bt.deallocate()
    }
    transposeMatrix(a, rows: k, cols: m, lda: lda, into: at)
    transposeMatrix(b, rows: k, cols: n, lda: ldb, into: bt)
    matmulTransposed(m: m, n: n, k: k, a: at, lda: Swift.max(k, 1), b: bt, ldb: Swift.max(k, 1),
                     c: c, ldc: ldc, accumulate: accumulate, pool: pool)
}

/// Writes the transpose of a rows x cols row-major matrix (row stride `lda`) into `output`
/// (cols x rows, dense). Tiled in 16 x 16 blocks so both sides stay in cache.
public func transposeMatrix(_ input: UnsafePointer<Float>, rows: Int, cols: Int, lda: Int,
                            into output: UnsafeMutablePointer<Float>) {
    let tile = 16
    var r0 = 0
    while r0 < rows {
        let r1 = Swift.min(rows, r0 + tile)
        var c0 = 0
        while c0 < cols {
            let c1 = Swift.min(cols, c0 + tile)
            for r in r0..<r1 {
                let source = input + r * lda
                for c in c0..<c1 { output[c * rows + r] = source[c] }
            }
            c0 = c1
        }
        r0 = r1
    }
}
