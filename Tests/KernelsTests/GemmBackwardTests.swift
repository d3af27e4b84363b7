import Kernels
import Testing
import TestSupport

/// The weight-gradient GEMM (C = Aᵀ B, reduction over rows) against naive loops.
struct GemmBackwardTests {
    @Test(arguments: [(1, 1, 1), (7, 3, 40), (33, 9, 65), (70, 40, 5)])
    func transposedLeftMatchesNaive(shape: (Int, Int, Int)) {
        let (m, n, k) = shape
        var rng = TestRandom(seed: UInt64(m * 1000 + n * 10 + k))
        let lda = m + 2, ldb = n + 1
        let a = rng.floats(k * lda), b = rng.floats(k * ldb)
        let initial = rng.floats(m * n)
        var c = initial
        let pool = ThreadPool(threads: 2)
        matmulTransposedLeft(m: m, n: n, k: k, a: a, lda: lda, b: b, ldb: ldb, c: &c, ldc: n, accumulate: true, pool: pool)
        var want = [Double](repeating: 0, count: m * n)
        for i in 0..<m {
            for j in 0..<n {
                var s = Double(initial[i * n + j])
                for t in 0..<k { s += Double(a[t * lda + i]) * Double(b[t * ldb + j]) }
                want[i * n + j] = s
            }
        }
        #expect(opsWorstError(c, want, absolute: 1e-5, relative: 1e-5) <= 1)
        var single = initial
        matmulTransposedLeft(m: m, n: n, k: k, a: a, lda: lda, b: b, ldb: ldb, c: &single, ldc: n, accumulate: true,
                             pool: ThreadPool(threads: 1))
        #expect(single == c, "bit-identical for any thread count")
    }

    @Test func transposeIsExact() {
        var rng = TestRandom(seed: 9)
        let rows = 19, cols = 35, lda = 40
        let x = rng.floats(rows * lda)
        var out = [Float](repeating: 0, count: rows * cols)
        transposeMatrix(x, rows: rows, cols: cols, lda: lda, into: &out)
        for r in 0..<rows { for c in 0..<cols { #expect(out[c * rows + r] == x[r * lda + c]) } }
    }
}
