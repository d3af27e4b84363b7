import Foundation
import Testing
import Kernels
import TestSupport

@Suite("Softmax")
struct SoftmaxTests {
    static func reference(_ x: [Float], rows: Int, cols: Int) -> [Double] {
        var out = [Double]()
        for r in 0..<rows {
            let row = x[(r * cols)..<((r + 1) * cols)].map(Double.init)
            let maximum = row.max() ?? 0
            let exps = row.map { exp($0 - maximum) }
            let total = exps.reduce(0, +)
            out += exps.map { $0 / total }
        }
        return out
    }

    @Test("matches a Double loop", arguments: [1, 7, 33, 577, 1537])
    func matchesReference(cols: Int) {
        var random = TestRandom(seed: 31 + UInt64(cols))
        let rows = 3
        let x = random.floats(rows * cols, -12, 12)
        var y = x
        softmaxRows(&y, rows: rows, cols: cols)
        let want = Self.reference(x, rows: rows, cols: cols)
        #expect(opsWorstError(y, want, absolute: 1e-9, relative: 4e-6) <= 1)
        for r in 0..<rows {
            let total = y[(r * cols)..<((r + 1) * cols)].reduce(0, +)
            #expect(abs(total - 1) <= 1e-5)
        }
    }

    @Test("large inputs do not overflow")
    func largeValues() {
        var random = TestRandom(seed: 4)
        let cols = 33
        var x = random.floats(cols, 9_000, 10_000)
        x[5] = 3e38
        x[6] = 3e38
        let want = Self.reference(x, rows: 1, cols: cols)
        softmaxRows(&x, rows: 1, cols: cols)
        #expect(x.allSatisfy { $0.isFinite })
        #expect(opsWorstError(x, want, absolute: 1e-9, relative: 4e-6) <= 1)
        #expect(x[5] == 0.5 && x[6] == 0.5)
    }

    @Test("wide spreads (exponents far below -170) and tails of every length stay accurate",
          arguments: [1, 15, 16, 17, 47])
    func wideSpread(cols: Int) {
        var random = TestRandom(seed: 17 + UInt64(cols))
        let rows = 4
        var x = random.floats(rows * cols, -400, 0)
        for r in 0..<rows { x[r * cols + (r * 5) % cols] = 0.5 }
        let want = Self.reference(x, rows: rows, cols: cols)
        softmaxRows(&x, rows: rows, cols: cols)
        #expect(opsWorstError(x, want, absolute: 1e-30, relative: 4e-6) <= 1)
    }

    @Test("-inf entries get weight 0; an all -inf row becomes zeros")
    func maskedEntries() {
        var x: [Float] = [1, -.infinity, 2, -.infinity, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 3]
        let cols = x.count
        x += [Float](repeating: -.infinity, count: cols)
        softmaxRows(&x, rows: 2, cols: cols)
        #expect(x[1] == 0 && x[3] == 0)
        #expect(x[cols...].allSatisfy { $0 == 0 })
        let finite: [Float] = [1, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 3]
        let want = Self.reference(finite, rows: 1, cols: finite.count)
        let got = [x[0], x[2]] + Array(x[4..<cols])
        #expect(opsWorstError(got, want, absolute: 1e-9, relative: 4e-6) <= 1)
    }

    @Test("backward matches the Double Jacobian product", arguments: [1, 7, 33, 577])
    func backward(cols: Int) {
        var random = TestRandom(seed: 91 + UInt64(cols))
        let rows = 3
        var y = random.floats(rows * cols, -5, 5)
        softmaxRows(&y, rows: rows, cols: cols)
        let gradOut = random.floats(rows * cols)
        var gradInput = [Float](repeating: .nan, count: rows * cols)
        softmaxRowsBackward(output: y, gradOut: gradOut, rows: rows, cols: cols, gradInput: &gradInput)
        var want = [Double]()
        for r in 0..<rows {
            // J[i][j] = y_i (delta_ij - y_j); grad_j = sum_i gradOut_i J[i][j].
            for j in 0..<cols {
                var acc = 0.0
                for i in 0..<cols {
                    let yi = Double(y[r * cols + i]), yj = Double(y[r * cols + j])
                    acc += Double(gradOut[r * cols + i]) * yi * ((i == j ? 1 : 0) - yj)
                }
                want.append(acc)
            }
        }
        #expect(opsWorstError(gradInput, want, absolute: 1e-7, relative: 1e-4) <= 1)
    }
}
