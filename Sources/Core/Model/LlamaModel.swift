import Kernels

/// A LLaMA-family decoder held in memory, ready to run: embeddings, blocks, final norm and
/// output head. Immutable and shareable across threads; pruning makes a new value.
public final class LlamaModel: Sendable {
    public let config: LlamaConfig
    /// Token embeddings, [vocab, hidden] row-major, f32 for the lookup.
    public let embedding: [Float]
    public let blocks: [LlamaBlockWeights]
    public let finalNorm: [Float]
    /// [vocab, hidden]; a packed copy of the embedding when the model ties them.
    public let outputHead: PackedWeights
    /// Precision the linear layers are stored in.
    public let precision: WeightPrecision
    /// Rotary cos/sin for every position of the context.
    let rotary: RotaryTable

    /// Builds a model from its parts, checking that every shape agrees with `config`.
    public init(
        config: LlamaConfig, embedding: [Float], blocks: [LlamaBlockWeights], finalNorm: [Float],
        outputHead: PackedWeights, precision: WeightPrecision
    ) throws {
        var config = config
        config.intermediateSizes = blocks.map(\.ffnWidth)
        try Self.validate(config: config, embedding: embedding, blocks: blocks, finalNorm: finalNorm, outputHead: outputHead)
        self.config = config
        self.embedding = embedding
        self.blocks = blocks
        self.finalNorm = finalNorm
        self.outputHead = outputHead
        self.precision = precision
        self.rotary = RotaryTable(headDim: config.headDim, positions: config.contextLength, theta: config.ropeTheta)
    }

    /// All parameters, counting a tied output head once.
    public var parameterCount: Int {
        embedding.count + finalNorm.count + blocks.reduce(0) { $0 + $1.parameterCount }
            + (config.tieWordEmbeddings ? 0 : outputHead.rows * outputHead.cols)
    }

    /// FFN parameters (gate, up, down and any down bias) over all blocks.
    public var ffnParameterCount: Int {
        blocks.reduce(0) { $0 + 3 * $1.ffnWidth * config.hiddenSize + ($1.downBias?.count ?? 0) }
    }

    private static func validate(
        config: LlamaConfig, embedding: [Float], blocks: [LlamaBlockWeights], finalNorm: [Float],
        outputHead: PackedWeights
    ) throws {
        let h = config.hiddenSize
        guard h > 0, config.vocabSize > 0, config.numHeads > 0, config.numKVHeads > 0,
              config.headDim > 0, config.headDim % 2 == 0, config.numHeads % config.numKVHeads == 0,
              config.contextLength > 0, !blocks.isEmpty
        else {
            throw ModelError.invalidConfig(
                "need positive sizes, an even head dimension, heads divisible by KV heads and at least one block (got \(config))")
        }
        func check(_ name: String, _ actual: [Int], _ expected: [Int]) throws {
            if actual != expected { throw ModelError.inconsistentShape(tensor: name, expected: expected, actual: actual) }
        }
        try check("embedding", [embedding.count], [config.vocabSize * h])
        try check("final norm", [finalNorm.count], [h])
        try check("output head", [outputHead.rows, outputHead.cols], [config.vocabSize, h])
        let qWidth = config.numHeads * config.headDim
        let kvWidth = config.numKVHeads * config.headDim
        for (i, b) in blocks.enumerated() {
            let width = b.ffnWidth
            try check("block \(i) attention norm", [b.attentionNorm.count], [h])
            try check("block \(i) ffn norm", [b.ffnNorm.count], [h])
            try check("block \(i) query", [b.query.rows, b.query.cols], [qWidth, h])
            try check("block \(i) key", [b.key.rows, b.key.cols], [kvWidth, h])
            try check("block \(i) value", [b.value.rows, b.value.cols], [kvWidth, h])
            try check("block \(i) attention output", [b.attentionOutput.rows, b.attentionOutput.cols], [h, qWidth])
            try check("block \(i) gate", [b.gate.rows, b.gate.cols], [width, h])
            try check("block \(i) up", [b.up.rows, b.up.cols], [width, h])
            try check("block \(i) down", [b.down.rows, b.down.cols], [h, width])
            if let bias = b.downBias { try check("block \(i) down bias", [bias.count], [h]) }
        }
    }

    /// Checks token ids and window length before any work starts.
    func validate(tokens: [Int32]) throws {
        guard !tokens.isEmpty else { throw ModelError.emptyInput }
        guard tokens.count <= config.contextLength else {
            throw ModelError.windowTooLong(tokens: tokens.count, contextLength: config.contextLength)
        }
        for id in tokens where id < 0 || Int(id) >= config.vocabSize {
            throw ModelError.tokenOutOfRange(id: Int(id), vocabularySize: config.vocabSize)
        }
    }
}
