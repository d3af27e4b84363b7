import Foundation
import Testing
import Kernels
import TestSupport

@Suite("Rotary embeddings")
struct RotaryTests {
    /// Double reference: rotates pair (a, b) of each head by position * theta^(-2i/headDim),
    /// divided by factors[i] when given.
    static func reference(_ x: [Float], tokens: Int, heads: Int, headDim: Int, start: Int, theta: Double,
                          layout: RotaryLayout, factors: [Double]? = nil) -> [Double] {
        var out = x.map(Double.init)
        let half = headDim / 2
        for t in 0..<tokens {
            for h in 0..<heads {
                let base = (t * heads + h) * headDim
                for i in 0..<half {
                    let angle = Double(start + t) * pow(theta, -Double(2 * i) / Double(headDim)) / (factors?[i] ?? 1)
                    let (ia, ib) = layout == .rotateHalf ? (i, i + half) : (2 * i, 2 * i + 1)
                    let a = Double(x[base + ia]), b = Double(x[base + ib])
                    out[base + ia] = a * cos(angle) - b * sin(angle)
                    out[base + ib] = a * sin(angle) + b * cos(angle)
                }
            }
        }
        return out
    }

    @Test("both layouts match a Double loop",
          arguments: [(1, 64), (7, 64), (33, 64), (33, 128), (7, 6), (5, 34)])
    func matchesReference(tokens: Int, headDim: Int) {
        for layout in [RotaryLayout.rotateHalf, .interleaved] {
            var random = TestRandom(seed: 61 + UInt64(tokens * headDim))
            let heads = 3, start = 5
            let table = RotaryTable(headDim: headDim, positions: start + tokens + 2, theta: 10_000)
            let x = random.floats(tokens * heads * headDim, -2, 2)
            var y = x
            applyRotary(&y, tokens: tokens, heads: heads, headDim: headDim, startPosition: start,
                        table: table, layout: layout)
            let want = Self.reference(x, tokens: tokens, heads: heads, headDim: headDim, start: start,
                                      theta: 10_000, layout: layout)
            #expect(opsWorstError(y, want, absolute: 2e-6, relative: 2e-6) <= 1, "layout \(layout)")
        }
    }

    @Test("position 0 is the identity")
    func positionZero() {
        var random = TestRandom(seed: 7)
        let headDim = 64, heads = 9
        let table = RotaryTable(headDim: headDim, positions: 4, theta: 100_000)
        let x = random.floats(heads * headDim)
        for layout in [RotaryLayout.rotateHalf, .interleaved] {
            var y = x
            applyRotary(&y, tokens: 1, heads: heads, headDim: headDim, table: table, layout: layout)
            #expect(y == x)
        }
    }

    @Test("the layouts agree after permuting dimensions (i, i + half) <-> (2i, 2i + 1)")
    func layoutsAgree() {
        var random = TestRandom(seed: 8)
        let headDim = 64, heads = 3, tokens = 33
        let half = headDim / 2
        let table = RotaryTable(headDim: headDim, positions: tokens, theta: 10_000)
        let x = random.floats(tokens * heads * headDim)
        var interleaved = x
        for head in 0..<(tokens * heads) {
            for i in 0..<half {
                interleaved[head * headDim + 2 * i] = x[head * headDim + i]
                interleaved[head * headDim + 2 * i + 1] = x[head * headDim + half + i]
            }
        }
        var rotatedHalf = x
        applyRotary(&rotatedHalf, tokens: tokens, heads: heads, headDim: headDim, table: table, layout: .rotateHalf)
        applyRotary(&interleaved, tokens: tokens, heads: heads, headDim: headDim, table: table, layout: .interleaved)
        var worst: Float = 0
        for head in 0..<(tokens * heads) {
            for i in 0..<half {
                worst = max(worst, abs(interleaved[head * headDim + 2 * i] - rotatedHalf[head * headDim + i]))
                worst = max(worst, abs(interleaved[head * headDim + 2 * i + 1] - rotatedHalf[head * headDim + half + i]))
            }
        }
        #expect(worst <= 1e-6)
    }

    @Test("the inverse rotation undoes the rotation")
    func inverse() {
        var random = TestRandom(seed: 9)
        let headDim = 64, heads = 3, tokens = 33
        let table = RotaryTable(headDim: headDim, positions: 100, theta: 10_000)
        let x = random.floats(tokens * heads * headDim)
        for layout in [RotaryLayout.rotateHalf, .interleaved] {
            var y = x
            applyRotary(&y, tokens: tokens, heads: heads, headDim: headDim, startPosition: 60, table: table, layout: layout)
            #expect(y != x)
            applyInverseRotary(&y, tokens: tokens, heads: heads, headDim: headDim, startPosition: 60, table: table, layout: layout)
            #expect(opsWorstError(y, x.map(Double.init), absolute: 1e-6, relative: 1e-6) <= 1)
        }
    }
}
