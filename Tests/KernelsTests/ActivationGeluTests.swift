import Foundation
import Testing
import Kernels
import TestSupport

@Suite("GELU-tanh gate")
struct ActivationGeluTests {
    static let c = (2 / Double.pi).squareRoot()

    /// Double reference as x sigmoid(2u): the same function as 0.5 x (1 + tanh(u)) (checked
    /// below) without the cancellation in 1 + tanh for negative x.
    static func gelu(_ x: Double) -> Double {
        let u = c * (x + 0.044715 * x * x * x)
        return x / (1 + exp(-2 * u))
    }

    /// PyTorch's formula, literally.
    static func geluTanhFormula(_ x: Double) -> Double {
        0.5 * x * (1 + tanh(c * (x + 0.044715 * x * x * x)))
    }

    /// |got - want| in units of the f32 ulp at want (the smallest subnormal below the normal range).
    static func ulps(_ got: Float, _ want: Double) -> Double {
        abs(Double(got) - want) / Double(Float(want).ulp)
    }

    /// Gates over [-14, 14] (dense where the result under- or overflows in stages), decades up
    /// to f32's limits, zeros and tiny values.
    static func wideGates() -> [Float] {
        var random = TestRandom(seed: 97)
        var gates = random.floats(4000, -14, 14)
        gates += random.floats(500, -0.01, 0.01)
        for exponent in -38...38 {
            let magnitude = Float("1e\(exponent)") ?? 1
            gates += [magnitude, -magnitude, 3 * magnitude, -3 * magnitude]
        }
        gates += [0, -0, .leastNonzeroMagnitude, -.leastNonzeroMagnitude, .greatestFiniteMagnitude,
                  -.greatestFiniteMagnitude, -10.45, -10.5, -12.9, -13, 10.5, 0.5, -0.5, -0.7518]
        return gates
    }

    @Test("the sigmoid form of the reference is PyTorch's tanh formula")
    func referenceIdentity() {
        var worst = 0.0
        for i in 0...2000 {
            let x = -4 + 24 * Double(i) / 2000
            worst = max(worst, abs(Self.gelu(x) - Self.geluTanhFormula(x)) / max(1e-300, abs(Self.gelu(x))))
        }
        // (Over this range Double's own 1 + tanh cancellation stays below 1e-11.)
        #expect(worst < 1e-10)
    }

    @Test("gelu is within a few ulps of the Double function over f32's whole range, never NaN")
    func ulpAccuracy() {
        let gates = Self.wideGates()
        var out = [Float](repeating: .nan, count: gates.count)
        geluTanh(gates, count: gates.count, into: &out)
        var worstNormal = 0.0, worstSubnormal = 0.0
        for (x, y) in zip(gates, out) {
            let want = Self.gelu(Double(x))
            let error = Self.ulps(y, want)
            if abs(want) >= Double(Float.leastNormalMagnitude) {
                worstNormal = max(worstNormal, error)
            } else {
                worstSubnormal = max(worstSubnormal, error)
            }
        }
        #expect(out.allSatisfy { !$0.isNaN })
        #expect(worstNormal <= 4, "worst \(worstNormal) ulp")
        #expect(worstSubnormal <= 8, "worst \(worstSubnormal) ulp (subnormal results)")
        // Saturation: large positive gates pass through, large negative ones give -0.
        var edges = [Float](repeating: .nan, count: 4)
        geluTanh([20, 3e38, -20, -3e38], count: 4, into: &edges)
        #expect(edges[0] == 20 && edges[1] == 3e38)
        #expect(edges[2] == 0 && edges[2].sign == .minus && edges[3] == 0)
    }

    @Test("gated: matches a Double loop", arguments: [1, 7, 16, 33, 577, 1537])
    func matchesReference(count: Int) {
        var random = TestRandom(seed: 141 + UInt64(count))
        let gate = random.floats(count, -12, 12)
        let up = random.floats(count, -3, 3)
        var out = [Float](repeating: .nan, count: count)
        geluTanhGate(gate: gate, up: up, count: count, into: &out)
        var worst = 0.0
        for i in 0..<count {
            worst = max(worst, Self.ulps(out[i], Self.gelu(Double(gate[i])) * Double(up[i])))
        }
        #expect(worst <= 5, "worst \(worst) ulp")
        var plain = [Float](repeating: .nan, count: count)
        geluTanh(gate, count: count, into: &plain)
        for i in 0..<count { #expect(out[i] == plain[i] * up[i]) }
    }

    @Test("output may alias gate or up")
    func aliasing() {
        var random = TestRandom(seed: 7)
        let count = 577
        let gate = random.floats(count, -5, 5), up = random.floats(count)
        var expected = [Float](repeating: 0, count: count)
        geluTanhGate(gate: gate, up: up, count: count, into: &expected)
        var inGate = gate
        inGate.withUnsafeMutableBufferPointer { buffer in
            guard let base = buffer.baseAddress else { return }
            geluTanhGate(gate: base, up: up, count: count, into: base)
        }
        var inUp = up
        inUp.withUnsafeMutableBufferPointer { buffer in
            guard let base = buffer.baseAddress else { return }
            geluTanhGate(gate: gate, up: base, count: count, into: base)
        }
        var plain = gate
        plain.withUnsafeMutableBufferPointer { buffer in
            guard let base = buffer.baseAddress else { return }
            geluTanh(base, count: count, into: base)
        }
        var separate = [Float](repeating: 0, count: count)
        geluTanh(gate, count: count, into: &separate)
        #expect(inGate == expected)
        #expect(inUp == expected)
        #expect(plain == separate)
    }

    @Test("backward matches float64 central differences", arguments: [7, 33, 577])
    func backward(count: Int) {
        var random = TestRandom(seed: 151 + UInt64(count))
        let gate = random.floats(count, -8, 8), up = random.floats(count, -2, 2), grad = random.floats(count)
        var gradGate = [Float](repeating: .nan, count: count), gradUp = gradGate
        geluTanhGateBackward(gate: gate, up: up, gradOut: grad, count: count, gradGate: &gradGate, gradUp: &gradUp)
        var wantGate = [Double](), wantUp = [Double]()
        let h = 1e-6
        for i in 0..<count {
            let g = Double(gate[i]), u = Double(up[i]), w = Double(grad[i])
            // d/dg and d/du of w * gelu(g) * u, through PyTorch's own formula.
            wantGate.append(w * u * (Self.geluTanhFormula(g + h) - Self.geluTanhFormula(g - h)) / (2 * h))
            wantUp.append(w * ((Self.geluTanhFormula(g) * (u + h)) - Self.geluTanhFormula(g) * (u - h)) / (2 * h))
        }
        #expect(opsWorstError(gradGate, wantGate, absolute: 1e-6, relative: 1e-5) <= 1)
        #expect(opsWorstError(gradUp, wantUp, absolute: 1e-7, relative: 1e-5) <= 1)

        // The gradients may alias gradOut.
        var aliasedGate = grad, aliasedUp = [Float](repeating: 0, count: count)
        aliasedGate.withUnsafeMutableBufferPointer { buffer in
            guard let base = buffer.baseAddress else { return }
            geluTanhGateBackward(gate: gate, up: up, gradOut: base, count: count, gradGate: base, gradUp: &aliasedUp)
        }
        #expect(aliasedGate == gradGate)
        #expect(aliasedUp == gradUp)
    }

    @Test("backward at extreme gates stays finite: derivative 1 far right, 0 far left")
    func backwardExtremes() {
        let gate: [Float] = [-3e38, -1e20, -1e13, -100, -20, -13, -10.5, 0, -0, 1e-30, 10.5, 13, 20, 100, 1e13, 1e20, 3e38]
        let count = gate.count
        let ones = [Float](repeating: 1, count: count)
        var gradGate = [Float](repeating: .nan, count: count), gradUp = gradGate
        geluTanhGateBackward(gate: gate, up: ones, gradOut: ones, count: count, gradGate: &gradGate, gradUp: &gradUp)
        #expect(gradGate.allSatisfy { $0.isFinite } && gradUp.allSatisfy { $0.isFinite })
        for i in 0..<count {
            let x = Double(gate[i])
            let h = 1e-6 * max(1, abs(x))
            let want = abs(x) > 50 ? (x > 0 ? 1 : 0) : (Self.gelu(x + h) - Self.gelu(x - h)) / (2 * h)
            #expect(abs(Double(gradGate[i]) - want) <= 1e-6 * max(1, abs(want)), "gate \(gate[i])")
            #expect(Self.ulps(gradUp[i], Self.gelu(x)) <= 4, "gate \(gate[i])")
        }
    }

    @Test("GatedActivation dispatches to exactly the named kernels")
    func dispatch() {
        var random = TestRandom(seed: 8)
        let count = 99
        let gate = random.floats(count, -6, 6), up = random.floats(count), grad = random.floats(count)
        for kind in GatedActivation.allCases {
            var got = [Float](repeating: .nan, count: count), want = got
            gatedActivation(kind, gate: gate, up: up, count: count, into: &got)
            var gotGate = got, gotUp = got, wantGate = got, wantUp = got
            gatedActivationBackward(kind, gate: gate, up: up, gradOut: grad, count: count,
                                    gradGate: &gotGate, gradUp: &gotUp)
            switch kind {
            case .silu:
                siluGate(gate: gate, up: up, count: count, into: &want)
                siluGateBackward(gate: gate, up: up, gradOut: grad, count: count, gradGate: &wantGate, gradUp: &wantUp)
            case .geluTanh:
                geluTanhGate(gate: gate, up: up, count: count, into: &want)
                geluTanhGateBackward(gate: gate, up: up, gradOut: grad, count: count,
                                     gradGate: &wantGate, gradUp: &wantUp)
            }
            #expect(got.map(\.bitPattern) == want.map(\.bitPattern), "\(kind)")
            #expect(gotGate.map(\.bitPattern) == wantGate.map(\.bitPattern), "\(kind)")
            #expect(gotUp.map(\.bitPattern) == wantUp.map(\.bitPattern), "\(kind)")
        }
        #expect(GatedActivation(rawValue: "geluTanh") == .geluTanh)
    }
}
