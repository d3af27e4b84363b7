/// The Cholesky factorisation A = L L^T of a symmetric positive definite matrix, in doubles,
/// and the solves the down-projection compensation needs (CFSP.md section 6). Dense, row-major,
/// single-threaded (the planner runs one block per thread); the inner loops are contiguous dot
/// products and row updates, which the compiler vectorises.
public struct Cholesky: Sendable {
    /// n.
    public let size: Int
    /// L, row-major n x n; entries above the diagonal are zero.
    public private(set) var lower: [Double]

    /// Factors the n x n row-major matrix `a` (only its lower triangle is read). Throws when a
    /// pivot is not positive (A is not positive definite, or too ill-conditioned for doubles).
    public init(_ a: [Double], size n: Int) throws(PruningError) {
        precondition(a.count == n * n, "Cholesky: \(a.count) entries for a \(n) x \(n) matrix")
        size = n
        var l = [Double](repeating: 0, count: n * n)
        var failed: (Int, Double)?
        l.withUnsafeMutableBufferPointer { lp in
            a.withUnsafeBufferPointer { ap in
                let l = lp.baseAddress!, a = ap.baseAddress!
                for j in 0..<n {
                    let rowJ = l + j * n
                    var d = a[j * n + j]
                    for k in 0..<j { d -= rowJ[k] * rowJ[k] }
                    guard d > 0, d.isFinite else {
                        failed = (j, d)
                        return
                    }
                    let pivot = d.squareRoot()
                    rowJ[j] = pivot
                    let inverse = 1 / pivot
                    for i in (j + 1)..<n {
                        let rowI = l + i * n
                        var s = a[i * n + j]
                        for k in 0..<j { s -= rowI[k] * rowJ[k] }
                        rowI[j] = s * inverse
                    }
                }
            }
        }
        if let (j, d) = failed {
            throw .invalidArgument("the damped Gram matrix is not positive definite (pivot \(j) is \(d)); raise the damping")
        }
        lower = l
    }

    /// Solves A X = B in place: `b` holds B (n x m, row-major) and receives X.
    public func solve(_ b: inout [Double], columns m: Int) {
        let n = size
        precondition(b.count == n * m, "Cholesky.solve: \(b.count) entries for \(n) x \(m)")
        // Column chunks keep the rows being updated in cache.
        let chunk = 64
        lower.withUnsafeBufferPointer { lp in
            b.withUnsafeMutableBufferPointer { bp in
                let l = lp.baseAddress!, b = bp.baseAddress!
                var c0 = 0
                while c0 < m {
                    let width = min(chunk, m - c0)
                    // Forward: L Y = B.
                    for i in 0..<n {
                        let row = b + i * m + c0
                        let li = l + i * n
                        for k in 0..<i {
                            let f = li[k]
                            if f == 0 { continue }
                            let other = b + k * m + c0
                            for c in 0..<width { row[c] -= f * other[c] }
                        }
                        let inverse = 1 / li[i]
                        for c in 0..<width { row[c] *= inverse }
                    }
                    // Backward: L^T X = Y, finishing row i, then removing it from the rows above
                    // (reads L by rows).
                    for i in stride(from: n - 1, through: 0, by: -1) {
                        let row = b + i * m + c0
                        let li = l + i * n
                        let inverse = 1 / li[i]
                        for c in 0..<width { row[c] *= inverse }
                        for k in 0..<i {
                            let f = li[k]
                            if f == 0 { continue }
                            let other = b + k * m + c0
                            for c in 0..<width { other[c] -= f * row[c] }
                        }
                    }
                    c0 += width
                }
            }
        }
    }

    /// A^-1, row-major n x n (solving A X = I).
    public func inverse() -> [Double] {
        var x = [Double](repeating: 0, count: size * size)
        for i in 0..<size { x[i * size + i] = 1 }
        solve(&x, columns: size)
        return x
    }
}
