import Kernels

/// A frozen LLaMA model with a LoRA adapter on each of the seven linear layers of every block:
/// the trainable object of recovery fine-tuning. All adapter parameters live in one flat vector
/// (block by block, layers in `LoRATarget` order, A then B), with a gradient vector of the same
/// layout. The loss is the mean next-token cross-entropy of a window, or with a `Distillation`
/// the mean per-token distillation loss against a teacher run on the same window.
///
/// Backward passes recompute each block from its saved input, so activation memory is one
/// block's intermediates plus one hidden state per block. Not thread-safe: one network per
/// training run.
public final class LoRANetwork {
    /// The frozen base model.
    public let model: LlamaModel
    /// Rank of every block's adapters.
    public let ranks: [Int]
    /// Adapter layouts, [block][target.rawValue].
    public let layouts: [[LoRAAdapterLayout]]
    /// Trainable parameters (the length of the flat vectors).
    public let parameterCount: Int
    /// Longest window the network accepts.
    public var maxTokens: Int { workspace.capacity }

    let parameters: UnsafeMutablePointer<Float>
    let gradients: UnsafeMutablePointer<Float>
    private let frozen: [[FrozenLinear]]
    private let head: PackedWeights
    private let headTransposed: PackedWeights
    private let workspace: TrainingWorkspace
    private let teacher: DistillationTeacher?

    /// Adapters of rank `ranks[l]` on block l (A seeded uniform in ±1/sqrt(inputs), B zero, so
    /// training starts from the base model). Frozen weights are packed in `frozenPrecision`
    /// (nil: the model's own precision), once, with their transposes for the input gradients.
    /// With `distillation`, the loss is distillation from its teacher (see `distillationBackward`).
    public init(model: LlamaModel, ranks: [Int], seed: UInt64, frozenPrecision: WeightPrecision? = nil,
                maxTokens: Int, distillation: Distillation? = nil) throws(FineTuneError) {
        let c = model.config
        guard ranks.count == c.numLayers else {
            throw .allocationMismatch("\(ranks.count) ranks given for a model of \(c.numLayers) blocks")
        }
        guard ranks.allSatisfy({ $0 >= 0 }) else { throw .allocationMismatch("ranks must not be negative (got \(ranks))") }
        guard maxTokens >= 2, maxTokens <= c.contextLength else {
            throw .invalidOption("the window length must lie in 2...\(c.contextLength) (got \(maxTokens))")
        }
        try distillation?.validate(student: c, tokens: maxTokens)
        let precision = frozenPrecision ?? model.precision
        self.model = model
        self.ranks = ranks
        var offset = 0
        var layouts: [[LoRAAdapterLayout]] = []
        for (l, block) in model.blocks.enumerated() {
            layouts.append(LoRATarget.allCases.map { target in
                let w = target.weights(in: block)
                // A sublayer depth pruning removed has empty matrices and gets no adapter.
                let r = w.rows == 0 || w.cols == 0 ? 0 : ranks[l]
                let layout = LoRAAdapterLayout(rank: r, inputs: w.cols, outputs: w.rows, aOffset: offset,
                                               bOffset: offset + r * w.cols)
                offset += layout.parameterCount
                return layout
            })
        }
        self.layouts = layouts
        parameterCount = offset
        parameters = .allocate(capacity: max(1, offset))
        parameters.initialize(repeating: 0, count: max(1, offset))
        gradients = .allocate(capacity: max(1, offset))
        gradients.initialize(repeating: 0, count: max(1, offset))
        var rng = SeededGenerator(seed: seed)
        for blockLayouts in layouts {
            for layout in blockLayouts {
                let bound = 1 / Float(layout.inputs).squareRoot()
                for i in 0..<(layout.rank * layout.inputs) { parameters[layout.aOffset + i] = rng.symmetric(bound) }
            }
        }
        frozen = model.blocks.map { block in
            LoRATarget.allCases.map { FrozenLinear($0.weights(in: block), precision: precision) }
        }
        let headLinear = FrozenLinear(model.outputHead, precision: precision)
        head = headLinear.forward
        headTransposed = headLinear.backward
        workspace = TrainingWorkspace(config: c, tokens: maxTokens, maxRank: ranks.max() ?? 0)
        teacher = distillation.map { DistillationTeacher($0, tokens: maxTokens) }
    }

    deinit {
        parameters.deallocate()
        gradients.deallocate()
    }

    /// `scale` for every parameter of a B matrix and 1 for every parameter of an A matrix, in the
    /// flat vector's layout: the per-parameter rate multiples of LoRA+ (nil when `scale` is 1).
    public func rateScales(bMatrices scale: Float) -> [Float]? {
        guard scale != 1 else { return nil }
        var scales = [Float](repeating: 1, count: parameterCount)
        for layout in layouts.joined() where layout.rank > 0 {
            let count = layout.rank * layout.outputs
            for i in layout.bOffset..<(layout.bOffset + count) { scales[i] = scale }
        }
        return scales
    }

    /// Parameter `index` of the flat vector.
    public func parameter(_ index: Int) -> Float { parameters[index] }
    /// Sets parameter `index` of the flat vector.
    public func setParameter(_ index: Int, _ value: Float) { parameters[index] = value }
    /// Gradient `index` of the flat vector (what `accumulateGradients` has summed).
    public func gradient(_ index: Int) -> Float { gradients[index] }
    /// A copy of all parameters.
    public var parameterValues: [Float] { Array(UnsafeBufferPointer(start: parameters, count: parameterCount)) }
    /// A copy of all gradients.
    public var gradientValues: [Float] { Array(UnsafeBufferPointer(start: gradients, count: parameterCount)) }

    /// Sets every gradient to zero.
    public func zeroGradients() { gradients.update(repeating: 0, count: max(1, parameterCount)) }

    /// Mean loss of `window` (no gradients): next-token cross-entropy, or the distillation loss.
    public func loss(window: [Int32], pool: ThreadPool) throws -> Double {
        try run(window: window, gradientScale: nil, pool: pool, isCancelled: { false })
    }

    /// Mean loss of `window` (as `loss(window:pool:)`), adding `scale` x its gradient to the
    /// gradient vector. Throws `OperationCancelled` between blocks when `isCancelled` says so
    /// (the gradients are then partial: zero them before the next step).
    public func accumulateGradients(window: [Int32], scale: Float = 1, pool: ThreadPool,
                                    isCancelled: () -> Bool = { false }) throws -> Double {
        try run(window: window, gradientScale: scale, pool: pool, isCancelled: isCancelled)
    }

    private func run(window: [Int32], gradientScale: Float?, pool: ThreadPool, isCancelled: () -> Bool) throws -> Double {
        try model.validate(tokens: window)
        let t = window.count
        guard t >= 2, t <= workspace.capacity else {
            throw FineTuneError.invalidData("a training window needs 2...\(workspace.capacity) tokens (got \(t))")
        }
        let c = model.config, h = c.hiddenSize, ws = workspace
        try teacher?.observe(window, pool: pool, isCancelled: isCancelled)
        model.embed(window, into: ws.blockInputs)
        for l in 0..<c.numLayers {
            if isCancelled() { throw OperationCancelled() }
            blockPass(l, pool: pool).forward(input: ws.blockInputs + l * t * h, tokens: t,
                                             output: ws.blockInputs + (l + 1) * t * h)
        }
        let final = ws.blockInputs + c.numLayers * t * h
        let lossSum = window.withUnsafeBufferPointer { ids in
            headLoss(final: final, tokens: t, targets: ids.baseAddress! + 1, gradientScale: gradientScale, pool: pool)
        }
        let loss = lossSum / Double(t - 1)
        guard let _ = gradientScale else { return loss }
        for l in stride(from: c.numLayers - 1, through: 0, by: -1) {
            if isCancelled() { throw OperationCancelled() }
            let pass = blockPass(l, pool: pool)
            let input = ws.blockInputs + l * t * h
            pass.forward(input: input, tokens: t, output: ws.gradNorm)  // recompute the intermediates
            pass.backward(input: input, tokens: t)
        }
        return loss
    }

    private func blockPass(_ l: Int, pool: ThreadPool) -> BlockTrainingPass {
        var forward = BlockForward(model: model, layer: l, pool: pool)
        forward.attentionPrecision = .f32  // the backward pass differentiates the f32 attention
        return BlockTrainingPass(
            forwardPass: forward,
            linears: LoRABlockLinears(
                linears: LoRATarget.allCases.map {
                    LoRALinearPass(frozen: frozen[l][$0.rawValue], layout: layouts[l][$0.rawValue],
                                   parameters: parameters, gradients: gradients, pool: pool)
                },
                workspace: workspace),
            workspace: workspace, pool: pool)
    }

    /// Final norm, tied head and the loss (cross-entropy, or distillation against the teacher's
    /// logits of the same chunk) over the first tokens - 1 positions in chunks
    /// of rows (never tokens x vocab logits at once). Returns the summed loss; when
    /// `gradientScale` is set, leaves dL/d(final hidden) x scale / (tokens - 1) in gradHidden.
    private func headLoss(final: UnsafePointer<Float>, tokens t: Int, targets: UnsafePointer<Int32>,
                          gradientScale: Float?, pool: ThreadPool) -> Double {
        let c = model.config, h = c.hiddenSize, v = c.vocabSize, ws = workspace
        let normed = ws.finalNormed
        model.finalNorm.withUnsafeBufferPointer {
            rmsNorm(final, rows: t, cols: h, weight: $0.baseAddress!, eps: c.rmsNormEps, into: normed)
        }
        let predicted = t - 1
        let scale = (gradientScale ?? 0) / Float(predicted)
        if gradientScale != nil { ws.gradNorm.update(repeating: 0, count: t * h) }
        var total = 0.0
        var start = 0
        while start < predicted {
            let rows = min(TrainingWorkspace.headChunk, predicted - start)
            matmul(normed + start * h, rows: rows, lda: h, weights: head, into: ws.logits, ldc: v, pool: pool)
            if let teacher {
                teacher.logits(start: start, rows: rows, pool: pool)
                distillationBackward(ws.logits, teacher: teacher.logits, rows: rows, cols: v, targets: targets + start,
                                     temperature: teacher.settings.temperature, lmWeight: teacher.settings.lmWeight,
                                     scale: scale, rowLosses: ws.rowLosses, pool: pool)
            } else {
                crossEntropyBackward(ws.logits, rows: rows, cols: v, targets: targets + start, scale: scale,
                                     rowLosses: ws.rowLosses, pool: pool)
            }
            for r in 0..<rows { total += ws.rowLosses[r] }
            if gradientScale != nil {
                matmul(ws.logits, rows: rows, lda: v, weights: headTransposed, into: ws.gradNorm + start * h,
                       ldc: h, pool: pool)
            }
            start += rows
        }
        if gradientScale != nil {
            model.finalNorm.withUnsafeBufferPointer {
                rmsNormBackward(final, rows: t, cols: h, weight: $0.baseAddress!, eps: c.rmsNormEps,
                                gradOut: ws.gradNorm, gradInput: ws.gradHidden)
            }
        }
        return total
    }
}
