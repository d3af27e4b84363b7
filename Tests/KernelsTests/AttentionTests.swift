import Foundation
import Testing
import Kernels
import TestSupport

@Suite("Causal attention")
struct AttentionTests {
    /// Double reference for one query t of head h: softmax((q.k) * scale) over keys
    /// max(0, t - window + 1)...t (scale 1/sqrt(d) and all keys 0...t by default), times v.
    static func referenceRow(t: Int, h: Int, q: [Float], k: [Float], v: [Float], heads: Int, kvHeads: Int,
                             headDim: Int, scale: Double? = nil, window: Int? = nil) -> [Double] {
        let kvHead = h / (heads / kvHeads)
        let scale = scale ?? 1 / Double(headDim).squareRoot()
        let keys = max(0, t - (window ?? t + 1) + 1)...t
        var scores = [Double]()
        for j in keys {
            var s = 0.0
            for d in 0..<headDim {
                s += Double(q[(t * heads + h) * headDim + d]) * Double(k[(j * kvHeads + kvHead) * headDim + d])
            }
            scores.append(s * scale)
        }
        let maximum = scores.max() ?? 0
        let weights = scores.map { exp($0 - maximum) }
        let total = weights.reduce(0, +)
        return (0..<headDim).map { d in
            var acc = 0.0
            for (i, j) in keys.enumerated() { acc += weights[i] * Double(v[(j * kvHeads + kvHead) * headDim + d]) }
            return acc / total
        }
    }

    /// The Double reference for every query and head, laid out like the kernel's output.
    static func reference(q: [Float], k: [Float], v: [Float], tokens: Int, heads: Int, kvHeads: Int,
                          headDim: Int, scale: Double? = nil, window: Int? = nil) -> [Double] {
        var out = [Double]()
        for t in 0..<tokens {
            for h in 0..<heads {
                out += referenceRow(t: t, h: h, q: q, k: k, v: v, heads: heads, kvHeads: kvHeads, headDim: headDim,
                                    scale: scale, window: window)
            }
        }
        return out
    }

    static func run(q: [Float], k: [Float], v: [Float], tokens: Int, heads: Int, kvHeads: Int, headDim: Int,
                    scale: Float? = nil, window: Int? = nil, threads: Int) -> [Float] {
        var out = [Float](repeating: .nan, count: tokens * heads * headDim)
        let pool = ThreadPool(threads: threads)
        causalAttention(q: q, k: k, v: v, tokens: tokens, heads: heads, kvHeads: kvHeads, headDim: headDim,
                        scale: scale, window: window, into: &out, pool: pool)
        return out
    }

    @Test("matches a Double loop, bit-identical for 1 and 2 threads",
          arguments: [(1, 3, 3, 64), (33, 3, 3, 64), (33, 9, 3, 64), (7, 4, 2, 16), (70, 2, 1, 20),
                      (130, 9, 3, 64), (33, 2, 2, 128), (5, 3, 1, 7)])
    func matchesReference(tokens: Int, heads: Int, kvHeads: Int, headDim: Int) {
        var random = TestRandom(seed: 71 + UInt64(tokens * 1000 + heads * 10 + headDim))
        let q = random.floats(tokens * heads * headDim, -2, 2)
        let k = random.floats(tokens * kvHeads * headDim, -2, 2)
        let v = random.floats(tokens * kvHeads * headDim)
        let one = Self.run(q: q, k: k, v: v, tokens: tokens, heads: heads, kvHeads: kvHeads, headDim: headDim, threads: 1)
        let two = Self.run(q: q, k: k, v: v, tokens: tokens, heads: heads, kvHeads: kvHeads, headDim: headDim, threads: 2)
        let want = Self.reference(q: q, k: k, v: v, tokens: tokens, heads: heads, kvHeads: kvHeads, headDim: headDim)
        #expect(opsWorstError(one, want, absolute: 2e-6, relative: 2e-5) <= 1)
        #expect(one.map(\.bitPattern) == two.map(\.bitPattern))
    }

    @Test("model size (1024 tokens, 9 heads over 3 KV heads, headDim 64): sampled queries match, threads agree")
    func modelSize() {
        var random = TestRandom(seed: 1024)
        let tokens = 1024, heads = 9, kvHeads = 3, headDim = 64
        let q = random.floats(tokens * heads * headDim, -3, 3)
        let k = random.floats(tokens * kvHeads * headDim, -3, 3)
        let v = random.floats(tokens * kvHeads * headDim)
        let one = Self.run(q: q, k: k, v: v, tokens: tokens, heads: heads, kvHeads: kvHeads, headDim: headDim, threads: 1)
        let two = Self.run(q: q, k: k, v: v, tokens: tokens, heads: heads, kvHeads: kvHeads, headDim: headDim, threads: 2)
        #expect(one.map(\.bitPattern) == two.map(\.bitPattern))
        // Reference for a few queries only (block edges, middle, last): the rows are independent.
        var got = [Float](), want = [Double]()
        for t in [0, 1, 63, 64, 65, 511, 1000, 1023] {
            for h in 0..<heads {
                want += Self.referenceRow(t: t, h: h, q: q, k: k, v: v, heads: heads, kvHeads: kvHeads, headDim: headDim)
                got += one[((t * heads + h) * headDim)..<((t * heads + h + 1) * headDim)]
            }
        }
        #expect(opsWorstError(got, want, absolute: 2e-6, relative: 2e-5) <= 1)
    }

    @Test("the first query copies its value; grouped heads share KV heads")
    func structure() {
        var random = TestRandom(seed: 12)
        let tokens = 33, heads = 6, kvHeads = 2, headDim = 64
        var q = random.floats(tokens * heads * headDim)
        let k = random.floats(tokens * kvHeads * headDim)
        let v = random.floats(tokens * kvHeads * headDim)
        // Heads 0 and 1 share KV head 0: identical queries must give identical outputs.
        for t in 0..<tokens {
            for d in 0..<headDim { q[(t * heads + 1) * headDim + d] = q[(t * heads + 0) * headDim + d] }
        }
        let out = Self.run(q: q, k: k, v: v, tokens: tokens, heads: heads, kvHeads: kvHeads, headDim: headDim, threads: 2)
        for h in 0..<heads {
            let kvHead = h / 3
            for d in 0..<headDim {
                #expect(abs(out[h * headDim + d] - v[kvHead * headDim + d]) <= 1e-6)
            }
        }
        for t in 0..<tokens {
            let a = out[(t * heads) * headDim..<(t * heads + 1) * headDim]
            let b = out[(t * heads + 1) * headDim..<(t * heads + 2) * headDim]
            #expect(Array(a) == Array(b))
        }
    }

    @Test("large scores stay finite (stable softmax)")
    func largeScores() {
        var random = TestRandom(seed: 13)
        let tokens = 33, heads = 1, kvHeads = 1, headDim = 16
        let q = random.floats(tokens * headDim, 50, 60)
        let k = random.floats(tokens * headDim, 50, 60)
        let v = random.floats(tokens * headDim)
        let out = Self.run(q: q, k: k, v: v, tokens: tokens, heads: heads, kvHeads: kvHeads, headDim: headDim, threads: 1)
        let want = Self.reference(q: q, k: k, v: v, tokens: tokens, heads: heads, kvHeads: kvHeads, headDim: headDim)
        #expect(out.allSatisfy { $0.isFinite })
        #expect(opsWorstError(out, want, absolute: 1e-4, relative: 1e-3) <= 1)
    }
}
