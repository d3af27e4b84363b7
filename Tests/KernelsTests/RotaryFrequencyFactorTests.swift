import Foundation
import Testing
import Kernels
import TestSupport

/// `RotaryTable(frequencyFactors:)`: Llama 3's per-pair frequency divisors (llama.cpp's
/// `rope_freqs.weight`), against the direct Double computation of `RotaryTests.reference`.
@Suite("Rotary frequency factors")
struct RotaryFrequencyFactorTests {
    /// Llama 3.1's rope scaling (factor 8, low 1, high 4, original context 8192) as per-pair
    /// divisors: 1 for short wavelengths, 8 for long ones, smoothly in between.
    static func llama3Factors(headDim: Int, theta: Double) -> [Float] {
        let factor = 8.0, low = 1.0, high = 4.0, original = 8192.0
        return (0..<(headDim / 2)).map { i in
            let wavelength = 2 * Double.pi * pow(theta, Double(2 * i) / Double(headDim))
            if wavelength < original / high { return 1 }
            if wavelength > original / low { return Float(factor) }
            let smooth = (original / wavelength - low) / (high - low)
            return Float(1 / ((1 - smooth) / factor + smooth))
        }
    }

    @Test("both layouts match a direct Double computation", arguments: [(64, 5), (128, 5), (128, 8190), (34, 77)])
    func matchesReference(headDim: Int, start: Int) {
        var random = TestRandom(seed: 211 + UInt64(headDim + start))
        let tokens = 9, heads = 3, theta = 500_000.0
        let factors = headDim == 128 ? Self.llama3Factors(headDim: headDim, theta: theta)
                                     : random.floats(headDim / 2, 0.5, 8)
        let table = RotaryTable(headDim: headDim, positions: start + tokens, theta: Float(theta),
                                frequencyFactors: factors)
        #expect(table.frequencyFactors == factors)
        let x = random.floats(tokens * heads * headDim, -2, 2)
        for layout in [RotaryLayout.rotateHalf, .interleaved] {
            var y = x
            applyRotary(&y, tokens: tokens, heads: heads, headDim: headDim, startPosition: start, table: table,
                        layout: layout)
            let want = RotaryTests.reference(x, tokens: tokens, heads: heads, headDim: headDim, start: start,
                                             theta: Double(Float(theta)), layout: layout,
                                             factors: factors.map(Double.init))
            #expect(opsWorstError(y, want, absolute: 2e-6, relative: 2e-6) <= 1, "layout \(layout)")
            // The factors matter: the plain table rotates differently.
            let plain = RotaryTable(headDim: headDim, positions: start + tokens, theta: Float(theta))
            var z = x
            applyRotary(&z, tokens: tokens, heads: heads, headDim: headDim, startPosition: start, table: plain,
                        layout: layout)
            #expect(z != y)
        }
    }

    @Test("factors of 1 give the plain table, bit for bit")
    func onesAreThePlainTable() {
        var random = TestRandom(seed: 5)
        let headDim = 64, tokens = 40, heads = 2
        let plain = RotaryTable(headDim: headDim, positions: 100, theta: 10_000)
        let ones = RotaryTable(headDim: headDim, positions: 100, theta: 10_000,
                               frequencyFactors: [Float](repeating: 1, count: headDim / 2))
        let x = random.floats(tokens * heads * headDim)
        var a = x, b = x
        applyRotary(&a, tokens: tokens, heads: heads, headDim: headDim, startPosition: 60, table: plain, layout: .rotateHalf)
        applyRotary(&b, tokens: tokens, heads: heads, headDim: headDim, startPosition: 60, table: ones, layout: .rotateHalf)
        #expect(a.map(\.bitPattern) == b.map(\.bitPattern))
        #expect(plain.frequencyFactors == nil)
    }

    @Test("a 131072-position table at headDim 128 builds quickly and is exact at its last positions")
    func longContext() {
        let headDim = 128, positions = 131_072, theta = 500_000.0, tokens = 3, heads = 2
        let factors = Self.llama3Factors(headDim: headDim, theta: theta)
        let clock = ContinuousClock()
        var table: RotaryTable?
        let elapsed = clock.measure {
            table = RotaryTable(headDim: headDim, positions: positions, theta: Float(theta), frequencyFactors: factors)
        }
        guard let table else { return }
        // About 0.2 s on one core here; the bound only catches a pathological build.
        #expect(elapsed < .seconds(30))
        var random = TestRandom(seed: 6)
        let x = random.floats(tokens * heads * headDim)
        var y = x
        applyRotary(&y, tokens: tokens, heads: heads, headDim: headDim, startPosition: positions - tokens,
                    table: table, layout: .rotateHalf)
        let want = RotaryTests.reference(x, tokens: tokens, heads: heads, headDim: headDim, start: positions - tokens,
                                         theta: Double(Float(theta)), layout: .rotateHalf,
                                         factors: factors.map(Double.init))
        #expect(opsWorstError(y, want, absolute: 2e-6, relative: 2e-6) <= 1)
    }
}
