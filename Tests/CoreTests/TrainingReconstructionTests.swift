import Core
import Foundation
import Kernels
import Testing
import TestSupport

/// Closed-form block-output reconstruction (`BlockReconstruction`): its refitted projections
/// against the damped least-squares solution formed and solved in Double from NaiveLlama's
/// activations, the fixed point of a model reconstructed against itself, what it leaves alone,
/// and its place in a recovery run.
struct TrainingReconstructionTests {
    static let config = LlamaConfig.tiny(layers: 2, hidden: 16, heads: 4, kvHeads: 2, ffn: 24, vocab: 40, context: 16)
    static let windows: [[Int32]] = [
        [3, 17, 22, 8, 8, 29, 0, 39, 12, 5, 1, 30],
        [9, 9, 2, 33, 14, 27, 6, 11, 38, 4],
        [25, 13, 7, 19, 31, 2, 36, 21, 10, 15, 34, 26, 18, 0],
    ]
    static let damping = 1e-2

    /// The teacher and a student with a third of every block's FFN neurons removed.
    static func models() throws -> (teacher: LlamaModel, student: LlamaModel) {
        let teacher = try LlamaModel.random(config: config, seed: 41)
        let kept = (0..<config.numLayers).map { l in (0..<24).filter { ($0 + l) % 3 != 0 } }
        return (teacher, try teacher.compressed(keeping: kept))
    }

    /// Every projection's input and output in `model`, per window, from NaiveLlama in Double.
    static func trace(_ model: LlamaModel, _ tokens: [Int32]) -> [Int: [BlockLinear: (input: [[Double]], output: [[Double]])]] {
        var seen: [Int: [BlockLinear: (input: [[Double]], output: [[Double]])]] = [:]
        _ = NaiveLlama.finalHidden(model, tokens) { l, part, x in
            let y = NaiveLlama.linear(x, NaiveLlama.matrix(part.weights(in: model.blocks[l])))
            seen[l, default: [:]][part] = (x, y)
            return y
        }
        return seen
    }

    /// Block `layer`'s input for every token: embeddings plus every earlier branch output.
    static func blockInput(_ model: LlamaModel, _ tokens: [Int32], layer: Int,
                           _ traced: [Int: [BlockLinear: (input: [[Double]], output: [[Double]])]]) -> [[Double]] {
        let h = model.config.hiddenSize
        var x = tokens.map { id in (0..<h).map { Double(model.embedding[Int(id) * h + $0]) } }
        for l in 0..<layer {
            for part in [BlockLinear.attentionOutput, .down] {
                let o = traced[l]![part]!.output
                for t in x.indices { for j in 0..<h { x[t][j] += o[t][j] } }
            }
        }
        return x
    }

    /// argmin sum_t w_t ||x_t W'^T - t_t||^2 + lambda ||W' - W||^2 over all windows' rows, lambda
    /// = damping x mean diag(X^T diag(w) X), by Gaussian elimination with partial pivoting in
    /// Double; W' is outputs x inputs.
    static func dampedLeastSquares(_ x: [[Double]], _ t: [[Double]], weights: [Double], current w: [[Double]]) -> [[Double]] {
        let n = x[0].count, m = t[0].count
        var a = Array(repeating: Array(repeating: 0.0, count: n), count: n)
        var b = Array(repeating: Array(repeating: 0.0, count: m), count: n)
        for (r, (row, target)) in zip(x, t).enumerated() {
            for i in 0..<n {
                for j in 0..<n { a[i][j] += weights[r] * row[i] * row[j] }
                for o in 0..<m { b[i][o] += weights[r] * row[i] * target[o] }
            }
        }
        let lambda = damping * (0..<n).reduce(0.0) { $0 + a[$1][$1] } / Double(n)
        for i in 0..<n {
            a[i][i] += lambda
            for o in 0..<m { b[i][o] += lambda * w[o][i] }
        }
        for col in 0..<n {
            let pivot = (col..<n).max { abs(a[$0][col]) < abs(a[$1][col]) }!
            a.swapAt(col, pivot)
            b.swapAt(col, pivot)
            for r in 0..<n where r != col {
                let f = a[r][col] / a[col][col]
                if f == 0 { continue }
                for j in 0..<n { a[r][j] -= f * a[col][j] }
                for o in 0..<m { b[r][o] -= f * b[col][o] }
            }
        }
        return (0..<m).map { o in (0..<n).map { i in b[i][o] / a[i][i] } }
    }

    static func maxRelativeDifference(_ a: PackedWeights, _ b: [[Double]]) -> Double {
        let values = a.unpacked()
        let scale = b.flatMap { $0 }.map(abs).max()!
        var worst = 0.0
        for o in 0..<a.rows { for i in 0..<a.cols { worst = max(worst, abs(Double(values[o * a.cols + i]) - b[o][i])) } }
        return worst / scale
    }

    /// 1 / the mean square of each row (`.normalized`), or 1.
    static func tokenWeights(_ rows: [[Double]], _ weighting: BlockReconstruction.TokenWeighting) -> [Double] {
        rows.map { row in weighting == .uniform ? 1 : 1 / (row.reduce(0) { $0 + $1 * $1 } / Double(row.count)) }
    }

    @Test("the second block's refitted Wo and Wd are the damped (weighted) least-squares solutions formed from NaiveLlama's activations",
          arguments: BlockReconstruction.TokenWeighting.allCases)
    func matchesNaiveLeastSquares(weighting: BlockReconstruction.TokenWeighting) throws {
        let (teacher, student) = try Self.models()
        let result = try BlockReconstruction(damping: Self.damping, weighting: weighting).reconstruct(
            student: student, teacher: teacher, windows: Self.windows, pool: ThreadPool(threads: 2))
        #expect(result.summary.refitted == [["attn_output", "ffn_down"], ["attn_output", "ffn_down"]])
        let rebuilt = result.model
        let layer = 1, h = Self.config.hiddenSize
        // Rows of every window: the rebuilt student's inputs (its block 0 refitted), the teacher's targets.
        var attentionInputs: [[Double]] = [], attentionTargets: [[Double]] = []
        var ffnInputs: [[Double]] = [], ffnTargets: [[Double]] = []
        var attentionWeights: [Double] = [], ffnWeights: [Double] = []
        for window in Self.windows {
            let s = Self.trace(rebuilt, window), t = Self.trace(teacher, window)
            let xs = Self.blockInput(rebuilt, window, layer: layer, s), xt = Self.blockInput(teacher, window, layer: layer, t)
            let teacherMiddle = (0..<window.count).map { r in (0..<h).map { xt[r][$0] + t[layer]![.attentionOutput]!.output[r][$0] } }
            let teacherOutput = (0..<window.count).map { r in (0..<h).map { teacherMiddle[r][$0] + t[layer]![.down]!.output[r][$0] } }
            let studentMiddle = (0..<window.count).map { r in (0..<h).map { xs[r][$0] + s[layer]![.attentionOutput]!.output[r][$0] } }
            attentionInputs += s[layer]![.attentionOutput]!.input
            attentionTargets += (0..<window.count).map { r in (0..<h).map { teacherMiddle[r][$0] - xs[r][$0] } }
            ffnInputs += s[layer]![.down]!.input
            ffnTargets += (0..<window.count).map { r in (0..<h).map { teacherOutput[r][$0] - studentMiddle[r][$0] } }
            attentionWeights += Self.tokenWeights(teacherMiddle, weighting)
            ffnWeights += Self.tokenWeights(teacherOutput, weighting)
        }
        let wo = Self.dampedLeastSquares(attentionInputs, attentionTargets, weights: attentionWeights,
                                         current: NaiveLlama.matrix(student.blocks[layer].attentionOutput))
        let wd = Self.dampedLeastSquares(ffnInputs, ffnTargets, weights: ffnWeights,
                                         current: NaiveLlama.matrix(student.blocks[layer].down))
        #expect(Self.maxRelativeDifference(rebuilt.blocks[layer].attentionOutput, wo) < 1e-4)
        #expect(Self.maxRelativeDifference(rebuilt.blocks[layer].down, wd) < 1e-4)
        // The refit changed something worth checking, and brought the blocks closer to the teacher.
        #expect(rebuilt.blocks[layer].down.unpacked() != student.blocks[layer].down.unpacked())
        let s = result.summary
        #expect(zip(s.errorAfter, s.errorBefore).allSatisfy { $0 < $1 }, "block errors \(s.errorBefore) -> \(s.errorAfter)")
        #expect(s.windows == 3 && s.tokens == 36)
    }

    @Test("a model reconstructed against itself keeps its weights (the damping pulls toward them)")
    func selfReconstructionIsAFixedPoint() throws {
        let (teacher, _) = try Self.models()
        let result = try BlockReconstruction(damping: Self.damping).reconstruct(
            student: teacher, teacher: teacher, windows: Self.windows, pool: ThreadPool(threads: 1))
        for (a, b) in zip(result.model.blocks, teacher.blocks) {
            for (x, y) in [(a.attentionOutput, b.attentionOutput), (a.down, b.down)] {
                let scale = y.unpacked().map(abs).max()!
                let worst = zip(x.unpacked(), y.unpacked()).map { abs($0 - $1) }.max()!
                #expect(worst < 1e-4 * scale)
            }
        }
        #expect(result.summary.errorAfter.allSatisfy { $0 < 1e-9 })
    }

    @Test("sublayers behind a post-norm are left as they are")
    func sandwichSublayersAreNotRefitted() throws {
        let config = try LlamaConfig.tiny(family: "gemma3", layers: 2, hidden: 16, heads: 4, kvHeads: 2, ffn: 24, vocab: 40, context: 16)
        let teacher = try LlamaModel.random(config: config, seed: 43)
        let student = try teacher.compressed(keeping: [Array(0..<16), Array(4..<24)])
        let result = try BlockReconstruction().reconstruct(student: student, teacher: teacher, windows: Self.windows,
                                                           pool: ThreadPool(threads: 1))
        #expect(result.summary.refitted == [[], []])
        for (a, b) in zip(result.model.blocks, student.blocks) {
            #expect(a.down.unpacked() == b.down.unpacked() && a.attentionOutput.unpacked() == b.attentionOutput.unpacked())
        }
    }

    @Test("bad inputs: a teacher of another shape, no windows, a bad damping")
    func rejectsBadInputs() throws {
        let (teacher, student) = try Self.models()
        let other = try LlamaModel.random(config: .tiny(layers: 3, hidden: 16, heads: 4, kvHeads: 2, ffn: 24, vocab: 40, context: 16), seed: 1)
        let pool = ThreadPool(threads: 1)
        #expect(throws: FineTuneError.self) { try BlockReconstruction().reconstruct(student: student, teacher: other, windows: Self.windows, pool: pool) }
        #expect(throws: FineTuneError.self) { try BlockReconstruction().reconstruct(student: student, teacher: teacher, windows: [], pool: pool) }
        #expect(throws: FineTuneError.self) { try BlockReconstruction(damping: 0).reconstruct(student: student, teacher: teacher, windows: Self.windows, pool: pool) }
        #expect(throws: (any Error).self) { try BlockReconstruction().reconstruct(student: student, teacher: teacher, windows: [Array(repeating: 1, count: 17)], pool: pool) }
    }

    @Test("a recovery run reconstructs first: it needs the teacher, reports what it did, and the options are checked")
    func recoveryRunReconstructsFirst() throws {
        let (teacher, student) = try Self.models()
        let pool = ThreadPool(threads: 2)
        var options = FineTuneOptions(steps: 2, rank: 2, allocation: .uniform)
        options.sequenceLength = 16  // every window is one piece
        options.reconstructionWindows = 2
        #expect(throws: FineTuneError.self) { try RecoveryTrainer(options: options).train(model: student, windows: Self.windows, pool: pool) }
        let result = try RecoveryTrainer(options: options).train(model: student, windows: Self.windows, teacher: teacher, pool: pool)
        let summary = try #require(result.reconstruction)
        #expect(summary.windows == 2 && summary.tokens == 12 + 10 && result.stepsCompleted == 2)
        // The trained model starts from the reconstruction: its down projections are not the student's.
        #expect(result.model.blocks[1].down.unpacked() != student.blocks[1].down.unpacked())
        for bad in [-1] {
            var o = options
            o.reconstructionWindows = bad
            #expect(throws: FineTuneError.self) { try o.validate() }
        }
        for bad in [0, -1, Double.nan] {
            var o = options
            o.reconstructionDamping = bad
            #expect(throws: FineTuneError.self) { try o.validate() }
        }
        // Without reconstruction the language-model objective still refuses a teacher it would ignore.
        options.reconstructionWindows = 0
        #expect(throws: FineTuneError.self) { try RecoveryTrainer(options: options).train(model: student, windows: Self.windows, teacher: teacher, pool: pool) }
    }
}
