import Testing
import Kernels

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
        var random = OpsRandom(seed: 21 + UInt64(cols))
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
        var random = OpsRandom(seed: 3)
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
}
