import Foundation
import Kernels
import Testing
import TestSupport

/// The distillation loss kernel against an independent Double reference and its finite
/// differences, at several temperatures and LM weights.
struct DistillationBackwardTests {
    /// (1 - w) T² KL(softmax(q/T) || softmax(s/T)) + w (logsumexp(s) - s[target]), in Double.
    private func referenceLoss(_ s: [Double], _ q: [Double], target: Int, temperature t: Double, lmWeight w: Double)
        -> Double
    {
        func logSoftmax(_ x: [Double]) -> [Double] {
            let m = x.max()!
            let lse = m + log(x.reduce(0) { $0 + exp($1 - m) })
            return x.map { $0 - lse }
        }
        let logPT = logSoftmax(q.map { $0 / t }), logPS = logSoftmax(s.map { $0 / t })
        let kl = zip(logPT, logPS).reduce(0) { $0 + exp($1.0) * ($1.0 - $1.1) }
        return (1 - w) * t * t * kl - w * logSoftmax(s)[target]
    }

    @Test(arguments: [(Float(1), Float(0)), (2, 0), (1, 0.25), (0.5, 0.6), (3, 1)])
    func lossAndGradientMatchFiniteDifferences(temperature: Float, lmWeight: Float) {
        var rng = TestRandom(seed: 29)
        let rows = 4, cols = 41
        let student = rng.floats(rows * cols, -4, 4)
        let teacher = rng.floats(rows * cols, -4, 4)
        let targets: [Int32] = (0..<rows).map { Int32(($0 * 13 + 5) % cols) }
        let scale: Float = 0.5
        var gradient = student, scratch = teacher
        var losses = [Double](repeating: 0, count: rows)
        distillationBackward(&gradient, teacher: &scratch, rows: rows, cols: cols, targets: targets,
                             temperature: temperature, lmWeight: lmWeight, scale: scale, rowLosses: &losses,
                             pool: ThreadPool(threads: 2))
        let t = Double(temperature), w = Double(lmWeight)
        var worst = 0.0
        for r in 0..<rows {
            let s = student[(r * cols)..<((r + 1) * cols)].map(Double.init)
            let q = teacher[(r * cols)..<((r + 1) * cols)].map(Double.init)
            let target = Int(targets[r])
            let reference = referenceLoss(s, q, target: target, temperature: t, lmWeight: w)
            #expect(abs(losses[r] - reference) < 1e-5 * max(1, abs(reference)), "row \(r) loss")
            #expect(reference > 0, "distinct distributions have a positive loss")
            for c in 0..<cols {
                var plus = s, minus = s
                let eps = 1e-6
                plus[c] += eps
                minus[c] -= eps
                let numeric = Double(scale) * (referenceLoss(plus, q, target: target, temperature: t, lmWeight: w)
                    - referenceLoss(minus, q, target: target, temperature: t, lmWeight: w)) / (2 * eps)
                worst = max(worst, abs(Double(gradient[r * cols + c]) - numeric) / (1e-4 + abs(numeric)))
            }
        }
        #expect(worst < 1e-3, "worst relative gradient error \(worst)")
    }

    @Test func identicalLogitsGiveExactlyZeroLossAndGradient() {
        var rng = TestRandom(seed: 3)
        let rows = 3, cols = 50
        let logits = rng.floats(rows * cols, -6, 6)
        for temperature: Float in [1, 2] {
            var gradient = logits, teacher = logits
            var losses = [Double](repeating: 1, count: rows)
            distillationBackward(&gradient, teacher: &teacher, rows: rows, cols: cols, targets: [0, 1, 2],
                                 temperature: temperature, lmWeight: 0, scale: 1, rowLosses: &losses,
                                 pool: ThreadPool(threads: 2))
            #expect(losses.allSatisfy { $0 == 0 })
            #expect(gradient.allSatisfy { $0 == 0 })
        }
    }

    @Test func fullLMWeightIsTheCrossEntropy() {
        var rng = TestRandom(seed: 8)
        let rows = 3, cols = 30
        let logits = rng.floats(rows * cols, -3, 3)
        let targets: [Int32] = [4, 0, 29]
        var kd = logits, teacher = rng.floats(rows * cols, -3, 3), ce = logits
        var kdLosses = [Double](repeating: 0, count: rows), ceLosses = kdLosses
        let pool = ThreadPool(threads: 1)
        distillationBackward(&kd, teacher: &teacher, rows: rows, cols: cols, targets: targets, temperature: 1,
                             lmWeight: 1, scale: 0.3, rowLosses: &kdLosses, pool: pool)
        crossEntropyBackward(&ce, rows: rows, cols: cols, targets: targets, scale: 0.3, rowLosses: &ceLosses, pool: pool)
        #expect(zip(kdLosses, ceLosses).allSatisfy { abs($0 - $1) < 1e-9 })
        #expect(zip(kd, ce).allSatisfy { abs($0 - $1) < 1e-7 })
    }

    @Test func extremeLogitsStayFinite() {
        var student: [Float] = [1000, -1000, 0, -1000, 1000, 0]
        var teacher: [Float] = [-1000, 1000, 0, -1000, 1000, 0]
        var losses = [Double](repeating: 0, count: 2)
        distillationBackward(&student, teacher: &teacher, rows: 2, cols: 3, targets: [0, 1], temperature: 1,
                             lmWeight: 0, scale: 1, rowLosses: &losses, pool: ThreadPool(threads: 1))
        #expect(abs(losses[0] - 2000) < 1e-2, "KL of two near-one-hot rows: the logit gap")
        #expect(losses[1] == 0)
        #expect(student.allSatisfy { $0.isFinite })
    }
}
