import Kernels

/// Adds one window's z^T z (z: tokens x width, row-major, f32) to a block's Gram matrix.
///
/// The product runs on the f32 GEMM kernel over the transposed activations, in row bands of
/// `band` rows against the columns from the band's first row on, so only the upper triangle
/// (plus the bands' lower corners) is computed: about 54 % of the full product's work. Each
/// window's f32 sums (over at most one window's tokens) are added into the f64 triangle, so
/// memory stays size x (size + 1) / 2 doubles however many windows stream through, and the
/// result is bit-identical for any thread count (the kernel is).
struct GramAccumulation {
    static let band = 128

    /// Scratch reused across windows and blocks (grown to the largest request).
    private var transposed: [Float] = []
    private var product: [Float] = []

    mutating func add(_ z: UnsafePointer<Float>, tokens: Int, into gram: inout GramMatrix, pool: ThreadPool) {
        let n = gram.size
        guard tokens > 0, n > 0 else { return }
        let band = Self.band
        if transposed.count < n * tokens { transposed = Array(repeating: 0, count: n * tokens) }
        if product.count < band * n { product = Array(repeating: 0, count: band * n) }
        transposed.withUnsafeMutableBufferPointer { zt in
            product.withUnsafeMutableBufferPointer { c in
                let zt = zt.baseAddress!, c = c.baseAddress!
                transposeMatrix(z, rows: tokens, cols: n, lda: n, into: zt)
                gram.packed.withUnsafeMutableBufferPointer { g in
                    let g = g.baseAddress!
                    var r0 = 0
                    while r0 < n {
                        let rows = min(band, n - r0), columns = n - r0
                        // C[rows x columns] = zT[r0..<r0+rows] * zT[r0..<n]^T.
                        matmulTransposed(m: rows, n: columns, k: tokens, a: zt + r0 * tokens, lda: tokens,
                                         b: zt + r0 * tokens, ldb: tokens, c: c, ldc: columns, pool: pool)
                        let first = r0
                        pool.parallelFor(rows) { r in
                            let i = first + r
                            let row = g + (i * n - i * (i - 1) / 2)
                            let source = c + r * columns + r  // column i, the diagonal
                            for j in 0..<(n - i) { row[j] += Double(source[j]) }
                        }
                        r0 += rows
                    }
                }
            }
        }
    }
}
