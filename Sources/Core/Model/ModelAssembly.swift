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
    /// `.native` keeps every matrix the source can keep encoded (`TensorSource.encodedRows`: a
    /// GGUF file's quantized, f16 and bf16 tensors, embedding and head included) in place in the
    /// mapped file; the rest (f32 tensors, Hugging Face folders) is stored as f32.
    /// `normOffset` is added to every RMSNorm weight (Gemma's Hugging Face convention).
    /// `loading` is told after every tensor and may stop the load (a 70B model reads for minutes).
    public convenience init(
        config: LlamaConfig, tensors: TensorSource, naming: TensorNaming, precision: WeightPrecision,
        normOffset: Float = 0, loading: LoadingObserver = LoadingObserver()
    ) throws {
        try ModelTensorLayout.validate(config, naming: naming) { tensors.descriptor($0)?.shape }
        var embeddings = TokenEmbeddings(values: [], width: config.hiddenSize)
        var finalNorm: [Float] = []
        var head: PackedWeights?
        let expected = ModelTensorLayout.expected(config, naming: naming)
        // Rotary frequency tensors are in the layout but not read (the config holds them).
        let total = expected.filter { $0.role != .ropeFrequencies }.count
        var done = 0
        func read(_ tensor: ExpectedTensor) throws -> [Float] {
            if loading.isCancelled() { throw OperationCancelled() }
            loading.progress(done, total)
            done += 1
            return tensor.offsetting(try tensors.floats(tensor.name), by: normOffset)
        }
        func encoded(_ tensor: ExpectedTensor) throws -> (any EncodedRows)? {
            guard precision == .native, let rows = try tensors.encodedRows(tensor.name) else { return nil }
            if loading.isCancelled() { throw OperationCancelled() }
            loading.progress(done, total)
            done += 1
            return rows
        }
        for tensor in expected {
            switch tensor.role {
            case .embedding:
                embeddings = try encoded(tensor).map(TokenEmbeddings.init(encoded:))
                    ?? TokenEmbeddings(values: try read(tensor), width: config.hiddenSize)
            case .finalNorm: finalNorm = try read(tensor)
            case .outputHead:
                head = try encoded(tensor).map(PackedWeights.init(encoded:))
                    ?? PackedWeights(rows: config.vocabSize, cols: config.hiddenSize, values: try read(tensor), precision: precision)
            case .ropeFrequencies, .block: break
            }
        }
        let blocks = try (0..<config.numLayers).map { layer in
            try LlamaBlockWeights(layer: layer, config: config, tensors: tensors, naming: naming, precision: precision,
                                  expected: expected, encoded: encoded, read: read)
        }
        // A tied head is the embedding: a native model shares its encoded rows.
        let outputHead = head ?? embeddings.encoded.map(PackedWeights.init(encoded:))
            ?? PackedWeights(rows: config.vocabSize, cols: config.hiddenSize, values: embeddings.floats(), precision: precision)
        try self.init(config: config, embeddings: embeddings, blocks: blocks, finalNorm: finalNorm,
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

extension LlamaBlockWeights {
    /// Block `layer`'s tensors read from `tensors` alone, packed in `precision`: what a
    /// layer-sequential pass loads while the other blocks stay in the file. The caller has
    /// checked the file's shapes (`ModelTensorLayout.validate`).
    public init(layer: Int, config: LlamaConfig, tensors: TensorSource, naming: TensorNaming,
                precision: WeightPrecision, normOffset: Float = 0) throws {
        try self.init(layer: layer, config: config, tensors: tensors, naming: naming, precision: precision,
                      expected: ModelTensorLayout.expected(config, naming: naming),
                      encoded: { precision == .native ? try tensors.encodedRows($0.name) : nil }) { tensor in
            tensor.offsetting(try tensors.floats(tensor.name), by: normOffset)
        }
    }

    /// The one assembly of a block from its tensors; `encoded` gives a matrix kept encoded (a
    /// native load) or nil, `read` a tensor's values (norm offset applied).
    init(layer: Int, config: LlamaConfig, tensors: TensorSource, naming: TensorNaming, precision: WeightPrecision,
         expected: [ExpectedTensor], encoded: (ExpectedTensor) throws -> (any EncodedRows)?,
         read: (ExpectedTensor) throws -> [Float]) throws {
        var p: [BlockTensor: [Float]] = [:]
        var kept: [BlockTensor: any EncodedRows] = [:]
        for tensor in expected {
            guard case .block(layer, let part) = tensor.role else { continue }
            if part.isMatrix, let rows = try encoded(tensor) { kept[part] = rows } else { p[part] = try read(tensor) }
        }
        func linear(_ part: BlockTensor) -> PackedWeights {
            if let rows = kept[part] { return PackedWeights(encoded: rows) }
            let shape = part.shape(layer: layer, config: config)
            return PackedWeights(rows: shape[0], cols: shape[1], values: p.removeValue(forKey: part) ?? [], precision: precision)
        }
        self.init(
            attentionNorm: p.removeValue(forKey: .attentionNorm) ?? [], query: linear(.query), key: linear(.key),
            value: linear(.value), attentionOutput: linear(.attentionOutput),
            ffnNorm: p.removeValue(forKey: .ffnNorm) ?? [], gate: linear(.gate), up: linear(.up), down: linear(.down))
        for (part, values) in p { setVector(part, values) }
        let biasName = naming.block(layer, .downBias)
        if let descriptor = tensors.descriptor(biasName) {
            guard ModelTensorLayout.squeezed(descriptor.shape, like: [config.hiddenSize]) == [config.hiddenSize] else {
                throw ModelError.inconsistentShape(tensor: biasName, expected: [config.hiddenSize], actual: descriptor.shape)
            }
            downBias = try tensors.floats(biasName)
        }
    }
}

extension ExpectedTensor {
    /// `values` read for this tensor with `offset` added if it is an RMSNorm weight (Gemma's
    /// Hugging Face convention): the one place a load applies it.
    func offsetting(_ values: [Float], by offset: Float) -> [Float] {
        isNorm && offset != 0 ? values.map { $0 + offset } : values
    }
}
