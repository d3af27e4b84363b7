import Kernels

/// What happens to the kept down-projection columns when neurons are removed (CFSP.md section 6).
public enum Compensation: String, Sendable, Codable, CaseIterable {
    /// Keep the kept columns as they are (the paper).
    case none
    /// Replace the kept columns by the least-squares optimum of the FFN output over the
    /// calibration tokens: Wd[:,K] + Wd[:,R] G[R,K] (G[K,K] + lambda I)^-1.
    case leastSquares = "least-squares"
    /// Choose the kept set by optimal brain surgeon (remove, one at a time, the neuron whose
    /// removal leaves the least output error after compensation), then compensate as
    /// `leastSquares`. The kept counts still come from the method's allocation.
    case obs

    /// Whether the down projection is rewritten (so the Gram matrices are needed).
    public var rewritesDown: Bool { self != .none }
}

/// The numerics of compensation for one block: the least-squares down projection and the OBS
/// selection, both in doubles from the block's Gram matrix G (width x width) and its down
/// projection Wd (hidden x width, row-major).
public enum DownCompensation {
    /// lambda = damping x the mean of the diagonal entries of G over `indices` (at least the
    /// smallest positive double, so an all-zero block still factors).
    public static func lambda(_ gram: GramMatrix, over indices: [Int], damping: Double) -> Double {
        let mean = indices.reduce(0.0) { $0 + gram[$1, $1] } / Double(max(indices.count, 1))
        return max(damping * mean, Double.leastNormalMagnitude)
    }

    /// The compensated kept columns: W' = Wd[:,K] + Wd[:,R] G[R,K] (G[K,K] + lambda I)^-1 as a
    /// hidden x kept.count row-major matrix, with lambda from `lambda(_:over:damping:)` on K.
    ///
    /// With `intercept` (the per-neuron sums of z over the calibration tokens and the token
    /// count), a constant input joins K undamped: its row of the solution is returned as
    /// `biasDelta`, the change of the down bias that, with W', is the least-squares optimum
    /// with an intercept (what replaces FLAP's removed-mean bias when FLAP is compensated).
    ///
    /// With `pool`, the factorisation and the solve run on its threads (the same arithmetic, so
    /// the same result); without, on the caller's (the planner runs one block per thread).
    /// Memory: two n x n matrices of doubles (the factor, built in place of A, and its transpose).
    public static func compensatedDown(
        down: [Float], hidden: Int, width: Int, kept: [Int], gram: GramMatrix, damping: Double,
        intercept: (sums: [Double], tokens: Double)? = nil, pool: ThreadPool? = nil
    ) throws(PruningError) -> (down: [Float], biasDelta: [Double]?) {
        precondition(down.count == hidden * width && gram.size == width, "DownCompensation: shapes disagree")
        let keptSet = Set(kept)
        let removed = (0..<width).filter { !keptSet.contains($0) }
        let k = kept.count, extra = intercept == nil ? 0 : 1, n = k + extra
        // A = G[K,K] + lambda I (plus the constant input's row and column).
        let lambda = lambda(gram, over: kept, damping: damping)
        var a = [Double](repeating: 0, count: n * n)
        gram.packed.withUnsafeBufferPointer { g in
            for (r, i) in kept.enumerated() {
                for (c, j) in kept.enumerated() { a[r * n + c] = i <= j ? g[gram.offset(i) + j - i] : g[gram.offset(j) + i - j] }
                a[r * n + r] += lambda
            }
        }
        if let intercept {
            for (r, j) in kept.enumerated() {
                a[r * n + k] = intercept.sums[j]
                a[k * n + r] = intercept.sums[j]
            }
            a[k * n + k] = intercept.tokens
        }
        // B = G[K',R] Wd[:,R]^T (n x hidden): the removed neurons' output as the kept ones see it.
        var b = [Double](repeating: 0, count: n * hidden)
        if !removed.isEmpty {
            let gkr = gram.submatrix(rows: kept, columns: removed)
            var removedDownT = [Double](repeating: 0, count: removed.count * hidden)
            for i in 0..<hidden {
                for (r, j) in removed.enumerated() { removedDownT[r * hidden + i] = Double(down[i * width + j]) }
            }
            b.withUnsafeMutableBufferPointer { bp in
                removedDownT.withUnsafeBufferPointer { wp in
                    let b = bp.baseAddress!, w = wp.baseAddress!
                    Self.forEach(n, pool: pool) { row in
                        let out = b + row * hidden
                        for r in 0..<removed.count {
                            let g = row < k ? gkr[row * removed.count + r] : intercept!.sums[removed[r]]
                            if g == 0 { continue }
                            let source = w + r * hidden
                            for i in 0..<hidden { out[i] += g * source[i] }
                        }
                    }
                }
            }
        }
        try Cholesky(consume a, size: n, pool: pool).solve(&b, columns: hidden, pool: pool)
        // W'[i, c] = Wd[i, K_c] + Delta^T[c, i].
        var result = [Float](repeating: 0, count: hidden * k)
        for i in 0..<hidden {
            for (c, j) in kept.enumerated() {
                result[i * k + c] = Float(Double(down[i * width + j]) + b[c * hidden + i])
            }
        }
        let biasDelta = intercept == nil ? nil : Array(b[(k * hidden)..<(n * hidden)])
        return (result, biasDelta)
    }

    /// `body(i)` for i in 0..<count, on `pool`'s threads when there is one.
    static func forEach(_ count: Int, pool: ThreadPool?, _ body: (Int) -> Void) {
        if let pool { pool.parallelFor(count, body) } else { for i in 0..<count { body(i) } }
    }

    /// The `count` neurons optimal brain surgeon keeps: starting from all of them, repeatedly
    /// remove the neuron q with the least ||W[:,q]||^2 / Hinv[q,q] (the output error its removal
    /// leaves after the others compensate; ties to the lower index), then update the compensated
    /// weights W and the inverse Hinv of G + lambda I (lambda from all neurons) as OBS does.
    /// Returns the kept indices ascending and, for each, its removal error at the end (the
    /// plan's threshold is their minimum).
    public static func obsKept(
        count: Int, down: [Float], hidden: Int, width: Int, gram: GramMatrix, damping: Double
    ) throws(PruningError) -> (kept: [Int], errors: [Double]) {
        precondition(down.count == hidden * width && gram.size == width && count >= 1 && count <= width)
        let all = Array(0..<width)
        var a = gram.submatrix(rows: all, columns: all)
        let lambda = lambda(gram, over: all, damping: damping)
        for j in 0..<width { a[j * width + j] += lambda }
        var hinv = try Cholesky(a, size: width).inverse()
        var w = down.map(Double.init)
        var alive = [Bool](repeating: true, count: width)
        var norms = [Double](repeating: 0, count: width)
        func columnNorms() {
            for j in 0..<width { norms[j] = 0 }
            w.withUnsafeBufferPointer { wp in
                for i in 0..<hidden {
                    let row = wp.baseAddress! + i * width
                    for j in 0..<width { norms[j] += row[j] * row[j] }
                }
            }
        }
        columnNorms()
        for _ in 0..<(width - count) {
            var q = -1, best = Double.infinity
            for j in 0..<width where alive[j] {
                let e = norms[j] / hinv[j * width + j]
                if q < 0 || e < best { q = j; best = e }
            }
            alive[q] = false
            let pivot = hinv[q * width + q]
            let factors = (0..<width).map { alive[$0] ? hinv[q * width + $0] / pivot : 0 }
            w.withUnsafeMutableBufferPointer { wp in
                factors.withUnsafeBufferPointer { fp in
                    let f = fp.baseAddress!
                    for i in 0..<hidden {
                        let row = wp.baseAddress! + i * width
                        let wq = row[q]
                        if wq != 0 { for j in 0..<width { row[j] -= wq * f[j] } }
                        row[q] = 0
                    }
                }
            }
            hinv.withUnsafeMutableBufferPointer { hp in
                factors.withUnsafeBufferPointer { fp in
                    let h = hp.baseAddress!, f = fp.baseAddress!
                    for r in 0..<width where alive[r] {
                        let row = h + r * width
                        let hq = row[q]
                        if hq != 0 { for j in 0..<width { row[j] -= hq * f[j] } }
                    }
                }
            }
            columnNorms()
        }
        let kept = all.filter { alive[$0] }
        return (kept, kept.map { norms[$0] / hinv[$0 * width + $0] })
    }
}
