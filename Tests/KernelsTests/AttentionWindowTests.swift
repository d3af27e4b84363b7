import Foundation
import Testing
import Kernels
import TestSupport

/// `causalAttention` / `causalAttentionBackward` with a custom score scale and a sliding window
/// (key j visible to query t when 0 <= t - j < window), against the Double references of
/// `AttentionTests` and `AttentionBackwardTests`.
@Suite("Sliding-window and scaled attention")
struct AttentionWindowTests {
    typealias Case = (tokens: Int, heads: Int, kvHeads: Int, headDim: Int, window: Int, scale: Float)

    static func inputs(_ c: Case, seed: UInt64) -> (q: [Float], k: [Float], v: [Float], gradOut: [Float]) {
        var random = TestRandom(seed: seed + UInt64(c.tokens * 1000 + c.window * 10 + c.headDim))
        return (random.floats(c.tokens * c.heads * c.headDim, -2, 2),
                random.floats(c.tokens * c.kvHeads * c.headDim, -2, 2),
                random.floats(c.tokens * c.kvHeads * c.headDim),
                random.floats(c.tokens * c.heads * c.headDim))
    }

    /// Windows of 1, 2, below / at / just past one 64-key tile, odd sizes, and beyond the tokens.
    static let forwardCases: [Case] = [
        (1, 2, 1, 16, 1, 0.5), (33, 3, 3, 64, 1, 0.125), (150, 4, 4, 128, 2, 0.1), (130, 9, 3, 64, 37, 0.0625),
        (130, 6, 2, 20, 64, 0.3), (130, 2, 1, 64, 65, 0.125), (200, 4, 2, 16, 129, 0.2), (70, 3, 1, 64, 200, 0.09),
        (7, 4, 2, 7, 3, 0.4),
    ]

    @Test("forward matches a Double loop, bit-identical for 1, 2 and 3 threads", arguments: forwardCases)
    func forward(_ c: Case) {
        let x = Self.inputs(c, seed: 501)
        let runs = [1, 2, 3].map { threads in
            AttentionTests.run(q: x.q, k: x.k, v: x.v, tokens: c.tokens, heads: c.heads, kvHeads: c.kvHeads,
                               headDim: c.headDim, scale: c.scale, window: c.window, threads: threads)
        }
        let want = AttentionTests.reference(q: x.q, k: x.k, v: x.v, tokens: c.tokens, heads: c.heads,
                                            kvHeads: c.kvHeads, headDim: c.headDim, scale: Double(c.scale),
                                            window: c.window)
        #expect(opsWorstError(runs[0], want, absolute: 2e-6, relative: 2e-5) <= 1)
        #expect(runs[0].map(\.bitPattern) == runs[1].map(\.bitPattern))
        #expect(runs[0].map(\.bitPattern) == runs[2].map(\.bitPattern))
    }

    @Test("window 1 returns each query's own value")
    func windowOne() {
        let c: Case = (70, 4, 2, 20, 1, 0.7)
        let x = Self.inputs(c, seed: 7)
        let out = AttentionTests.run(q: x.q, k: x.k, v: x.v, tokens: c.tokens, heads: c.heads, kvHeads: c.kvHeads,
                                     headDim: c.headDim, scale: c.scale, window: 1, threads: 2)
        for t in 0..<c.tokens {
            for h in 0..<c.heads {
                let kv = h / (c.heads / c.kvHeads)
                for d in 0..<c.headDim {
                    #expect(out[(t * c.heads + h) * c.headDim + d] == x.v[(t * c.kvHeads + kv) * c.headDim + d])
                }
            }
        }
    }

    @Test("no window, a window >= tokens, and the explicit default scale all give today's bits")
    func defaults() {
        let c: Case = (130, 6, 2, 64, 130, 0)
        let x = Self.inputs(c, seed: 9)
        let defaultScale = Float(1 / Double(c.headDim).squareRoot())
        func forward(_ scale: Float?, _ window: Int?) -> [UInt32] {
            AttentionTests.run(q: x.q, k: x.k, v: x.v, tokens: c.tokens, heads: c.heads, kvHeads: c.kvHeads,
                               headDim: c.headDim, scale: scale, window: window, threads: 2).map(\.bitPattern)
        }
        func backward(_ scale: Float?, _ window: Int?) -> [UInt32] {
            let g = AttentionBackwardTests.run(q: x.q, k: x.k, v: x.v, gradOut: x.gradOut, tokens: c.tokens,
                                               heads: c.heads, kvHeads: c.kvHeads, headDim: c.headDim,
                                               scale: scale, window: window, threads: 2)
            return (g.q + g.k + g.v).map(\.bitPattern)
        }
        let forwardBase = forward(nil, nil), backwardBase = backward(nil, nil)
        for (scale, window) in [(nil, 130), (nil, 131), (nil, Int.max), (defaultScale, nil), (defaultScale, 1000)] as [(Float?, Int?)] {
            #expect(forward(scale, window) == forwardBase, "scale \(String(describing: scale)) window \(String(describing: window))")
            #expect(backward(scale, window) == backwardBase, "scale \(String(describing: scale)) window \(String(describing: window))")
        }
    }

    @Test("masked keys contribute exactly 0: changing them leaves every query that cannot see them bit-identical")
    func maskedKeysAreExact() {
        let c: Case = (130, 4, 2, 64, 37, 0.2)
        let x = Self.inputs(c, seed: 11)
        // Keys 0..<40 become huge (scores ~1e5, values 1e30); queries t >= 40 + 37 - 1 never see them.
        var k = x.k, v = x.v
        for j in 0..<40 {
            for i in 0..<(c.kvHeads * c.headDim) {
                k[j * c.kvHeads * c.headDim + i] *= 1000
                v[j * c.kvHeads * c.headDim + i] = 1e30
            }
        }
        let blind = 76
        let original = AttentionTests.run(q: x.q, k: x.k, v: x.v, tokens: c.tokens, heads: c.heads,
                                          kvHeads: c.kvHeads, headDim: c.headDim, scale: c.scale, window: c.window,
                                          threads: 2)
        let changed = AttentionTests.run(q: x.q, k: k, v: v, tokens: c.tokens, heads: c.heads, kvHeads: c.kvHeads,
                                         headDim: c.headDim, scale: c.scale, window: c.window, threads: 2)
        let queryFloats = c.heads * c.headDim
        #expect(original[(blind * queryFloats)...].map(\.bitPattern) == changed[(blind * queryFloats)...].map(\.bitPattern))
        #expect(changed.allSatisfy { $0.isFinite })

        // Backward: gradQ of those queries, and gradK / gradV of keys only they see (j >= 76).
        let g0 = AttentionBackwardTests.run(q: x.q, k: x.k, v: x.v, gradOut: x.gradOut, tokens: c.tokens,
                                            heads: c.heads, kvHeads: c.kvHeads, headDim: c.headDim, scale: c.scale,
                                            window: c.window, threads: 2)
        let g1 = AttentionBackwardTests.run(q: x.q, k: k, v: v, gradOut: x.gradOut, tokens: c.tokens,
                                            heads: c.heads, kvHeads: c.kvHeads, headDim: c.headDim, scale: c.scale,
                                            window: c.window, threads: 2)
        let kvFloats = c.kvHeads * c.headDim
        #expect(g0.q[(blind * queryFloats)...].map(\.bitPattern) == g1.q[(blind * queryFloats)...].map(\.bitPattern))
        #expect(g0.k[(blind * kvFloats)...].map(\.bitPattern) == g1.k[(blind * kvFloats)...].map(\.bitPattern))
        #expect(g0.v[(blind * kvFloats)...].map(\.bitPattern) == g1.v[(blind * kvFloats)...].map(\.bitPattern))
    }

    @Test("Gemma 3 270M shape (1024 tokens, 4 heads over 1 KV head, headDim 256, window 512, scale 1/16): sampled queries match, threads agree")
    func gemmaSize() {
        let c: Case = (1024, 4, 1, 256, 512, 0.0625)
        let x = Self.inputs(c, seed: 1024)
        let one = AttentionTests.run(q: x.q, k: x.k, v: x.v, tokens: c.tokens, heads: c.heads, kvHeads: c.kvHeads,
                                     headDim: c.headDim, scale: c.scale, window: c.window, threads: 1)
        let two = AttentionTests.run(q: x.q, k: x.k, v: x.v, tokens: c.tokens, heads: c.heads, kvHeads: c.kvHeads,
                                     headDim: c.headDim, scale: c.scale, window: c.window, threads: 2)
        #expect(one.map(\.bitPattern) == two.map(\.bitPattern))
        var got = [Float](), want = [Double]()
        for t in [0, 63, 64, 511, 512, 513, 575, 576, 1000, 1023] {
            for h in 0..<c.heads {
                want += AttentionTests.referenceRow(t: t, h: h, q: x.q, k: x.k, v: x.v, heads: c.heads,
                                                    kvHeads: c.kvHeads, headDim: c.headDim, scale: Double(c.scale),
                                                    window: c.window)
                got += one[((t * c.heads + h) * c.headDim)..<((t * c.heads + h + 1) * c.headDim)]
            }
        }
        #expect(opsWorstError(got, want, absolute: 2e-6, relative: 2e-5) <= 1)
    }

    @Test("backward: the windowed analytic reference agrees with float64 central differences, and the kernel with both")
    func backwardNumeric() {
        let c: Case = (9, 4, 2, 16, 3, 0.37)
        let x = Self.inputs(c, seed: 601)
        let want = AttentionBackwardTests.analytic(q: x.q, k: x.k, v: x.v, gradOut: x.gradOut, tokens: c.tokens,
                                                   heads: c.heads, kvHeads: c.kvHeads, headDim: c.headDim,
                                                   scale: Double(c.scale), window: c.window)
        let (qd, kd, vd) = (x.q.map(Double.init), x.k.map(Double.init), x.v.map(Double.init))
        let g = x.gradOut.map(Double.init)
        func loss(_ q: [Double], _ k: [Double], _ v: [Double]) -> Double {
            zip(AttentionBackwardTests.forward(q: q, k: k, v: v, tokens: c.tokens, heads: c.heads, kvHeads: c.kvHeads,
                                               headDim: c.headDim, scale: Double(c.scale), window: c.window), g)
                .reduce(0) { $0 + $1.0 * $1.1 }
        }
        let h = 1e-6
        var worst = 0.0
        for i in stride(from: 0, to: x.q.count, by: 3) {
            var plus = qd, minus = qd
            plus[i] += h; minus[i] -= h
            worst = max(worst, abs((loss(plus, kd, vd) - loss(minus, kd, vd)) / (2 * h) - want.q[i]))
        }
        for i in stride(from: 0, to: x.k.count, by: 2) {
            var plus = kd, minus = kd
            plus[i] += h; minus[i] -= h
            worst = max(worst, abs((loss(qd, plus, vd) - loss(qd, minus, vd)) / (2 * h) - want.k[i]))
            var vPlus = vd, vMinus = vd
            vPlus[i] += h; vMinus[i] -= h
            worst = max(worst, abs((loss(qd, kd, vPlus) - loss(qd, kd, vMinus)) / (2 * h) - want.v[i]))
        }
        #expect(worst < 1e-6)

        let got = AttentionBackwardTests.run(q: x.q, k: x.k, v: x.v, gradOut: x.gradOut, tokens: c.tokens,
                                             heads: c.heads, kvHeads: c.kvHeads, headDim: c.headDim, scale: c.scale,
                                             window: c.window, threads: 1)
        #expect(opsWorstError(got.q, want.q, absolute: 1e-5, relative: 1e-4) <= 1)
        #expect(opsWorstError(got.k, want.k, absolute: 1e-5, relative: 1e-4) <= 1)
        #expect(opsWorstError(got.v, want.v, absolute: 1e-5, relative: 1e-4) <= 1)
    }

    static let backwardCases: [Case] = [
        (1, 2, 1, 64, 1, 0.5), (70, 6, 2, 64, 1, 0.2), (130, 3, 1, 16, 37, 0.25), (130, 2, 2, 20, 64, 0.3),
        (200, 4, 2, 16, 65, 0.2), (70, 2, 1, 64, 200, 0.09), (150, 3, 3, 64, 2, 0.1),
    ]

    @Test("backward matches the analytic Double gradients, bit-identical for 1, 2 and 3 threads",
          arguments: backwardCases)
    func backward(_ c: Case) {
        let x = Self.inputs(c, seed: 701)
        let runs = [1, 2, 3].map { threads in
            AttentionBackwardTests.run(q: x.q, k: x.k, v: x.v, gradOut: x.gradOut, tokens: c.tokens, heads: c.heads,
                                       kvHeads: c.kvHeads, headDim: c.headDim, scale: c.scale, window: c.window,
                                       threads: threads)
        }
        let want = AttentionBackwardTests.analytic(q: x.q, k: x.k, v: x.v, gradOut: x.gradOut, tokens: c.tokens,
                                                   heads: c.heads, kvHeads: c.kvHeads, headDim: c.headDim,
                                                   scale: Double(c.scale), window: c.window)
        #expect(opsWorstError(runs[0].q, want.q, absolute: 2e-5, relative: 1e-4) <= 1)
        #expect(opsWorstError(runs[0].k, want.k, absolute: 2e-5, relative: 1e-4) <= 1)
        #expect(opsWorstError(runs[0].v, want.v, absolute: 2e-5, relative: 1e-4) <= 1)
        for other in runs.dropFirst() {
            #expect(runs[0].q.map(\.bitPattern) == other.q.map(\.bitPattern))
            #expect(runs[0].k.map(\.bitPattern) == other.k.map(\.bitPattern))
            #expect(runs[0].v.map(\.bitPattern) == other.v.map(\.bitPattern))
        }
    }
}
