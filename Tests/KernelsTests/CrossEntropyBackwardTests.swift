import Foundation
import Kernels
import Testing
import TestSupport

/// Cross-entropy and embedding backward passes against independent Double references.
struct CrossEntropyBackwardTests {
    /// Double reference: per-row loss logsumexp - logit[target].
    private func referenceLoss(_ logits: [Double], cols: Int, row: Int, target: Int) -> Double {
        let slice = logits[(row * cols)..<((row + 1) * cols)]
        let m = slice.max()!
        let total = slice.reduce(0) { $0 + exp($1 - m) }
        return m + log(total) - logits[row * cols + target]
    }

    @Test func lossAndGradientMatchFiniteDifferences() {
        var rng = TestRandom(seed: 71)
        let rows = 5, cols = 37
        let logits = rng.floats(rows * cols, -4, 4)
        let targets: [Int32] = (0..<rows).map { Int32(($0 * 11 + 3) % cols) }
        let scale: Float = 0.25
        var work = logits
        var losses = [Double](repeating: 0, count: rows)
        let pool = ThreadPool(threads: 2)
        crossEntropyBackward(&work, rows: rows, cols: cols, targets: targets, scale: scale,
                             rowLosses: &losses, pool: pool)
        let base = logits.map(Double.init)
        var worstGradient = 0.0
        for r in 0..<rows {
            #expect(abs(losses[r] - referenceLoss(base, cols: cols, row: r, target: Int(targets[r]))) < 1e-5)
            for c in 0..<cols {
                var plus = base, minus = base
                let eps = 1e-6
                plus[r * cols + c] += eps
                minus[r * cols + c] -= eps
                let numeric = Double(scale) * (referenceLoss(plus, cols: cols, row: r, target: Int(targets[r]))
                    - referenceLoss(minus, cols: cols, row: r, target: Int(targets[r]))) / (2 * eps)
                worstGradient = max(worstGradient, abs(Double(work[r * cols + c]) - numeric) / (1e-6 + abs(numeric)))
            }
        }
        // f32 softmax: about 1e-7 relative per element, far inside 1e-3.
        #expect(worstGradient < 1e-3)
    }

    @Test func extremeLogitsStayFinite() {
        var logits: [Float] = [1000, -1000, 0, -1000, 1000, 0]
        var losses = [Double](repeating: 0, count: 2)
        crossEntropyBackward(&logits, rows: 2, cols: 3, targets: [1, 1], scale: 1, rowLosses: &losses,
                             pool: ThreadPool(threads: 1))
        #expect(abs(losses[0] - 2000) < 1e-3)
        #expect(losses[1] < 1e-6)
        #expect(logits.allSatisfy { $0.isFinite })
        #expect(abs(logits[1] + 1) < 1e-6)
    }

    @Test func embeddingBackwardSumsRepeatedTokens() {
        var rng = TestRandom(seed: 5)
        let cols = 6
        let tokens: [Int32] = [2, 0, 2, 3]
        let grad = rng.floats(tokens.count * cols)
        var table = [Float](repeating: 0, count: 4 * cols)
        embeddingBackward(gradOut: grad, tokens: tokens, count: tokens.count, cols: cols, gradTable: &table)
        for c in 0..<cols {
            #expect(table[2 * cols + c] == grad[c] + grad[2 * cols + c])
            #expect(table[0 * cols + c] == grad[1 * cols + c])
            #expect(table[3 * cols + c] == grad[3 * cols + c])
            #expect(table[1 * cols + c] == 0)
        }
    }
}
