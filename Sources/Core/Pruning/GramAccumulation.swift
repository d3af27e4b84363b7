import Kernels

/// Adds one window's z^T z (z: tokens x width, row-major, f32) to a block's Gram matrix.
///
/// The product runs on the f32 GEMM kernel over the transposed activations, in row bands of
/// `band` rows against the columns from the band's first row on, so only the upper triangle
/// (plus the bands' lower corners) is computed: about 54 % of the full product's work. The
/// bands are spread over the pool, one band per task (the kernel runs single-threaded inside,
/// so a window costs one synchronisation per block). Each window's f32 sums (over at most one
/// window's tokens) are added into the f64 triangle, so memory stays size x (size + 1) / 2
/// doubles however many windows stream through, and the result is bit-identical for any
/// thread count (each entry is computed by the same kernel call, whichever thread runs it).
struct GramAccumulation {
    static let band = 128

    /// Scratch reused across windows and blocks (grown to the largest request).
    private var transposed: [Float] = []
    private var products: [Float] = []

    mutating func add(_ z: UnsafePointer<Float>, tokens: Int, into gram: inout GramMatrix, pool: ThreadPool) {
        let n = gram.size
        guard tokens > 0, n > 0 else { return }
        let band = Self.band
        let bands = (n + band - 1) / band
        if transposed.count < n * tokens { transposed = Array(repeating: 0, count: n * tokens) }
        if products.count < bands * band * n { products = Array(repeating: 0, count: bands * band * n) }
        transposed.withUnsafeMutableBufferPointer { zt in
            products.withUnsafeMutableBufferPointer { c in
                let zt = zt.baseAddress!, c = c.baseAddress!
                transposeMatrix(z, rows: tokens, cols: n, lda: n, into: zt)
                gram.packed.withUnsafeMutableBufferPointer { g in
                    let g = g.baseAddress!
                    pool.parallelFor(bands) { index in
                        let r0 = index * band
                        let rows = min(band, n - r0), columns = n - r0
                        let product = c + index * band * n
                        // C[rows x columns] = zT[r0..<r0+rows] * zT[r0..<n]^T (serial: nested in the pool).
                        matmulTransposed(m: rows, n: columns, k: tokens, a: zt + r0 * tokens, lda: tokens,
                                         b: zt + r0 * tokens, ldb: tokens, c: product, ldc: columns, pool: pool)
                        for r in 0..<rows {
                            let i = r0 + r
                            let row = g + (i * n - i * (i - 1) / 2)
                            let source = product + r * columns + r  // column i, the diagonal
                            for j in 0..<(n - i) { row[j] += Double(source[j]) }
                        }
                    }
                }
            }
        }
    }
}
