import Kernels

/// The Cholesky factorisation A = L L^T of a symmetric positive definite matrix, in doubles,
/// and the solves the down-projection compensation needs (CFSP.md section 6). Dense, row-major,
/// on the caller's thread (the planner runs one block per thread) or on a pool's threads for
/// one large block at a time (a model pruned block by block); the inner loops are contiguous dot
/// products and row updates, which the compiler vectorises.
public struct Cholesky: Sendable {
    /// n.
    public let size: Int
    /// L, row-major n x n; entries above the diagonal are zero.
    public private(set) var lower: [Double]

    /// Factors the n x n row-major matrix `a` (only its lower triangle is read), in place of
    /// `a`'s storage (pass it with `consume` to spare a copy). With `pool`, each column's updates
    /// below the diagonal are spread over its threads (the same arithmetic per entry, so the same
    /// factor). Throws when a pivot is not positive (A is not positive definite, or too
    /// ill-conditioned for doubles).
    public init(_ a: consuming [Double], size n: Int, pool: ThreadPool? = nil) throws(PruningError) {
        precondition(a.count == n * n, "Cholesky: \(a.count) entries for a \(n) x \(n) matrix")
        size = n
        var l = a
        var failed: (Int, Double)?
        l.withUnsafeMutableBufferPointer { lp in
            let l = lp.baseAddress!
            for j in 0..<n {
                let rowJ = l + j * n
                let d = rowJ[j] - Self.dot(rowJ, rowJ, j)
                guard d > 0, d.isFinite else {
                    failed = (j, d)
                    return
                }
                let pivot = d.squareRoot()
                rowJ[j] = pivot
                let inverse = 1 / pivot
                let below = n - j - 1
                // Rows below in chunks: enough work per task to be worth a hand-off.
                let chunk = max(16, below / 64)
                let chunks = (below + chunk - 1) / chunk
                func update(_ c: Int) {
                    for i in (j + 1 + c * chunk)..<min(n, j + 1 + (c + 1) * chunk) {
                        let rowI = l + i * n
                        rowI[j] = (rowI[j] - Self.dot(rowI, rowJ, j)) * inverse
                    }
                }
                if let pool, chunks > 1, j * below > 1 << 16 {
                    pool.parallelFor(chunks, update)
                } else {
                    for c in 0..<chunks { update(c) }
                }
            }
            // L's upper triangle is zero (the input's is discarded).
            for i in 0..<n { (l + i * n + i + 1).update(repeating: 0, count: n - i - 1) }
        }
        if let (j, d) = failed {
            throw .invalidArgument("the damped Gram matrix is not positive definite (pivot \(j) is \(d)); raise the damping")
        }
        lower = l
    }

    /// Solves A X = B in place: `b` holds B (n x m, row-major) and receives X.
    ///
    /// Column chunks of 64 keep the rows being read in cache; each row of a chunk is finished
    /// in eight 8-lane registers while the rows it depends on stream past (forward with L,
    /// backward with L^T, both read by rows).
    /// With `pool`, the column chunks are solved on its threads (each chunk's arithmetic is the
    /// same, so the same result).
    public func solve(_ b: inout [Double], columns m: Int, pool: ThreadPool? = nil) {
        let n = size
        precondition(b.count == n * m, "Cholesky.solve: \(b.count) entries for \(n) x \(m)")
        var upper = [Double](repeating: 0, count: n * n)  // L^T, row-major
        for i in 0..<n { for k in 0...i { upper[k * n + i] = lower[i * n + k] } }
        let chunk = Self.chunk
        lower.withUnsafeBufferPointer { lp in
            upper.withUnsafeBufferPointer { up in
                b.withUnsafeMutableBufferPointer { bp in
                    let l = lp.baseAddress!, u = up.baseAddress!, b = bp.baseAddress!
                    DownCompensation.forEach((m + chunk - 1) / chunk, pool: pool) { index in
                        let c0 = index * chunk
                        let width = min(chunk, m - c0)
                        // Forward, L Y = B: y_i = (b_i - sum_{k<i} L[i,k] y_k) / L[i,i].
                        for i in 0..<n {
                            Self.finishRow(b + i * m + c0, coefficients: l + i * n, rows: 0..<i, base: b + c0, stride: m,
                                           width: width, pivot: l[i * n + i])
                        }
                        // Backward, L^T X = Y: x_i = (y_i - sum_{k>i} L[k,i] x_k) / L[i,i].
                        for i in stride(from: n - 1, through: 0, by: -1) {
                            Self.finishRow(b + i * m + c0, coefficients: u + i * n, rows: (i + 1)..<n, base: b + c0,
                                           stride: m, width: width, pivot: l[i * n + i])
                        }
                    }
                }
            }
        }
    }

    /// Right-hand-side columns solved together.
    static let chunk = 64

    /// row = (row - sum_{k in rows} coefficients[k] * (base + k * stride)) / pivot over `width`
    /// (at most `chunk`) columns.
    @inline(__always)
    static func finishRow(
        _ row: UnsafeMutablePointer<Double>, coefficients: UnsafePointer<Double>, rows: Range<Int>,
        base: UnsafeMutablePointer<Double>, stride: Int, width: Int, pivot: Double
    ) {
        typealias V = SIMD8<Double>
        let inverse = 1 / pivot
        if width == chunk {
            func load(_ p: UnsafeMutablePointer<Double>) -> V { UnsafeRawPointer(p).loadUnaligned(as: V.self) }
            var a0 = load(row), a1 = load(row + 8), a2 = load(row + 16), a3 = load(row + 24)
            var a4 = load(row + 32), a5 = load(row + 40), a6 = load(row + 48), a7 = load(row + 56)
            for k in rows {
                let f = V(repeating: coefficients[k])
                let o = base + k * stride
                a0 -= f * load(o); a1 -= f * load(o + 8); a2 -= f * load(o + 16); a3 -= f * load(o + 24)
                a4 -= f * load(o + 32); a5 -= f * load(o + 40); a6 -= f * load(o + 48); a7 -= f * load(o + 56)
            }
            let s = V(repeating: inverse)
            for (index, value) in [a0, a1, a2, a3, a4, a5, a6, a7].enumerated() {
                UnsafeMutableRawPointer(row + index * 8).storeBytes(of: value * s, as: V.self)
            }
        } else {
            for k in rows {
                let f = coefficients[k]
                let o = base + k * stride
                for c in 0..<width { row[c] -= f * o[c] }
            }
            for c in 0..<width { row[c] *= inverse }
        }
    }

    /// sum_k x[k] y[k] for k < count, in four 8-lane partial sums (a fixed order, so the
    /// result does not depend on anything but the inputs).
    @inline(__always)
    static func dot(_ x: UnsafePointer<Double>, _ y: UnsafePointer<Double>, _ count: Int) -> Double {
        typealias V = SIMD8<Double>
        var s0 = V(), s1 = V(), s2 = V(), s3 = V()
        var k = 0
        func load(_ p: UnsafePointer<Double>) -> V { UnsafeRawPointer(p).loadUnaligned(as: V.self) }
        while k + 32 <= count {
            s0 += load(x + k) * load(y + k)
            s1 += load(x + k + 8) * load(y + k + 8)
            s2 += load(x + k + 16) * load(y + k + 16)
            s3 += load(x + k + 24) * load(y + k + 24)
            k += 32
        }
        while k + 8 <= count {
            s0 += load(x + k) * load(y + k)
            k += 8
        }
        var total = ((s0 + s1) + (s2 + s3)).sum()
        while k < count {
            total += x[k] * y[k]
            k += 1
        }
        return total
    }

    /// A^-1, row-major n x n (solving A X = I).
    public func inverse() -> [Double] {
        var x = [Double](repeating: 0, count: size * size)
        for i in 0..<size { x[i * size + i] = 1 }
        solve(&x, columns: size)
        return x
    }
}
