import Kernels

/// What a model load tells its caller: `progress(done, total)` before each tensor is read, and
/// `isCancelled`, asked as often, which stops the load with `OperationCancelled` when true.
public struct LoadingObserver: Sendable {
    public var progress: @Sendable (_ done: Int, _ total: Int) -> Void
    public var isCancelled: @Sendable () -> Bool

    public init(progress: @escaping @Sendable (Int, Int) -> Void = { _, _ in },
                isCancelled: @escaping @Sendable () -> Bool = { false }) {
        self.progress = progress
        self.isCancelled = isCancelled
    }
}

extension LlamaModel {
    /// Reads every tensor `config` implies (`ModelTensorLayout`) from `tensors` (named by
    /// `naming`), checks its shape, and packs the linear layers in `precision` for the GEMM.
    /// `normOffset` is added to every RMSNorm weight (Gemma's Hugging Face convention).
    /// `loading` is told after every tensor and may stop the load (a 70B model reads for minutes).
    public convenience init(
        config: LlamaConfig, tensors: TensorSource, naming: TensorNaming, precision: WeightPrecision,
        normOffset: Float = 0, loading: LoadingObserver = LoadingObserver()
    ) throws {
        try ModelTensorLayout.validate(config, naming: naming) { tensors.descriptor($0)?.shape }
        var embedding: [Float] = []
        var finalNorm: [Float] = []
        var head: PackedWeights?
        var blocks: [LlamaBlockWeights?] = Array(repeating: nil, count: config.numLayers)
        var parts: [[BlockTensor: [Float]]] = Array(repeating: [:], count: config.numLayers)
        let expected = ModelTensorLayout.expected(config, naming: naming)
        for (index, tensor) in expected.enumerated() {
            if loading.isCancelled() { throw OperationCancelled() }
            loading.progress(index, expected.count)
            var values = try tensors.floats(tensor.name)
            if tensor.isNorm && normOffset != 0 { values = values.map { $0 + normOffset } }
            switch tensor.role {
            case .embedding: embedding = values
            case .finalNorm: finalNorm = values
            case .outputHead:
                head = PackedWeights(rows: config.vocabSize, cols: config.hiddenSize, values: values, precision: precision)
            case .ropeFrequencies: break
            case .block(let layer, let part): parts[layer][part] = values
            }
        }
        for layer in 0..<config.numLayers {
            var p = parts[layer]
            func linear(_ part: BlockTensor) -> PackedWeights {
                let shape = part.shape(layer: layer, config: config)
                return PackedWeights(rows: shape[0], cols: shape[1], values: p.removeValue(forKey: part) ?? [], precision: precision)
            }
            var block = LlamaBlockWeights(
                attentionNorm: p.removeValue(forKey: .attentionNorm) ?? [], query: linear(.query), key: linear(.key),
                value: linear(.value), attentionOutput: linear(.attentionOutput),
                ffnNorm: p.removeValue(forKey: .ffnNorm) ?? [], gate: linear(.gate), up: linear(.up), down: linear(.down))
            for (part, values) in p { block.setVector(part, values) }
            let biasName = naming.block(layer, .downBias)
            if let descriptor = tensors.descriptor(biasName) {
                guard ModelTensorLayout.squeezed(descriptor.shape, like: [config.hiddenSize]) == [config.hiddenSize] else {
                    throw ModelError.inconsistentShape(tensor: biasName, expected: [config.hiddenSize], actual: descriptor.shape)
                }
                block.downBias = try tensors.floats(biasName)
            }
            blocks[layer] = block
        }
        let outputHead = head ?? PackedWeights(rows: config.vocabSize, cols: config.hiddenSize, values: embedding, precision: precision)
        try self.init(config: config, embedding: embedding, blocks: blocks.map { $0! }, finalNorm: finalNorm,
                      outputHead: outputHead, precision: precision)
    }

    /// The model of a Hugging Face folder, under its family's tensor names and norm convention.
    public convenience init(folder: HuggingFaceFolder, precision: WeightPrecision,
                            loading: LoadingObserver = LoadingObserver()) throws {
        let family = try folder.config.family
        try self.init(config: folder.config, tensors: folder.tensors, naming: family.huggingFaceNaming,
                      precision: precision, normOffset: family.huggingFaceNormOffset, loading: loading)
    }

    /// The model of a GGUF file (its tokenizer is read separately).
    public convenience init(gguf file: GGUFFile, precision: WeightPrecision,
                            loading: LoadingObserver = LoadingObserver()) throws {
        try self.init(config: try file.llamaConfig(), tensors: file, naming: .gguf, precision: precision, loading: loading)
    }
}
