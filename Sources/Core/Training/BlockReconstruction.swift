import Foundation
import Kernels

/// Closed-form block-output reconstruction (beyond the paper; README, "Recovery"): before the
/// LoRA steps, refit each block's attention output projection Wo and FFN down projection Wd so
/// that the pruned model's block outputs match the dense model's on the training windows.
///
/// Block by block, both models run over the same windows, each from its own hidden states (the
/// student's inputs carry every earlier block's pruning error, so each refit also corrects what
/// came before, which the calibration-time compensation, fitted on dense inputs, cannot):
///
///     Wo' = argmin || A_p Wo'^T - (M_d - X_p) ||^2 + lambda_o || Wo' - Wo ||^2
///     Wd' = argmin || Z_p Wd'^T - (Y_d - M_p - bd) ||^2 + lambda_d || Wd' - Wd ||^2
///
/// (A_p the student's attention features with its inputs X_p, M the middle residual, Z the gated
/// FFN activations, Y the block output; M_p and Z_p already with Wo'.) The damping pulls toward
/// the current weights, so a model reconstructed against itself is a fixed point; lambda is
/// `damping` x the mean diagonal of the Gram matrix. With `weighting` `.normalized` each token's
/// row is divided by the RMS of its target residual state (the teacher's middle or output), so
/// the fit measures the error as the next RMSNorm sees it rather than letting the few tokens with
/// massive activations decide it. Solves are Cholesky in doubles from f32
/// per-window sums. Sublayers with a post-norm (sandwich families) are not linear in their
/// weights and are left as they are (`Result.refitted` says what was refitted).
public struct BlockReconstruction: Sendable {
    /// lambda relative to the mean diagonal of each Gram matrix.
    public var damping: Double
    /// Also refit the attention output projections (else only the down projections).
    public var attentionOutput: Bool
    /// How tokens count in the fit.
    public var weighting: TokenWeighting

    /// How each token's squared error counts in the least-squares fits and in `Summary`'s errors.
    public enum TokenWeighting: String, Sendable, Codable, CaseIterable {
        /// Divided by the mean square of the teacher's residual state there (its RMSNorm's view).
        case normalized
        /// As it is: tokens with massive activations dominate.
        case uniform
    }

    /// A reconstruction with `damping`, `attentionOutput` and `weighting` as documented on the properties.
    public init(damping: Double = 1e-2, attentionOutput: Bool = true, weighting: TokenWeighting = .normalized) {
        self.damping = damping
        self.attentionOutput = attentionOutput
        self.weighting = weighting
    }

    /// What a reconstruction did, for logs, replies and tests.
    public struct Summary: Sendable, Codable, Equatable {
        /// Per block: which projections were refitted ("attn_output", "ffn_down").
        public var refitted: [[String]]
        /// Per block: the mean squared block-output error against the teacher on the windows
        /// (weighted as `weighting` says), before and after the refit (both with the student's
        /// own, already refitted, inputs).
        public var errorBefore: [Double], errorAfter: [Double]
        /// Windows and tokens it fitted on.
        public var windows: Int, tokens: Int
        /// Wall-clock seconds.
        public var seconds: Double
    }

    /// What `reconstruct` returns.
    public struct Result: Sendable {
        /// The student with the refitted projections (every other tensor shared).
        public var model: LlamaModel
        /// What was done.
        public var summary: Summary
    }

    /// Refits `student`'s blocks against `teacher` (the dense model it was pruned from: same
    /// hidden size, layers and vocabulary) on `windows`. `progress(blocksDone, blocks)` after
    /// each block; `isCancelled` is checked before each block (throws `OperationCancelled`).
    /// Memory: four hidden-state copies of all windows (tokens x hidden floats each).
    public func reconstruct(
        student: LlamaModel, teacher: LlamaModel, windows: [[Int32]], pool: ThreadPool,
        progress: (Int, Int) -> Void = { _, _ in }, isCancelled: () -> Bool = { false }
    ) throws -> Result {
        let start = Date()
        let config = student.config, h = config.hiddenSize
        guard teacher.config.hiddenSize == h, teacher.config.numLayers == config.numLayers,
              teacher.config.vocabSize == config.vocabSize else {
            throw FineTuneError.invalidTeacher("reconstruction needs the dense model the student was pruned from (same hidden size, layers and vocabulary)")
        }
        guard damping.isFinite, damping > 0 else {
            throw FineTuneError.invalidOption("the reconstruction damping must be positive and finite (got \(damping))")
        }
        guard let longest = windows.map(\.count).max(), longest > 0, !windows.contains(where: \.isEmpty) else {
            throw FineTuneError.invalidData("reconstruction needs at least one window, and no empty one")
        }
        if longest > config.contextLength {
            throw ModelError.windowTooLong(tokens: longest, contextLength: config.contextLength)
        }
        // Hidden states of every window: the teacher's and the student's block inputs.
        var teacherStates = try windows.map { try Self.embedded($0, model: teacher) }
        var studentStates = try windows.map { try Self.embedded($0, model: student) }
        let teacherActivations = BlockActivations(config: teacher.config, tokens: longest)
        let studentActivations = BlockActivations(config: config, tokens: longest)
        var blocks = student.blocks
        var refitted: [[String]] = [], before: [Double] = [], after: [Double] = []
        for layer in 0..<config.numLayers {
            if isCancelled() { throw OperationCancelled() }
            let teacherForward = BlockForward(model: teacher, layer: layer, pool: pool)
            let teacherLinears = FrozenBlockLinears(block: teacher.blocks[layer], pool: pool)
            var teacherMiddles: [[Float]] = []
            let teacherOutputs = Self.outputs(of: teacherForward, linears: teacherLinears, states: teacherStates,
                                              windows: windows, hidden: h, activations: teacherActivations) { w in
                teacherMiddles.append(Array(UnsafeBufferPointer(start: teacherActivations.middle, count: windows[w].count * h)))
            }
            var block = blocks[layer]
            var done: [String] = []
            let errorBefore = meanError(studentOutputs(block: block, layer: layer, student: student, states: studentStates,
                                                       windows: windows, activations: studentActivations, pool: pool),
                                        teacherOutputs, hidden: h)
            if attentionOutput, config.hasAttention(layer: layer), block.postAttentionNorm == nil {
                let forward = BlockForward(config: config, layer: layer, block: block, rotary: student.rotary(layer: layer), pool: pool)
                let linears = FrozenBlockLinears(block: block, pool: pool)
                let width = block.attentionOutput.cols
                var normal = NormalEquations(inputs: width, outputs: h)
                for (w, window) in windows.enumerated() {
                    let t = window.count
                    studentStates[w].withUnsafeBufferPointer { x in
                        forward.attention(input: x.baseAddress!, tokens: t, linears: linears, activations: studentActivations, cache: nil)
                        // Target of the attention branch: the teacher's middle minus the student's input.
                        var target = teacherMiddles[w]
                        for i in 0..<(t * h) { target[i] -= x[i] }
                        weigh(inputs: studentActivations.attention, width: width, targets: &target,
                              by: teacherMiddles[w], tokens: t, hidden: h)
                        normal.add(inputs: studentActivations.attention, targets: target, tokens: t, pool: pool)
                    }
                }
                block.attentionOutput = try normal.solve(current: block.attentionOutput, damping: damping, pool: pool)
                done.append("attn_output")
            }
            if block.ffnWidth > 0, block.postFFNNorm == nil {
                var normal = NormalEquations(inputs: block.ffnWidth, outputs: h)
                _ = studentOutputs(block: block, layer: layer, student: student, states: studentStates,
                                   windows: windows, activations: studentActivations, pool: pool) { w in
                    // Target of the FFN branch: the teacher's output minus the student's middle and down bias.
                    let t = windows[w].count
                    var target = teacherOutputs[w]
                    let middle = studentActivations.middle
                    for r in 0..<t {
                        for j in 0..<h { target[r * h + j] -= middle[r * h + j] + (block.downBias?[j] ?? 0) }
                    }
                    weigh(inputs: studentActivations.gated, width: block.ffnWidth, targets: &target,
                          by: teacherOutputs[w], tokens: t, hidden: h)
                    normal.add(inputs: studentActivations.gated, targets: target, tokens: t, pool: pool)
                }
                block.down = try normal.solve(current: block.down, damping: damping, pool: pool)
                done.append("ffn_down")
            }
            blocks[layer] = block
            // Advance both streams: the student through its refitted block.
            studentStates = studentOutputs(block: block, layer: layer, student: student, states: studentStates,
                                           windows: windows, activations: studentActivations, pool: pool)
            teacherStates = teacherOutputs
            refitted.append(done)
            before.append(errorBefore)
            after.append(meanError(studentStates, teacherOutputs, hidden: h))
            progress(layer + 1, config.numLayers)
        }
        let model = try LlamaModel(config: student.config, embeddings: student.embeddings, blocks: blocks,
                                   finalNorm: student.finalNorm, outputHead: student.outputHead, precision: student.precision)
        return Result(model: model, summary: Summary(
            refitted: refitted, errorBefore: before, errorAfter: after, windows: windows.count,
            tokens: windows.reduce(0) { $0 + $1.count }, seconds: Date().timeIntervalSince(start)))
    }

    /// `block` of `student` (as layer `layer`) run over every window's `states` (`each` as in `outputs`).
    private func studentOutputs(
        block: LlamaBlockWeights, layer: Int, student: LlamaModel, states: [[Float]], windows: [[Int32]],
        activations: BlockActivations, pool: ThreadPool, each: (Int) -> Void = { _ in }
    ) -> [[Float]] {
        let forward = BlockForward(config: student.config, layer: layer, block: block, rotary: student.rotary(layer: layer), pool: pool)
        return Self.outputs(of: forward, linears: FrozenBlockLinears(block: block, pool: pool), states: states,
                            windows: windows, hidden: student.config.hiddenSize, activations: activations, each: each)
    }

    /// `forward` over every window's `states`: the block outputs; `each(w)` runs after window `w`
    /// while its activations are still in `activations`.
    private static func outputs(
        of forward: BlockForward, linears: FrozenBlockLinears, states: [[Float]], windows: [[Int32]], hidden h: Int,
        activations: BlockActivations, each: (Int) -> Void = { _ in }
    ) -> [[Float]] {
        windows.indices.map { w in
            let t = windows[w].count
            var output = [Float](repeating: 0, count: t * h)
            states[w].withUnsafeBufferPointer { x in
                output.withUnsafeMutableBufferPointer { y in
                    forward.run(input: x.baseAddress!, tokens: t, output: y.baseAddress!, linears: linears, activations: activations)
                }
            }
            each(w)
            return output
        }
    }

    /// The mean over all elements of the weighted squared differences of `outputs` and `targets`.
    private func meanError(_ outputs: [[Float]], _ targets: [[Float]], hidden h: Int) -> Double {
        var squares = 0.0, count = 0
        for (output, target) in zip(outputs, targets) {
            squares += squaredError(output, target, hidden: h)
            count += output.count
        }
        return squares / Double(max(count, 1))
    }

    /// 1 / the mean square of `reference`'s row `r` (`.normalized`), or 1.
    private func tokenWeight(_ reference: [Float], row r: Int, hidden h: Int) -> Double {
        guard weighting == .normalized else { return 1 }
        var squares = 0.0
        for j in 0..<h { let v = Double(reference[r * h + j]); squares += v * v }
        return 1 / max(squares / Double(h), 1e-12)
    }

    /// Sum over tokens of the weighted squared differences of `output` and `target`.
    private func squaredError(_ output: [Float], _ target: [Float], hidden h: Int) -> Double {
        var total = 0.0
        for r in 0..<(output.count / h) {
            var squares = 0.0
            for j in 0..<h { let d = Double(output[r * h + j] - target[r * h + j]); squares += d * d }
            total += squares * tokenWeight(target, row: r, hidden: h)
        }
        return total
    }

    /// Scales each token's input row (`width` wide, in place) and target row by the square root
    /// of its weight, so the normal equations minimise the weighted error.
    private func weigh(inputs x: UnsafeMutablePointer<Float>, width: Int, targets: inout [Float],
                       by reference: [Float], tokens t: Int, hidden h: Int) {
        guard weighting == .normalized else { return }
        for r in 0..<t {
            let s = Float(tokenWeight(reference, row: r, hidden: h).squareRoot())
            for i in 0..<width { x[r * width + i] *= s }
            for j in 0..<h { targets[r * h + j] *= s }
        }
    }

    /// The scaled embedding rows of `window` in `model`.
    static func embedded(_ window: [Int32], model: LlamaModel) throws -> [Float] {
        var rows = try ResidentBlocks(model: model).embeddingRows(window)
        let scale = model.config.embeddingScale
        if scale != 1 { for i in rows.indices { rows[i] *= scale } }
        return rows
    }
}

/// The normal equations of one linear least-squares refit, summed over windows: G = X^T X
/// (inputs x inputs) and C = X^T T (inputs x outputs), in doubles from each window's f32 GEMM.
struct NormalEquations {
    let inputs: Int, outputs: Int
    private(set) var gram: [Double]
    private(set) var cross: [Double]
    private var product: [Float]

    init(inputs: Int, outputs: Int) {
        self.inputs = inputs
        self.outputs = outputs
        gram = Array(repeating: 0, count: inputs * inputs)
        cross = Array(repeating: 0, count: inputs * outputs)
        product = Array(repeating: 0, count: inputs * max(inputs, outputs))
    }

    /// Adds one window: `x` is tokens x inputs, `targets` tokens x outputs, both row-major.
    mutating func add(inputs x: UnsafePointer<Float>, targets: [Float], tokens t: Int, pool: ThreadPool) {
        let n = inputs, m = outputs
        product.withUnsafeMutableBufferPointer { p in
            let p = p.baseAddress!
            matmulTransposedLeft(m: n, n: n, k: t, a: x, lda: n, b: x, ldb: n, c: p, ldc: n, pool: pool)
            for i in 0..<(n * n) { gram[i] += Double(p[i]) }
            targets.withUnsafeBufferPointer { y in
                matmulTransposedLeft(m: n, n: m, k: t, a: x, lda: n, b: y.baseAddress!, ldb: m, c: p, ldc: m, pool: pool)
            }
            for i in 0..<(n * m) { cross[i] += Double(p[i]) }
        }
    }

    /// W' (outputs x inputs, packed at `current`'s precision) minimising ||X W'^T - T||^2 +
    /// lambda ||W' - W||^2 with W = `current` and lambda = damping x the mean diagonal of G.
    func solve(current: PackedWeights, damping: Double, pool: ThreadPool) throws -> PackedWeights {
        let n = inputs, m = outputs
        precondition(current.rows == m && current.cols == n, "NormalEquations: the weights do not fit")
        let w = current.unpacked()
        let meanDiagonal = (0..<n).reduce(0.0) { $0 + gram[$1 * n + $1] } / Double(max(n, 1))
        let lambda = max(damping * meanDiagonal, Double.leastNormalMagnitude)
        var a = gram
        for i in 0..<n { a[i * n + i] += lambda }
        // B = C + lambda W^T (n x m); the solution X = W'^T.
        var b = cross
        for o in 0..<m { for i in 0..<n { b[i * m + o] += lambda * Double(w[o * n + i]) } }
        try Cholesky(a, size: n, pool: pool).solve(&b, columns: m, pool: pool)
        var values = [Float](repeating: 0, count: m * n)
        for o in 0..<m { for i in 0..<n { values[o * n + i] = Float(b[i * m + o]) } }
        return PackedWeights(rows: m, cols: n, values: values, precision: current.precision)
    }
}
