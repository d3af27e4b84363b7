import Foundation
import Testing
import Kernels
import TestSupport

@Suite("Causal attention with bf16 products")
struct AttentionBF16Tests {
    static func rounded(_ x: Float) -> Double { Double(floatFromBF16(bf16Bits(x))) }

    /// Double reference of what the bf16 path computes: scores from bf16(q * scale) and bf16(k),
    /// softmax weights exp(s - max) rounded to bf16 (their sum not rounded), values bf16(v).
    static func reference(q: [Float], k: [Float], v: [Float], tokens: Int, heads: Int, kvHeads: Int,
                          headDim: Int, window: Int?) -> [Double] {
        let scale = Float(1 / Double(headDim).squareRoot())
        var out = [Double]()
        for t in 0..<tokens {
            for h in 0..<heads {
                let kvHead = h / (heads / kvHeads)
                let keys = max(0, t - (window ?? t + 1) + 1)...t
                let scores = keys.map { j in
                    (0..<headDim).reduce(0.0) { sum, d in
                        sum + rounded(q[(t * heads + h) * headDim + d] * scale) * rounded(k[(j * kvHeads + kvHead) * headDim + d])
                    }
                }
                let maximum = scores.max() ?? 0
                let exponentials = scores.map { Float(exp($0 - maximum)) }
                let total = exponentials.reduce(0.0) { $0 + Double($1) }
                for d in 0..<headDim {
                    var acc = 0.0
                    for (i, j) in keys.enumerated() {
                        acc += rounded(exponentials[i]) * rounded(v[(j * kvHeads + kvHead) * headDim + d])
                    }
                    out.append(acc / total)
                }
            }
        }
        return out
    }

    static func run(q: [Float], k: [Float], v: [Float], tokens: Int, heads: Int, kvHeads: Int, headDim: Int,
                    window: Int? = nil, precision: AttentionPrecision, threads: Int) -> [Float] {
        var out = [Float](repeating: .nan, count: tokens * heads * headDim)
        causalAttention(q: q, k: k, v: v, tokens: tokens, heads: heads, kvHeads: kvHeads, headDim: headDim,
                        window: window, precision: precision, into: &out, pool: ThreadPool(threads: threads))
        return out
    }

    // (tokens, heads, kvHeads, headDim, window): edges of the 4-row groups, of the 64-key tiles
    // and 64-query blocks, odd token counts (a zero-padded last key pair), headDim with a
    // 16-wide and a scalar remainder, and sliding windows whose first keys are odd.
    @Test("matches a Double loop over the bf16-rounded operands, bit-identical for 1 and 2 threads",
          arguments: [(1, 3, 3, 64, nil), (33, 9, 3, 64, nil), (7, 4, 2, 16, nil), (70, 2, 1, 80, nil),
                      (130, 6, 3, 64, nil), (65, 2, 2, 128, nil), (5, 3, 1, 6, nil), (130, 3, 1, 64, 5),
                      (97, 2, 1, 64, 17), (70, 2, 2, 32, 64)] as [(Int, Int, Int, Int, Int?)])
    func matchesReference(tokens: Int, heads: Int, kvHeads: Int, headDim: Int, window: Int?) {
        var random = TestRandom(seed: 83 + UInt64(tokens * 1000 + heads * 10 + headDim))
        let q = random.floats(tokens * heads * headDim, -2, 2)
        let k = random.floats(tokens * kvHeads * headDim, -2, 2)
        let v = random.floats(tokens * kvHeads * headDim)
        let one = Self.run(q: q, k: k, v: v, tokens: tokens, heads: heads, kvHeads: kvHeads, headDim: headDim,
                           window: window, precision: .bf16, threads: 1)
        let two = Self.run(q: q, k: k, v: v, tokens: tokens, heads: heads, kvHeads: kvHeads, headDim: headDim,
                           window: window, precision: .bf16, threads: 2)
        let want = Self.reference(q: q, k: k, v: v, tokens: tokens, heads: heads, kvHeads: kvHeads, headDim: headDim,
                                  window: window)
        // One softmax weight whose f32 value lies within f32 error of a bf16 rounding boundary may
        // round the other way than the reference's: at most 2^-8 of that weight's share.
        #expect(opsWorstError(one, want, absolute: 2e-3, relative: 4e-3) <= 1)
        #expect(one.map(\.bitPattern) == two.map(\.bitPattern))

        // Against the f32 path: bf16-sized differences only.
        let f32 = Self.run(q: q, k: k, v: v, tokens: tokens, heads: heads, kvHeads: kvHeads, headDim: headDim,
                           window: window, precision: .f32, threads: 2)
        #expect(opsWorstError(one, f32.map(Double.init), absolute: 3e-2, relative: 3e-2) <= 1)
        #expect(one != f32, "the bf16 path ran (its rounding shows)")
    }

    @Test("the first query of every head is its value rounded to bf16; an odd headDim falls back to f32")
    func exactCases() {
        var random = TestRandom(seed: 5)
        let tokens = 9, heads = 4, kvHeads = 2, headDim = 64
        let q = random.floats(tokens * heads * headDim, -2, 2)
        let k = random.floats(tokens * kvHeads * headDim, -2, 2)
        let v = random.floats(tokens * kvHeads * headDim)
        let out = Self.run(q: q, k: k, v: v, tokens: tokens, heads: heads, kvHeads: kvHeads, headDim: headDim,
                           precision: .bf16, threads: 2)
        for h in 0..<heads {
            for d in 0..<headDim {
                #expect(Double(out[h * headDim + d]) == Self.rounded(v[(h / 2) * headDim + d]))
            }
        }

        let odd = 7
        let qOdd = random.floats(tokens * odd), kOdd = random.floats(tokens * odd), vOdd = random.floats(tokens * odd)
        let bf16 = Self.run(q: qOdd, k: kOdd, v: vOdd, tokens: tokens, heads: 1, kvHeads: 1, headDim: odd,
                            precision: .bf16, threads: 1)
        let f32 = Self.run(q: qOdd, k: kOdd, v: vOdd, tokens: tokens, heads: 1, kvHeads: 1, headDim: odd,
                           precision: .f32, threads: 1)
        #expect(bf16.map(\.bitPattern) == f32.map(\.bitPattern))
    }
}
