import Foundation
import Testing
import Kernels
import TestSupport

@Suite("Causal attention backward")
struct AttentionBackwardTests {
    struct Gradients {
        var q: [Double], k: [Double], v: [Double]
    }

    /// Double forward of the whole window (all heads), as in the forward tests: scores
    /// (q.k) * scale over keys max(0, t - window + 1)...t (defaults 1/sqrt(d), all of 0...t).
    static func forward(q: [Double], k: [Double], v: [Double], tokens: Int, heads: Int, kvHeads: Int,
                        headDim: Int, scale: Double? = nil, window: Int? = nil) -> [Double] {
        var out = [Double](repeating: 0, count: tokens * heads * headDim)
        let scale = scale ?? 1 / Double(headDim).squareRoot()
        for h in 0..<heads {
            let kv = h / (heads / kvHeads)
            for t in 0..<tokens {
                let keys = max(0, t - (window ?? t + 1) + 1)...t
                var scores = [Double]()
                for j in keys {
                    var s = 0.0
                    for d in 0..<headDim { s += q[(t * heads + h) * headDim + d] * k[(j * kvHeads + kv) * headDim + d] }
                    scores.append(s * scale)
                }
                let m = scores.max() ?? 0
                let w = scores.map { exp($0 - m) }
                let total = w.reduce(0, +)
                for d in 0..<headDim {
                    var acc = 0.0
                    for (i, j) in keys.enumerated() { acc += w[i] * v[(j * kvHeads + kv) * headDim + d] }
                    out[(t * heads + h) * headDim + d] = acc / total
                }
            }
        }
        return out
    }

    /// Analytic Double gradients of sum(gradOut * attention(q, k, v)), written from the
    /// textbook formulas with explicit P matrices (independent of the kernel's tiling).
    static func analytic(q: [Float], k: [Float], v: [Float], gradOut: [Float], tokens: Int, heads: Int,
                         kvHeads: Int, headDim: Int, scale: Double? = nil, window: Int? = nil) -> Gradients {
        var g = Gradients(q: Array(repeating: 0, count: q.count), k: Array(repeating: 0, count: k.count),
                          v: Array(repeating: 0, count: v.count))
        let scale = scale ?? 1 / Double(headDim).squareRoot()
        for h in 0..<heads {
            let kv = h / (heads / kvHeads)
            for t in 0..<tokens {
                let keys = Array(max(0, t - (window ?? t + 1) + 1)...t)
                var p = [Double]()
                for j in keys {
                    var s = 0.0
                    for d in 0..<headDim { s += Double(q[(t * heads + h) * headDim + d]) * Double(k[(j * kvHeads + kv) * headDim + d]) }
                    p.append(s * scale)
                }
                let m = p.max() ?? 0
                p = p.map { exp($0 - m) }
                let total = p.reduce(0, +)
                p = p.map { $0 / total }
                // dP_j = gradOut_t . v_j ; dS_j = P_j (dP_j - sum_i P_i dP_i)
                var dp = [Double]()
                for j in keys {
                    var s = 0.0
                    for d in 0..<headDim { s += Double(gradOut[(t * heads + h) * headDim + d]) * Double(v[(j * kvHeads + kv) * headDim + d]) }
                    dp.append(s)
                }
                let mean = zip(p, dp).reduce(0.0) { $0 + $1.0 * $1.1 }
                for (i, j) in keys.enumerated() {
                    let ds = p[i] * (dp[i] - mean)
                    for d in 0..<headDim {
                        g.q[(t * heads + h) * headDim + d] += ds * scale * Double(k[(j * kvHeads + kv) * headDim + d])
                        g.k[(j * kvHeads + kv) * headDim + d] += ds * scale * Double(q[(t * heads + h) * headDim + d])
                        g.v[(j * kvHeads + kv) * headDim + d] += p[i] * Double(gradOut[(t * heads + h) * headDim + d])
                    }
                }
            }
        }
        return g
    }

    static func run(q: [Float], k: [Float], v: [Float], gradOut: [Float], tokens: Int, heads: Int, kvHeads: Int,
                    headDim: Int, scale: Float? = nil, window: Int? = nil,
                    threads: Int) -> (q: [Float], k: [Float], v: [Float]) {
        let pool = ThreadPool(threads: threads)
        var output = [Float](repeating: 0, count: q.count)
        causalAttention(q: q, k: k, v: v, tokens: tokens, heads: heads, kvHeads: kvHeads, headDim: headDim,
                        scale: scale, window: window, into: &output, pool: pool)
        var gq = [Float](repeating: .nan, count: q.count)
        var gk = [Float](repeating: .nan, count: k.count)
        var gv = [Float](repeating: .nan, count: v.count)
        causalAttentionBackward(q: q, k: k, v: v, output: output, gradOut: gradOut, tokens: tokens, heads: heads,
                                kvHeads: kvHeads, headDim: headDim, scale: scale, window: window,
                                gradQ: &gq, gradK: &gk, gradV: &gv, pool: pool)
        return (gq, gk, gv)
    }

    @Test("the analytic reference agrees with central differences, and the kernel with both")
    func numericCheck() {
        var random = TestRandom(seed: 301)
        let tokens = 7, heads = 4, kvHeads = 2, headDim = 16
        let q = random.floats(tokens * heads * headDim, -2, 2)
        let k = random.floats(tokens * kvHeads * headDim, -2, 2)
        let v = random.floats(tokens * kvHeads * headDim)
        let gradOut = random.floats(tokens * heads * headDim)
        let want = Self.analytic(q: q, k: k, v: v, gradOut: gradOut, tokens: tokens, heads: heads, kvHeads: kvHeads,
                                 headDim: headDim)
        let (qd, kd, vd) = (q.map(Double.init), k.map(Double.init), v.map(Double.init))
        let g = gradOut.map(Double.init)
        func loss(_ q: [Double], _ k: [Double], _ v: [Double]) -> Double {
            zip(Self.forward(q: q, k: k, v: v, tokens: tokens, heads: heads, kvHeads: kvHeads, headDim: headDim), g)
                .reduce(0) { $0 + $1.0 * $1.1 }
        }
        let h = 1e-6
        var worst = 0.0
        for i in stride(from: 0, to: q.count, by: 5) {
            var plus = qd, minus = qd
            plus[i] += h; minus[i] -= h
            worst = max(worst, abs((loss(plus, kd, vd) - loss(minus, kd, vd)) / (2 * h) - want.q[i]))
        }
        for i in stride(from: 0, to: k.count, by: 3) {
            var plus = kd, minus = kd
            plus[i] += h; minus[i] -= h
            worst = max(worst, abs((loss(qd, plus, vd) - loss(qd, minus, vd)) / (2 * h) - want.k[i]))
            var vPlus = vd, vMinus = vd
            vPlus[i] += h; vMinus[i] -= h
            worst = max(worst, abs((loss(qd, kd, vPlus) - loss(qd, kd, vMinus)) / (2 * h) - want.v[i]))
        }
        #expect(worst < 1e-6)

        let got = Self.run(q: q, k: k, v: v, gradOut: gradOut, tokens: tokens, heads: heads, kvHeads: kvHeads,
                           headDim: headDim, threads: 1)
        #expect(opsWorstError(got.q, want.q, absolute: 1e-5, relative: 1e-4) <= 1)
        #expect(opsWorstError(got.k, want.k, absolute: 1e-5, relative: 1e-4) <= 1)
        #expect(opsWorstError(got.v, want.v, absolute: 1e-5, relative: 1e-4) <= 1)
    }

    @Test("matches the analytic Double gradients, bit-identical for 1 and 2 threads",
          arguments: [(1, 2, 1, 64), (33, 3, 3, 64), (70, 6, 2, 64), (130, 3, 1, 16), (33, 2, 2, 20)])
    func matchesReference(tokens: Int, heads: Int, kvHeads: Int, headDim: Int) {
        var random = TestRandom(seed: 401 + UInt64(tokens * 100 + heads * 10 + headDim))
        let q = random.floats(tokens * heads * headDim, -2, 2)
        let k = random.floats(tokens * kvHeads * headDim, -2, 2)
        let v = random.floats(tokens * kvHeads * headDim)
        let gradOut = random.floats(tokens * heads * headDim)
        let one = Self.run(q: q, k: k, v: v, gradOut: gradOut, tokens: tokens, heads: heads, kvHeads: kvHeads,
                           headDim: headDim, threads: 1)
        let two = Self.run(q: q, k: k, v: v, gradOut: gradOut, tokens: tokens, heads: heads, kvHeads: kvHeads,
                           headDim: headDim, threads: 2)
        let want = Self.analytic(q: q, k: k, v: v, gradOut: gradOut, tokens: tokens, heads: heads, kvHeads: kvHeads,
                                 headDim: headDim)
        #expect(opsWorstError(one.q, want.q, absolute: 2e-5, relative: 1e-4) <= 1)
        #expect(opsWorstError(one.k, want.k, absolute: 2e-5, relative: 1e-4) <= 1)
        #expect(opsWorstError(one.v, want.v, absolute: 2e-5, relative: 1e-4) <= 1)
        #expect(one.q.map(\.bitPattern) == two.q.map(\.bitPattern))
        #expect(one.k.map(\.bitPattern) == two.k.map(\.bitPattern))
        #expect(one.v.map(\.bitPattern) == two.v.map(\.bitPattern))
    }
}
