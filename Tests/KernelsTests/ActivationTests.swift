import Foundation
import Testing
import Kernels
import TestSupport

@Suite("SiLU gate")
struct ActivationTests {
    static func silu(_ g: Double) -> Double { g / (1 + exp(-g)) }

    @Test("matches a Double loop", arguments: [1, 7, 33, 577, 1537])
    func matchesReference(count: Int) {
        var random = TestRandom(seed: 41 + UInt64(count))
        let gate = random.floats(count, -20, 20)
        let up = random.floats(count, -3, 3)
        var out = [Float](repeating: .nan, count: count)
        siluGate(gate: gate, up: up, count: count, into: &out)
        let want = (0..<count).map { Self.silu(Double(gate[$0])) * Double(up[$0]) }
        #expect(opsWorstError(out, want, absolute: 1e-30, relative: 4e-6) <= 1)

        var plain = [Float](repeating: .nan, count: count)
        Kernels.silu(gate, count: count, into: &plain)
        #expect(opsWorstError(plain, gate.map { Self.silu(Double($0)) }, absolute: 1e-30, relative: 4e-6) <= 1)
    }

    @Test("extreme gates: exp over- and underflow stay finite and accurate")
    func extremes() {
        let gate: [Float] = [-200, -100, -88.8, -88.5, -87, -30, -1e-30, 0, 1e-30, 30, 87, 88.5, 88.8, 100, 200, 3e38, -3e38]
        let up = [Float](repeating: 1, count: gate.count)
        var out = [Float](repeating: .nan, count: gate.count)
        siluGate(gate: gate, up: up, count: gate.count, into: &out)
        let want = gate.map { Self.silu(Double($0)) }
        #expect(out.allSatisfy { !$0.isNaN })
        #expect(opsWorstError(out, want, absolute: 1e-35, relative: 4e-6) <= 1)
    }

    @Test("output may alias gate or up")
    func aliasing() {
        var random = TestRandom(seed: 6)
        let count = 577
        let gate = random.floats(count, -5, 5), up = random.floats(count)
        var expected = [Float](repeating: 0, count: count)
        siluGate(gate: gate, up: up, count: count, into: &expected)
        var inGate = gate
        inGate.withUnsafeMutableBufferPointer { buffer in
            guard let base = buffer.baseAddress else { return }
            siluGate(gate: base, up: up, count: count, into: base)
        }
        var inUp = up
        inUp.withUnsafeMutableBufferPointer { buffer in
            guard let base = buffer.baseAddress else { return }
            siluGate(gate: gate, up: base, count: count, into: base)
        }
        #expect(inGate == expected)
        #expect(inUp == expected)
    }

    @Test("backward matches the analytic derivative", arguments: [7, 33, 577])
    func backward(count: Int) {
        var random = TestRandom(seed: 51 + UInt64(count))
        let gate = random.floats(count, -10, 10), up = random.floats(count), grad = random.floats(count)
        var gradGate = [Float](repeating: .nan, count: count), gradUp = gradGate
        siluGateBackward(gate: gate, up: up, gradOut: grad, count: count, gradGate: &gradGate, gradUp: &gradUp)
        var wantGate = [Double](), wantUp = [Double]()
        for i in 0..<count {
            let g = Double(gate[i])
            // Central difference of silu in Double as the independent reference.
            let h = 1e-6
            let derivative = (Self.silu(g + h) - Self.silu(g - h)) / (2 * h)
            wantGate.append(Double(grad[i]) * Double(up[i]) * derivative)
            wantUp.append(Double(grad[i]) * Self.silu(g))
        }
        #expect(opsWorstError(gradGate, wantGate, absolute: 1e-6, relative: 1e-5) <= 1)
        #expect(opsWorstError(gradUp, wantUp, absolute: 1e-7, relative: 4e-6) <= 1)
    }
}
