import Kernels

/// Where a layer-sequential pass gets a model's weights, one block at a time, so that only one
/// block need be in memory (issue 16: models larger than memory). `ResidentBlocks` serves a
/// model already loaded; `FileBlocks` reads each block from the (memory-mapped) file when asked
/// and never holds the whole model.
public protocol BlockWeightSource: Sendable {
    /// The model's shape (per-layer widths and head counts included).
    var config: LlamaConfig { get }
    /// The embedding rows of `ids`, ids.count x hidden, row-major, not yet scaled by
    /// `config.embeddingScale`.
    func embeddingRows(_ ids: [Int32]) throws -> [Float]
    /// Block `layer`'s weights, packed for the GEMM. A caller that wants the memory bound drops
    /// them before asking for the next block.
    func block(_ layer: Int) throws -> LlamaBlockWeights
}

/// The blocks of a model held in memory (the same numbers as `FileBlocks` of its file).
public struct ResidentBlocks: BlockWeightSource {
    /// The model the blocks come from.
    public let model: LlamaModel

    /// The blocks of `model`.
    public init(model: LlamaModel) { self.model = model }

    public var config: LlamaConfig { model.config }

    public func embeddingRows(_ ids: [Int32]) throws -> [Float] {
        try model.validate(tokens: ids)
        let h = config.hiddenSize
        return [Float](unsafeUninitializedCapacity: ids.count * h) { buffer, initialized in
            for (row, id) in ids.enumerated() { model.embeddings.copyRow(Int(id), into: buffer.baseAddress! + row * h) }
            initialized = ids.count * h
        }
    }

    public func block(_ layer: Int) throws -> LlamaBlockWeights { model.blocks[layer] }
}

/// The blocks of a model file, read (and dequantized, and packed in `precision`) one at a time
/// on request; the embedding is read only for the rows asked for. Memory is one block's weights,
/// whatever the model's size; the file itself is memory-mapped by its `TensorSource`.
public struct FileBlocks: BlockWeightSource {
    public let config: LlamaConfig
    /// The file's tensors.
    public let tensors: any TensorSource
    /// The tensor names of the file's format.
    public let naming: TensorNaming
    /// Precision of the packed linear layers.
    public let precision: WeightPrecision
    /// Added to every RMSNorm weight (Gemma's Hugging Face convention; 0 for GGUF).
    public let normOffset: Float

    /// Blocks of `tensors` under `naming`; checks every shape `config` implies first, as a full
    /// load does, so a bad file fails here rather than halfway through a pass.
    public init(config: LlamaConfig, tensors: any TensorSource, naming: TensorNaming, precision: WeightPrecision,
                normOffset: Float = 0) throws {
        try ModelTensorLayout.validate(config, naming: naming) { tensors.descriptor($0)?.shape }
        self.config = config
        self.tensors = tensors
        self.naming = naming
        self.precision = precision
        self.normOffset = normOffset
    }

    /// The blocks of a GGUF file.
    public init(gguf file: GGUFFile, precision: WeightPrecision) throws {
        try self.init(config: try file.llamaConfig(), tensors: file, naming: .gguf, precision: precision)
    }

    /// The blocks of a Hugging Face folder, under its family's names and norm convention.
    public init(folder: HuggingFaceFolder, precision: WeightPrecision) throws {
        let family = try folder.config.family
        try self.init(config: folder.config, tensors: folder.tensors, naming: family.huggingFaceNaming,
                      precision: precision, normOffset: family.huggingFaceNormOffset)
    }

    public func embeddingRows(_ ids: [Int32]) throws -> [Float] {
        for id in ids where id < 0 || Int(id) >= config.vocabSize {
            throw ModelError.tokenOutOfRange(id: Int(id), vocabularySize: config.vocabSize)
        }
        defer { tensors.releaseStorage(naming.tokenEmbedding) }
        return try tensors.rows(naming.tokenEmbedding, ids.map(Int.init))
    }

    /// Whether block `layer` of the file has an FFN down bias (a FLAP-pruned model's).
    public func hasDownBias(_ layer: Int) -> Bool { tensors.descriptor(naming.block(layer, .downBias)) != nil }

    /// The parameters and FFN parameters of the file's model, counted from its shape (as
    /// `LlamaModel.parameterCount` and `ffnParameterCount` count the loaded model); with `plan`,
    /// those of the model `plan` makes of it, as `GGUFExporter.exportPruned` writes it (kept
    /// widths; a down bias where the file has one or the method is FLAP).
    public func parameterCounts(plan: PruningPlan? = nil) -> (parameters: Int, ffnParameters: Int) {
        var config = self.config
        var downBias = hasDownBias
        if let plan {
            config.intermediateSizes = plan.blocks.map(\.kept.count)
            downBias = { StreamedPrunedModel.hasDownBias(self, plan: plan, layer: $0) }
        }
        return (config.parameterCount(downBias: downBias), config.ffnParameterCount(downBias: downBias))
    }

    /// Block `layer`, after which the file's pages for it are released (a later read faults them in again).
    public func block(_ layer: Int) throws -> LlamaBlockWeights {
        defer {
            for part in BlockTensor.parts(of: config, layer: layer) { tensors.releaseStorage(naming.block(layer, part)) }
            tensors.releaseStorage(naming.block(layer, .downBias))
        }
        return try LlamaBlockWeights(layer: layer, config: config, tensors: tensors, naming: naming, precision: precision,
                                     normOffset: normOffset)
    }
}
