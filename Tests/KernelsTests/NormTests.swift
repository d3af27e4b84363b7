import Testing
import Kernels
import TestSupport

@Suite("RMSNorm")
struct NormTests {
    static func reference(_ x: [Float], rows: Int, cols: Int, weight: [Float], eps: Float) -> [Double] {
        var out = [Double]()
        for r in 0..<rows {
            var squares = 0.0
            for c in 0..<cols { squares += Double(x[r * cols + c]) * Double(x[r * cols + c]) }
            let inverse = 1 / (squares / Double(cols) + Double(eps)).squareRoot()
            for c in 0..<cols { out.append(Double(x[r * cols + c]) * inverse * Double(weight[c])) }
        }
        return out
    }

    @Test("matches a Double loop", arguments: [1, 7, 33, 577, 1537])
    func matchesReference(cols: Int) {
        var random = TestRandom(seed: 21 + UInt64(cols))
        let rows = 3
        let x = random.floats(rows * cols, -4, 4)
        let weight = random.floats(cols, 0.5, 1.5)
        var out = [Float](repeating: .nan, count: rows * cols)
        rmsNorm(x, rows: rows, cols: cols, weight: weight, eps: 1e-5, into: &out)
        let want = Self.reference(x, rows: rows, cols: cols, weight: weight, eps: 1e-5)
        #expect(opsWorstError(out, want, absolute: 1e-6, relative: 2e-6) <= 1)
    }

    @Test("output may alias the input")
    func inPlace() {
        var random = TestRandom(seed: 3)
        let cols = 577, rows = 2
        let x = random.floats(rows * cols)
        let weight = random.floats(cols)
        var separate = [Float](repeating: 0, count: rows * cols)
        rmsNorm(x, rows: rows, cols: cols, weight: weight, eps: 1e-6, into: &separate)
        var inPlace = x
        inPlace.withUnsafeMutableBufferPointer { buffer in
            guard let base = buffer.baseAddress else { return }
            rmsNorm(base, rows: rows, cols: cols, weight: weight, eps: 1e-6, into: base)
        }
        #expect(inPlace == separate)
    }

    @Test("a zero row stays zero (eps keeps the scale finite)")
    func zeroRow() {
        let cols = 33
        let x = [Float](repeating: 0, count: cols)
        let weight = [Float](repeating: 2, count: cols)
        var out = [Float](repeating: .nan, count: cols)
        rmsNorm(x, rows: 1, cols: cols, weight: weight, eps: 1e-5, into: &out)
        #expect(out.allSatisfy { $0 == 0 })
    }

    @Test("backward matches central differences of the Double forward", arguments: [1, 7, 33, 577])
    func backward(cols: Int) {
        var random = TestRandom(seed: 81 + UInt64(cols))
        let rows = 3
        let eps: Float = 1e-5
        let x = random.floats(rows * cols, -2, 2)
        let weight = random.floats(cols, 0.5, 1.5)
        let gradOut = random.floats(rows * cols)
        var gradInput = [Float](repeating: .nan, count: rows * cols)
        var gradWeight = [Float](repeating: 0.25, count: cols)
        rmsNormBackward(x, rows: rows, cols: cols, weight: weight, eps: eps, gradOut: gradOut,
                        gradInput: &gradInput, gradWeight: &gradWeight)

        // loss = sum(gradOut * rmsNorm(x)); differentiate it numerically in Double.
        func loss(_ x: [Double], _ w: [Double]) -> Double {
            var total = 0.0
            for r in 0..<rows {
                var squares = 0.0
                for c in 0..<cols { squares += x[r * cols + c] * x[r * cols + c] }
                let s = 1 / (squares / Double(cols) + Double(eps)).squareRoot()
                for c in 0..<cols { total += Double(gradOut[r * cols + c]) * x[r * cols + c] * s * w[c] }
            }
            return total
        }
        let xd = x.map(Double.init), wd = weight.map(Double.init)
        let h = 1e-6
        var wantInput = [Double](), wantWeight = [Double]()
        for i in 0..<(rows * cols) {
            var plus = xd, minus = xd
            plus[i] += h
            minus[i] -= h
            wantInput.append((loss(plus, wd) - loss(minus, wd)) / (2 * h))
        }
        for c in 0..<cols {
            var plus = wd, minus = wd
            plus[c] += h
            minus[c] -= h
            wantWeight.append(0.25 + (loss(xd, plus) - loss(xd, minus)) / (2 * h))
        }
        #expect(opsWorstError(gradInput, wantInput, absolute: 1e-5, relative: 1e-4) <= 1)
        #expect(opsWorstError(gradWeight, wantWeight, absolute: 1e-5, relative: 1e-4) <= 1)

        // Aliasing gradInput with gradOut gives the same bits.
        var inPlace = gradOut
        inPlace.withUnsafeMutableBufferPointer { buffer in
            guard let base = buffer.baseAddress else { return }
            rmsNormBackward(x, rows: rows, cols: cols, weight: weight, eps: eps, gradOut: base, gradInput: base)
        }
        #expect(inPlace == gradInput)
    }
}
