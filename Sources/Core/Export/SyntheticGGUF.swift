import Kernels

/// GGUF files of random weights with a real model's shapes, for the scale benchmark (issue 16,
/// item 3: Llama-3.2-1B and Llama-3.1-8B shapes cannot be downloaded here). Written tensor by
/// tensor: each tensor's values come from a generator seeded by the seed and the tensor's index,
/// so memory holds one tensor at a time and the same arguments give the same file. Scales are
/// those of `LlamaModel.random` (matrices uniform in ±1/sqrt(fan-in), norms near 1), so
/// activations stay in a sane range; the tensor types follow `precision`'s llama.cpp mix, as an
/// export does. Such a file has no tokenizer: feed it token ids.
public enum SyntheticGGUF {
    /// Named shapes of public models (their config.json values).
    public static func shape(named name: String) -> LlamaConfig? {
        func llama(layers: Int, hidden: Int, ffn: Int, heads: Int, kvHeads: Int, vocab: Int, theta: Float,
                   tied: Bool) -> LlamaConfig {
            LlamaConfig(architecture: "llama", vocabSize: vocab, hiddenSize: hidden,
                        intermediateSizes: Array(repeating: ffn, count: layers), numHeads: heads, numKVHeads: kvHeads,
                        headDim: hidden / heads, rmsNormEps: 1e-5, ropeTheta: theta, contextLength: 131_072,
                        tieWordEmbeddings: tied, ropeLayout: .interleaved)
        }
        switch name {
        case "llama-3.2-1b":
            return llama(layers: 16, hidden: 2048, ffn: 8192, heads: 32, kvHeads: 8, vocab: 128_256, theta: 500_000, tied: true)
        case "llama-3.1-8b":
            return llama(layers: 32, hidden: 4096, ffn: 14_336, heads: 32, kvHeads: 8, vocab: 128_256, theta: 500_000, tied: false)
        case "llama-3.1-70b":
            return llama(layers: 80, hidden: 8192, ffn: 28_672, heads: 64, kvHeads: 8, vocab: 128_256, theta: 500_000, tied: false)
        default: return nil
        }
    }

    /// The names `shape(named:)` knows.
    public static let shapeNames = ["llama-3.2-1b", "llama-3.1-8b", "llama-3.1-70b"]

    /// Writes a random model shaped `config` to `path` in `precision`'s tensor types.
    /// - Throws: the writer's errors (an existing file without `overwrite`, I/O), or
    ///   `ExportError` for a shape GGUF cannot hold.
    public static func write(config: LlamaConfig, precision: ExportPrecision, seed: UInt64, to path: String,
                             overwrite: Bool = false) throws {
        let metadata = try GGUFExportMetadata.entries(config: config, precision: precision, source: nil,
                                                      name: "cfsp synthetic \(config.numLayers)-layer")
        let expected = ModelTensorLayout.expected(config, naming: .gguf)
        let mix = GGUFQuantizationMix(precision: precision, layers: config.numLayers,
                                      tiedOutput: !expected.contains { $0.role == .outputHead })
        let tensors = expected.enumerated().map { index, tensor in
            let isVector = tensor.shape.count == 1
            let type = isVector ? TensorType.f32 : mix.choice(name: tensor.name, rowLength: tensor.shape.last ?? 1).stored
            return GGUFWriterTensor(name: tensor.name, shape: tensor.shape, type: type) {
                var random = SeededGenerator(seed: seed &* 0x9E37_79B9 &+ UInt64(index))
                let count = tensor.shape.reduce(1, *)
                if tensor.role == .ropeFrequencies { return [Float](repeating: 1, count: count) }
                if tensor.isNorm { return (0..<count).map { _ in 1 + random.symmetric(0.2) } }
                if isVector { return (0..<count).map { _ in random.symmetric(0.1) } }
                let scale: Float = tensor.role == .embedding ? 1 : 1 / Float(tensor.shape.last ?? 1).squareRoot()
                return (0..<count).map { _ in random.symmetric(scale) }
            }
        }
        try GGUFWriter.write(metadata: metadata, tensors: tensors, to: path, overwrite: overwrite)
    }
}
