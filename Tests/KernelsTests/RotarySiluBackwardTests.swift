import Foundation
import Kernels
import Testing
import TestSupport

/// Finite-difference and adjoint checks of the backward passes the training graph uses for
/// rotary embeddings and SwiGLU.
struct RotarySiluBackwardTests {
    /// Rotary is linear, so its backward is its adjoint: <R x, w> must equal <x, Rᵀ w> where Rᵀ
    /// is `applyInverseRotary`. This is the finite-difference check of a linear map, exactly.
    @Test(arguments: [RotaryLayout.rotateHalf, .interleaved])
    func inverseRotaryIsTheAdjoint(layout: RotaryLayout) {
        var rng = TestRandom(seed: 17)
        let tokens = 9, heads = 3, headDim = 16
        let table = RotaryTable(headDim: headDim, positions: 32, theta: 10000)
        let x = rng.floats(tokens * heads * headDim)
        let w = rng.floats(tokens * heads * headDim)
        var rx = x, rtw = w
        applyRotary(&rx, tokens: tokens, heads: heads, headDim: headDim, startPosition: 3, table: table, layout: layout)
        applyInverseRotary(&rtw, tokens: tokens, heads: heads, headDim: headDim, startPosition: 3, table: table, layout: layout)
        let left = zip(rx, w).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
        let right = zip(x, rtw).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
        #expect(abs(left - right) < 1e-4 * max(1, abs(left)))
        #expect(rx != x, "the rotation moved the input")
    }

    /// d/dg and d/du of sum(w * silu(g) * u) against float64 central differences.
    @Test func siluGateBackwardMatchesFiniteDifferences() {
        var rng = TestRandom(seed: 23)
        let count = 37
        let gate = rng.floats(count, -6, 6), up = rng.floats(count, -2, 2), upstream = rng.floats(count)
        var gradGate = [Float](repeating: 0, count: count), gradUp = gradGate
        siluGateBackward(gate: gate, up: up, gradOut: upstream, count: count, gradGate: &gradGate, gradUp: &gradUp)
        func f(_ g: Double, _ u: Double) -> Double { g / (1 + exp(-g)) * u }
        let eps = 1e-6
        for i in 0..<count {
            let g = Double(gate[i]), u = Double(up[i]), w = Double(upstream[i])
            let dg = w * (f(g + eps, u) - f(g - eps, u)) / (2 * eps)
            let du = w * (f(g, u + eps) - f(g, u - eps)) / (2 * eps)
            #expect(abs(Double(gradGate[i]) - dg) < 1e-3 * abs(dg) + 1e-6, "gate \(i)")
            #expect(abs(Double(gradUp[i]) - du) < 1e-3 * abs(du) + 1e-6, "up \(i)")
        }
    }
}
