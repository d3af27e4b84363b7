import Kernels

extension LlamaModel {
    /// Reads every tensor of a LLaMA model from `tensors` (named by `naming`), checks its shape
    /// against `config`, and packs the linear layers in `precision` for the GEMM.
    public convenience init(
        config: LlamaConfig, tensors: TensorSource, naming: TensorNaming, precision: WeightPrecision
    ) throws {
        let h = config.hiddenSize
        func load(_ name: String, _ shape: [Int]) throws -> [Float] {
            guard let descriptor = tensors.descriptor(name) else { throw ModelError.missingTensor(name) }
            // A 1-D vector may be stored as [n] or [1, n].
            let squeezed = descriptor.shape.count == 2 && descriptor.shape[0] == 1 && shape.count == 1
                ? [descriptor.shape[1]] : descriptor.shape
            guard squeezed == shape else {
                throw ModelError.inconsistentShape(tensor: name, expected: shape, actual: descriptor.shape)
            }
            return try tensors.floats(name)
        }
        func linear(_ name: String, _ rows: Int, _ cols: Int) throws -> PackedWeights {
            PackedWeights(rows: rows, cols: cols, values: try load(name, [rows, cols]), precision: precision)
        }
        let embedding = try load(naming.tokenEmbedding, [config.vocabSize, h])
        let qWidth = config.numHeads * config.headDim
        let kvWidth = config.numKVHeads * config.headDim
        var blocks: [LlamaBlockWeights] = []
        for i in 0..<config.numLayers {
            let width = config.intermediateSizes[i]
            let biasName = naming.block(i, .downBias)
            blocks.append(LlamaBlockWeights(
                attentionNorm: try load(naming.block(i, .attentionNorm), [h]),
                query: try linear(naming.block(i, .query), qWidth, h),
                key: try linear(naming.block(i, .key), kvWidth, h),
                value: try linear(naming.block(i, .value), kvWidth, h),
                attentionOutput: try linear(naming.block(i, .attentionOutput), h, qWidth),
                ffnNorm: try load(naming.block(i, .ffnNorm), [h]),
                gate: try linear(naming.block(i, .gate), width, h),
                up: try linear(naming.block(i, .up), width, h),
                down: try linear(naming.block(i, .down), h, width),
                downBias: tensors.descriptor(biasName) == nil ? nil : try load(biasName, [h])))
        }
        let head: PackedWeights
        if config.tieWordEmbeddings || tensors.descriptor(naming.outputHead) == nil {
            head = PackedWeights(rows: config.vocabSize, cols: h, values: embedding, precision: precision)
        } else {
            head = try linear(naming.outputHead, config.vocabSize, h)
        }
        var tied = config
        tied.tieWordEmbeddings = config.tieWordEmbeddings || tensors.descriptor(naming.outputHead) == nil
        try self.init(config: tied, embedding: embedding, blocks: blocks,
                      finalNorm: try load(naming.finalNorm, [h]), outputHead: head, precision: precision)
    }
}
