import Kernels

/// A small, fast, seeded generator (SplitMix64) so tiny test models are reproducible everywhere.
public struct SeededGenerator: RandomNumberGenerator, Sendable {
    private var state: UInt64
    public init(seed: UInt64) { state = seed }
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    /// Uniform in [-scale, scale].
    public mutating func symmetric(_ scale: Float) -> Float {
        Float(Double(next() >> 11) / Double(1 << 53) * 2 - 1) * scale
    }
}

extension LlamaConfig {
    /// A miniature LLaMA shape for unit tests: every code path, none of the cost.
    public static func tiny(
        layers: Int = 2, hidden: Int = 32, heads: Int = 4, kvHeads: Int = 2, ffn: Int = 48,
        vocab: Int = 96, context: Int = 64, ropeLayout: RotaryLayout = .rotateHalf
    ) -> LlamaConfig {
        LlamaConfig(
            architecture: "llama", vocabSize: vocab, hiddenSize: hidden,
            intermediateSizes: Array(repeating: ffn, count: layers), numHeads: heads, numKVHeads: kvHeads,
            headDim: hidden / heads, rmsNormEps: 1e-5, ropeTheta: 10000, contextLength: context,
            tieWordEmbeddings: true, ropeLayout: ropeLayout)
    }
}

extension LlamaConfig {
    /// `tiny(...)` of the given family with every switch it has turned on (`Architecture.exampleSwitches`).
    public static func tiny(
        family: String, layers: Int = 2, hidden: Int = 32, heads: Int = 4, kvHeads: Int = 2, headDim: Int? = nil,
        ffn: Int = 48, vocab: Int = 96, context: Int = 64, ropeLayout: RotaryLayout = .rotateHalf
    ) throws -> LlamaConfig {
        var config = tiny(layers: layers, hidden: hidden, heads: heads, kvHeads: kvHeads, ffn: ffn, vocab: vocab,
                          context: context, ropeLayout: ropeLayout)
        config.architecture = family
        if let headDim { config.headDim = headDim }
        try config.family.exampleSwitches(&config)
        return config
    }
}

extension LlamaModel {
    /// A model with seeded random weights (scaled by 1/sqrt(fan-in) so activations stay sane),
    /// for tests and demos that must not need a file.
    public static func random(
        config: LlamaConfig, seed: UInt64, precision: WeightPrecision = .f32
    ) throws -> LlamaModel {
        var rng = SeededGenerator(seed: seed)
        func values(_ count: Int, _ scale: Float) -> [Float] { (0..<count).map { _ in rng.symmetric(scale) } }
        func linear(_ rows: Int, _ cols: Int) -> PackedWeights {
            PackedWeights(rows: rows, cols: cols, values: values(rows * cols, 1 / Float(cols).squareRoot()),
                          precision: precision)
        }
        func norm(_ count: Int) -> [Float] { values(count, 0.2).map { 1 + $0 } }
        let h = config.hiddenSize
        let embedding = values(config.vocabSize * h, 1)
        let blocks = config.intermediateSizes.indices.map { layer in
            let width = config.intermediateSizes[layer]
            let qWidth = config.heads(layer: layer) * config.headDim
            let kvWidth = config.kvHeads(layer: layer) * config.headDim
            var block = LlamaBlockWeights(
                attentionNorm: qWidth > 0 ? norm(h) : [], query: linear(qWidth, h), key: linear(kvWidth, h),
                value: linear(kvWidth, h), attentionOutput: linear(h, qWidth), ffnNorm: width > 0 ? norm(h) : [],
                gate: linear(width, h), up: linear(width, h), down: linear(h, width))
            for part in BlockTensor.parts(of: config, layer: layer) where !part.isMatrix && (block.vector(part) ?? []).isEmpty {
                let count = part.shape(layer: layer, config: config)[0]
                block.setVector(part, part.isNorm ? norm(count) : values(count, 0.1))
            }
            return block
        }
        let head = config.tieWordEmbeddings
            ? PackedWeights(rows: config.vocabSize, cols: h, values: embedding, precision: precision)
            : linear(config.vocabSize, h)
        return try LlamaModel(config: config, embedding: embedding, blocks: blocks, finalNorm: norm(h),
                              outputHead: head, precision: precision)
    }
}
