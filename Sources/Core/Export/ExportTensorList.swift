import Kernels

/// One tensor of a model to export, its values produced on demand so that an export holds at
/// most one extra tensor in memory at a time.
struct ExportTensor {
    var name: String
    /// Outermost-first shape.
    var shape: [Int]
    /// Norm weights and biases: formats keep these in f32 even when matrices are narrowed.
    var isVector: Bool
    var values: () -> [Float]
}

/// Lists a model's tensors under a format's names, with Q/K rows in that format's rotary order.
enum ExportTensorList {
    /// Every tensor of `model`: embedding, each block's norms, projections and optional down
    /// bias, final norm, and the output head unless it is tied to the embedding.
    static func tensors(of model: LlamaModel, naming: TensorNaming, layout: RotaryLayout) -> [ExportTensor] {
        let config = model.config
        let h = config.hiddenSize
        let source = config.ropeLayout
        func vector(_ name: String, _ values: [Float]) -> ExportTensor {
            ExportTensor(name: name, shape: [values.count], isVector: true) { values }
        }
        func matrix(_ name: String, _ weights: PackedWeights, rotaryHeads: Int? = nil) -> ExportTensor {
            ExportTensor(name: name, shape: [weights.rows, weights.cols], isVector: false) {
                let values = weights.unpacked()
                guard let heads = rotaryHeads else { return values }
                return RotaryRowPermutation.reorder(
                    values, heads: heads, headDim: config.headDim, cols: weights.cols, from: source, to: layout)
            }
        }
        let embedding = model.embedding
        var list = [ExportTensor(name: naming.tokenEmbedding, shape: [config.vocabSize, h], isVector: false) { embedding }]
        for (i, block) in model.blocks.enumerated() {
            list.append(vector(naming.block(i, .attentionNorm), block.attentionNorm))
            list.append(matrix(naming.block(i, .query), block.query, rotaryHeads: config.numHeads))
            list.append(matrix(naming.block(i, .key), block.key, rotaryHeads: config.numKVHeads))
            list.append(matrix(naming.block(i, .value), block.value))
            list.append(matrix(naming.block(i, .attentionOutput), block.attentionOutput))
            list.append(vector(naming.block(i, .ffnNorm), block.ffnNorm))
            list.append(matrix(naming.block(i, .gate), block.gate))
            list.append(matrix(naming.block(i, .up), block.up))
            list.append(matrix(naming.block(i, .down), block.down))
            if let bias = block.downBias { list.append(vector(naming.block(i, .downBias), bias)) }
        }
        list.append(vector(naming.finalNorm, model.finalNorm))
        if !config.tieWordEmbeddings { list.append(matrix(naming.outputHead, model.outputHead)) }
        return list
    }
}
