import Kernels

/// A LLaMA-family decoder held in memory, ready to run: embeddings, blocks, final norm and
/// output head. Immutable and shareable across threads; pruning makes a new value.
public final class LlamaModel: Sendable {
    public let config: LlamaConfig
    /// Token embeddings, [vocab, hidden]: f32, or encoded as in the file for a native load.
    public let embeddings: TokenEmbeddings
    /// The token embeddings as f32, [vocab, hidden] row-major (decoded, a copy, for a native
    /// model: lookups go through `embeddings`).
    public var embedding: [Float] { embeddings.floats() }
    public let blocks: [LlamaBlockWeights]
    public let finalNorm: [Float]
    /// [vocab, hidden]; a packed copy of the embedding when the model ties them.
    public let outputHead: PackedWeights
    /// Precision the linear layers are stored in.
    public let precision: WeightPrecision
    /// Rotary cos/sin, built lazily for the positions windows use (never for the whole declared
    /// context): the global table, then the local one when sliding-window layers have their own
    /// base (Gemma 3).
    let rotaryTables: [RotaryCache]

    /// Builds a model from its parts (f32 embeddings), checking that every shape agrees with `config`.
    public convenience init(
        config: LlamaConfig, embedding: [Float], blocks: [LlamaBlockWeights], finalNorm: [Float],
        outputHead: PackedWeights, precision: WeightPrecision
    ) throws {
        try self.init(config: config, embeddings: TokenEmbeddings(values: embedding, width: config.hiddenSize),
                      blocks: blocks, finalNorm: finalNorm, outputHead: outputHead, precision: precision)
    }

    /// Builds a model from its parts, checking that every shape agrees with `config`.
    public init(
        config: LlamaConfig, embeddings: TokenEmbeddings, blocks: [LlamaBlockWeights], finalNorm: [Float],
        outputHead: PackedWeights, precision: WeightPrecision
    ) throws {
        var config = config
        config.intermediateSizes = blocks.map(\.ffnWidth)
        config.setLayerHeads(queryRows: blocks.map(\.query.rows), keyRows: blocks.map(\.key.rows))
        try Self.validate(config: config, embedding: embeddings, blocks: blocks, finalNorm: finalNorm, outputHead: outputHead)
        self.config = config
        self.embeddings = embeddings
        self.blocks = blocks
        self.finalNorm = finalNorm
        self.outputHead = outputHead
        self.precision = precision
        self.rotaryTables = RotaryCache.tables(for: config)
    }

    /// The rotary table block `layer` uses.
    func rotary(layer: Int) -> RotaryCache { RotaryCache.table(layer: layer, of: rotaryTables, config: config) }

    /// Positions the rotary tables cover so far (they grow with the longest window run).
    public var rotaryPositionsBuilt: Int { rotaryTables.map(\.builtPositions).max() ?? 0 }

    /// All parameters, counting a tied output head once.
    public var parameterCount: Int {
        embeddings.count + finalNorm.count + blocks.reduce(0) { $0 + $1.parameterCount }
            + (config.tieWordEmbeddings ? 0 : outputHead.rows * outputHead.cols)
    }

    /// FFN parameters (gate, up, down and any down bias) over all blocks.
    public var ffnParameterCount: Int {
        blocks.reduce(0) { $0 + 3 * $1.ffnWidth * config.hiddenSize + ($1.downBias?.count ?? 0) }
    }

    private static func validate(
        config: LlamaConfig, embedding: TokenEmbeddings, blocks: [LlamaBlockWeights], finalNorm: [Float],
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
        try validateLayerHeads(config)
        if let window = config.slidingWindow {
            guard window >= 1, config.slidingWindowLayers.count == config.numLayers else {
                throw ModelError.invalidConfig("a sliding window needs a positive size and one flag per block (got \(window), \(config.slidingWindowLayers.count) flags for \(config.numLayers) blocks)")
            }
        }
        if let factors = config.ropeFrequencyFactors, factors.count != config.headDim / 2 || factors.contains(where: { !($0.isFinite && $0 > 0) }) {
            throw ModelError.invalidConfig("rotary frequency factors must be \(config.headDim / 2) positive numbers (got \(factors.count))")
        }
        for (name, value) in [("rope theta", config.ropeTheta), ("local rope theta", config.localRopeTheta ?? 1)]
        where !(value.isFinite && value > 0) {
            throw ModelError.invalidConfig("the \(name) must be a positive number that fits in 32-bit float (got \(value))")
        }
        guard config.rmsNormEps.isFinite, config.rmsNormEps >= 0 else {
            throw ModelError.invalidConfig("the RMSNorm epsilon must be a finite number >= 0 (got \(config.rmsNormEps))")
        }
        if let scale = config.attentionScale, !(scale.isFinite && scale > 0) {
            throw ModelError.invalidConfig("the attention scale must be a positive number (got \(scale))")
        }
        guard config.embeddingScale.isFinite, config.embeddingScale > 0 else {
            throw ModelError.invalidConfig("the embedding scale must be a positive number (got \(config.embeddingScale))")
        }
        func check(_ name: String, _ actual: [Int], _ expected: [Int]) throws {
            if actual != expected { throw ModelError.inconsistentShape(tensor: name, expected: expected, actual: actual) }
        }
        try check("embedding", [embedding.count, embedding.width], [config.vocabSize * h, h])
        try check("final norm", [finalNorm.count], [h])
        try check("output head", [outputHead.rows, outputHead.cols], [config.vocabSize, h])
        for (i, b) in blocks.enumerated() {
            let parts = BlockTensor.parts(of: config, layer: i)
            for part in BlockTensor.allCases where part != .downBias {
                let name = "block \(i) \(part.rawValue)"
                let expected = part.shape(layer: i, config: config)
                if let matrix = b.matrix(part) {
                    try check(name, [matrix.rows, matrix.cols], expected)
                } else if parts.contains(part) {
                    guard let vector = b.vector(part) else { throw ModelError.missingTensor(name) }
                    try check(name, [vector.count], expected)
                } else if let vector = b.vector(part), !vector.isEmpty {
                    throw ModelError.invalidConfig("\(name) is present but a \(config.architecture) block with this configuration has none")
                }
            }
            if let bias = b.downBias {
                guard config.hasFFN(layer: i) else {
                    throw ModelError.invalidConfig("block \(i) has a down bias but no FFN sublayer")
                }
                try check("block \(i) down bias", [bias.count], [h])
            }
        }
    }

    /// Per-layer head counts: one per block, each block's query heads its KV heads times the
    /// dense group size, and no more than the dense model's.
    private static func validateLayerHeads(_ config: LlamaConfig) throws {
        for (name, counts) in [("query", config.layerHeadCounts), ("KV", config.layerKVHeadCounts)] {
            if let counts, counts.count != config.numLayers {
                throw ModelError.invalidConfig("\(counts.count) per-layer \(name) head counts for \(config.numLayers) blocks")
            }
        }
        for l in 0..<config.numLayers {
            let q = config.heads(layer: l), kv = config.kvHeads(layer: l)
            guard kv >= 0, kv <= config.numKVHeads, q == kv * config.headsPerKVHead else {
                throw ModelError.invalidConfig(
                    "block \(l) has \(q) query heads and \(kv) KV heads; blocks keep whole KV groups of \(config.headsPerKVHead) query heads, at most \(config.numKVHeads) groups")
            }
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
