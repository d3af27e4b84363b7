import Foundation
import Testing
import Kernels
import TestSupport

@Suite("Reductions")
struct ReductionsTests {
    static let counts = [0, 1, 7, 16, 33, 64, 577, 1537]

    @Test("dot, sumOfSquares, norm and sum match Double loops", arguments: counts)
    func vectorReductions(count: Int) {
        var random = TestRandom(seed: 11 + UInt64(count))
        let a = random.floats(count), b = random.floats(count)
        var dotWant = 0.0, squaresWant = 0.0, sumWant = 0.0, magnitude = 0.0, absSum = 0.0
        for i in 0..<count {
            dotWant += Double(a[i]) * Double(b[i])
            magnitude += abs(Double(a[i]) * Double(b[i]))
            squaresWant += Double(a[i]) * Double(a[i])
            sumWant += Double(a[i])
            absSum += abs(Double(a[i]))
        }
        let tolerance = 1e-6 * Double(max(count, 1)).squareRoot()
        #expect(abs(Double(dot(a, b, count: count)) - dotWant) <= tolerance * magnitude)
        #expect(abs(Double(sumOfSquares(a, count: count)) - squaresWant) <= tolerance * squaresWant)
        #expect(abs(Double(norm(a, count: count)) - squaresWant.squareRoot()) <= tolerance * squaresWant.squareRoot())
        #expect(abs(Double(sum(a, count: count)) - sumWant) <= tolerance * absSum)
    }

    @Test("dot of exactly representable values is exact")
    func exactDot() {
        let a: [Float] = (0..<100).map { Float($0 % 7) }
        let b: [Float] = (0..<100).map { Float($0 % 5) - 2 }
        var want: Float = 0
        for i in 0..<100 { want += a[i] * b[i] }
        #expect(dot(a, b, count: 100) == want)
        #expect(sum(a, count: 100) == a.reduce(0, +))
    }
}

@Suite("Row metrics")
struct RowMetricsTests {
    /// Double references: cosine (0.5 for a zero norm), angular distance, MSE, MAE of each row.
    static func reference(_ x: [Float], _ y: [Float], rows: Int, cols: Int)
        -> (cosine: [Double], angular: [Double], mse: [Double], mae: [Double])
    {
        var cosine = [Double](), angular = [Double](), mse = [Double](), mae = [Double]()
        for r in 0..<rows {
            var xy = 0.0, xx = 0.0, yy = 0.0, sq = 0.0, ab = 0.0
            for c in 0..<cols {
                let a = Double(x[r * cols + c]), b = Double(y[r * cols + c])
                xy += a * b; xx += a * a; yy += b * b
                sq += (a - b) * (a - b); ab += abs(a - b)
            }
            var cos = (xx == 0 || yy == 0) ? 0.5 : xy / (xx.squareRoot() * yy.squareRoot())
            cos = min(1, max(-1, cos))
            cosine.append(cos)
            angular.append(acos(cos) / Double.pi)
            mse.append(cols > 0 ? sq / Double(cols) : 0)
            mae.append(cols > 0 ? ab / Double(cols) : 0)
        }
        return (cosine, angular, mse, mae)
    }

    static func run(_ x: [Float], _ y: [Float], rows: Int, cols: Int)
        -> (cosine: [Float], angular: [Float], mse: [Float], mae: [Float])
    {
        var cosine = [Float](repeating: .nan, count: rows), angular = cosine, mse = cosine, mae = cosine
        rowCosineSimilarity(x, y, rows: rows, cols: cols, into: &cosine)
        rowAngularDistance(x, y, rows: rows, cols: cols, into: &angular)
        rowMeanSquaredDifference(x, y, rows: rows, cols: cols, into: &mse)
        rowMeanAbsoluteDifference(x, y, rows: rows, cols: cols, into: &mae)
        return (cosine, angular, mse, mae)
    }

    /// Random rows, with row 0 of y nearly equal to x's (cosine close to 1) and row 1 opposite.
    static func mixedRows(seed: UInt64, rows: Int, cols: Int) -> (x: [Float], y: [Float]) {
        var random = TestRandom(seed: seed)
        let x = random.floats(rows * cols)
        var y = random.floats(rows * cols)
        for c in 0..<cols {
            y[c] = x[c] + 1e-3 * y[c]
            y[cols + c] = -x[cols + c]
        }
        return (x, y)
    }

    @Test("metrics match Double loops on random rows", arguments: [1, 7, 33, 577, 1537])
    func randomRows(cols: Int) {
        let rows = 5
        let (x, y) = Self.mixedRows(seed: 99 + UInt64(cols), rows: rows, cols: cols)
        let got = Self.run(x, y, rows: rows, cols: cols)
        let want = Self.reference(x, y, rows: rows, cols: cols)
        #expect(opsWorstError(got.cosine, want.cosine, absolute: 1e-7, relative: 1e-6) <= 1)
        #expect(opsWorstError(got.angular, want.angular, absolute: 1e-7, relative: 1e-6) <= 1)
        #expect(opsWorstError(got.mse, want.mse, absolute: 1e-12, relative: 1e-6) <= 1)
        #expect(opsWorstError(got.mae, want.mae, absolute: 1e-12, relative: 1e-6) <= 1)
        #expect(got.angular[1] == 1)
        #expect(got.angular[0] >= 0 && got.angular[0] < 0.01)
    }

    @Test("a zero norm makes the cosine 0.5 (distance 1/3); identical rows give 0")
    func zeroNormRule() {
        let cols = 33
        var random = TestRandom(seed: 5)
        let row = random.floats(cols)
        let zero = [Float](repeating: 0, count: cols)
        let x = zero + row + zero + row
        let y = row + zero + zero + row
        let got = Self.run(x, y, rows: 4, cols: cols)
        #expect(got.cosine[0] == 0.5 && got.cosine[1] == 0.5 && got.cosine[2] == 0.5)
        let third = Float(1.0 / 3.0)
        for r in 0..<3 { #expect(abs(got.angular[r] - third) <= 1e-7) }
        #expect(got.cosine[3] == 1)
        #expect(got.angular[3] == 0)
        #expect(got.mse[3] == 0 && got.mae[3] == 0)
        #expect(got.mse[2] == 0 && got.mae[2] == 0)
    }

    @Test("rowBlockMetrics writes the four metrics' exact bits in one pass", arguments: [0, 1, 7, 8, 33, 577])
    func fusedMetricsMatchTheSeparateOnes(cols: Int) {
        let rows = 6
        let (x, mixed) = Self.mixedRows(seed: 41 + UInt64(cols), rows: rows, cols: cols)
        var y = mixed
        for c in 0..<cols { y[2 * cols + c] = 0 }  // zero norm
        if cols > 0 { y[3 * cols] = .nan }  // not a number
        let separate = Self.run(x, y, rows: rows, cols: cols)
        var angular = [Float](repeating: -1, count: rows), cosine = angular, squared = angular, absolute = angular
        rowBlockMetrics(x, y, rows: rows, cols: cols, angular: &angular, cosine: &cosine, squared: &squared,
                        absolute: &absolute)
        #expect(angular.map(\.bitPattern) == separate.angular.map(\.bitPattern))
        #expect(cosine.map(\.bitPattern) == separate.cosine.map(\.bitPattern))
        #expect(squared.map(\.bitPattern) == separate.mse.map(\.bitPattern))
        #expect(absolute.map(\.bitPattern) == separate.mae.map(\.bitPattern))
    }

    @Test("the cosine is clamped to [-1, 1] so acos never sees a rounding overshoot")
    func clamp() {
        // Parallel and anti-parallel rows whose rounded cosine could exceed 1 in magnitude.
        let cols = 577
        var random = TestRandom(seed: 8)
        let base = random.floats(cols, 0.1, 3)
        let x = base + base
        let y = base.map { $0 * 3 } + base.map { $0 * -7 }
        let got = Self.run(x, y, rows: 2, cols: cols)
        #expect(got.cosine[0] <= 1 && got.cosine[1] >= -1)
        #expect(got.angular[0] >= 0 && got.angular[0] < 1e-3)
        #expect(got.angular[1] <= 1 && got.angular[1] > 0.999)
        #expect(!got.angular.contains { $0.isNaN })
    }
}
