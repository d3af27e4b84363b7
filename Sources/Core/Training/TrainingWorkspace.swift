/// Scratch memory for training on windows of up to `capacity` tokens: the block inputs of one
/// window (the only activations kept across blocks) and the activations and gradients of ONE
/// block, which the backward pass recomputes block by block. Memory is therefore
/// layers x tokens x hidden plus a single block's intermediates, whatever the depth.
final class TrainingWorkspace {
    let capacity: Int
    /// Input of every block plus the final hidden state: (layers + 1) x tokens x hidden.
    let blockInputs: UnsafeMutablePointer<Float>
    /// One block's forward activations (the shared block forward writes them).
    let activations: BlockActivations
    /// The final-normed hidden states of the output head.
    let finalNormed: UnsafeMutablePointer<Float>
    /// Scaled adapter activations s x Aᵀ per target, tokens x rank (rank <= maxRank).
    let adapterActivations: [UnsafeMutablePointer<Float>]
    // Gradients.
    let gradHidden, gradNorm, gradQuery, gradKey, gradValue, gradAttention: UnsafeMutablePointer<Float>
    let gradGate, gradUp, gradGated, gradAdapter: UnsafeMutablePointer<Float>
    /// Gradient through a post-norm (sandwich families), tokens x hidden.
    let gradPost: UnsafeMutablePointer<Float>
    /// Transposed adapter matrices (A or B) for the input-gradient products.
    let adapterTranspose: UnsafeMutablePointer<Float>
    /// Output-head chunk: logits, then their gradient.
    let logits: UnsafeMutablePointer<Float>
    let rowLosses: UnsafeMutablePointer<Double>
    static let headChunk = 128
    private var owned: [UnsafeMutablePointer<Float>] = []

    init(config: LlamaConfig, tokens: Int, maxRank: Int) {
        let h = config.hiddenSize
        let qWidth = config.numHeads * config.headDim
        let kvWidth = config.numKVHeads * config.headDim
        let ffn = config.intermediateSizes.max() ?? 0
        let widest = max(h, qWidth, ffn)
        var owned: [UnsafeMutablePointer<Float>] = []
        func buffer(_ count: Int) -> UnsafeMutablePointer<Float> {
            let p = UnsafeMutablePointer<Float>.allocate(capacity: max(1, count))
            p.initialize(repeating: 0, count: max(1, count))
            owned.append(p)
            return p
        }
        capacity = tokens
        blockInputs = buffer((config.numLayers + 1) * tokens * h)
        activations = BlockActivations(config: config, tokens: tokens)
        finalNormed = buffer(tokens * h)
        adapterActivations = LoRATarget.allCases.map { _ in buffer(tokens * maxRank) }
        gradHidden = buffer(tokens * h)
        gradNorm = buffer(tokens * h)
        gradQuery = buffer(tokens * qWidth)
        gradKey = buffer(tokens * kvWidth)
        gradValue = buffer(tokens * kvWidth)
        gradAttention = buffer(tokens * qWidth)
        gradGate = buffer(tokens * ffn)
        gradUp = buffer(tokens * ffn)
        gradGated = buffer(tokens * ffn)
        gradPost = buffer(config.sandwichNorms ? tokens * h : 1)
        gradAdapter = buffer(tokens * maxRank)
        adapterTranspose = buffer(maxRank * widest)
        logits = buffer(Self.headChunk * config.vocabSize)
        rowLosses = UnsafeMutablePointer<Double>.allocate(capacity: Self.headChunk)
        rowLosses.initialize(repeating: 0, count: Self.headChunk)
        self.owned = owned
    }

    deinit {
        for p in owned { p.deallocate() }
        rowLosses.deallocate()
    }
}
