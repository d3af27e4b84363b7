import Foundation
import Testing
import Kernels

@Suite("Causal attention")
struct AttentionTests {
    /// Double reference: per query head and query, softmax(q.k / sqrt(d)) over keys 0...t, times v.
    static func reference(q: [Float], k: [Float], v: [Float], tokens: Int, heads: Int, kvHeads: Int,
                          headDim: Int) -> [Double] {
        var out = [Double](repeating: 0, count: tokens * heads * headDim)
        let group = heads / kvHeads
        let scale = 1 / Double(headDim).squareRoot()
        for h in 0..<heads {
            let kvHead = h / group
            for t in 0..<tokens {
                var scores = [Double]()
                for j in 0...t {
                    var s = 0.0
                    for d in 0..<headDim {
                        s += Double(q[(t * heads + h) * headDim + d]) * Double(k[(j * kvHeads + kvHead) * headDim + d])
                    }
                    scores.append(s * scale)
                }
                let maximum = scores.max() ?? 0
                let weights = scores.map { exp($0 - maximum) }
                let total = weights.reduce(0, +)
                for d in 0..<headDim {
                    var acc = 0.0
                    for j in 0...t { acc += weights[j] * Double(v[(j * kvHeads + kvHead) * headDim + d]) }
                    out[(t * heads + h) * headDim + d] = acc / total
                }
            }
        }
        return out
    }

    static func run(q: [Float], k: [Float], v: [Float], tokens: Int, heads: Int, kvHeads: Int, headDim: Int,
                    threads: Int) -> [Float] {
        var out = [Float](repeating: .nan, count: tokens * heads * headDim)
        let pool = ThreadPool(threads: threads)
        causalAttention(q: q, k: k, v: v, tokens: tokens, heads: heads, kvHeads: kvHeads, headDim: headDim,
                        into: &out, pool: pool)
        return out
    }

    @Test("matches a Double loop, bit-identical for 1 and 2 threads",
          arguments: [(1, 3, 3, 64), (33, 3, 3, 64), (33, 9, 3, 64), (7, 4, 2, 16), (70, 2, 1, 20),
                      (130, 9, 3, 64), (33, 2, 2, 128), (5, 3, 1, 7)])
    func matchesReference(tokens: Int, heads: Int, kvHeads: Int, headDim: Int) {
        var random = OpsRandom(seed: 71 + UInt64(tokens * 1000 + heads * 10 + headDim))
        let q = random.floats(tokens * heads * headDim, -2, 2)
        let k = random.floats(tokens * kvHeads * headDim, -2, 2)
        let v = random.floats(tokens * kvHeads * headDim)
        let one = Self.run(q: q, k: k, v: v, tokens: tokens, heads: heads, kvHeads: kvHeads, headDim: headDim, threads: 1)
        let two = Self.run(q: q, k: k, v: v, tokens: tokens, heads: heads, kvHeads: kvHeads, headDim: headDim, threads: 2)
        let want = Self.reference(q: q, k: k, v: v, tokens: tokens, heads: heads, kvHeads: kvHeads, headDim: headDim)
        #expect(opsWorstError(one, want, absolute: 2e-6, relative: 2e-5) <= 1)
        #expect(one.map(\.bitPattern) == two.map(\.bitPattern))
    }

    @Test("the first query copies its value; grouped heads share KV heads")
    func structure() {
        var random = OpsRandom(seed: 12)
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
        var random = OpsRandom(seed: 13)
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
