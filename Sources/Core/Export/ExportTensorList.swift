import Kernels

/// One tensor of a model to export, its values produced on demand so that an export holds at
/// most one extra tensor in memory at a time.
struct ExportTensor {
    var name: String
    /// Outermost-first shape.
    var shape: [Int]
    /// Norm weights and biases: formats keep these in f32 even when matrices are narrowed.
    var isVector: Bool
    var values: () throws -> [Float]
    /// Rows `range` alone, for the tensors large enough to be written a chunk of rows at a time
    /// (the embedding and the output head); nil for the rest.
    var rows: ((Range<Int>) throws -> [Float])? = nil
}

/// Lists a model's tensors under a format's names (`ModelTensorLayout`), with Q/K rows (and
/// their biases) in that format's rotary order and norms in its convention.
enum ExportTensorList {
    /// Every tensor of `model`: embedding, each block's parts and optional down bias, final
    /// norm, the output head unless it is tied, and rotary factors where the format names them.
    /// `normOffset` is subtracted from every RMSNorm weight (Gemma's Hugging Face convention).
    /// Nothing is read from `model` until a tensor's values are asked for.
    static func tensors(of model: some ExportableModel, naming: TensorNaming, layout: RotaryLayout,
                        normOffset: Float = 0) -> [ExportTensor] {
        let config = model.config
        let source = config.ropeLayout
        func rotaryHeads(_ part: BlockTensor, layer: Int) -> Int? {
            switch part {
            case .query, .queryBias: return config.heads(layer: layer)
            case .key, .keyBias: return config.kvHeads(layer: layer)
            default: return nil
            }
        }
        func reordered(_ values: [Float], heads: Int?, cols: Int) -> [Float] {
            guard let heads else { return values }
            return RotaryRowPermutation.reorder(values, heads: heads, headDim: config.headDim, cols: cols, from: source, to: layout)
        }
        var list: [ExportTensor] = []
        for tensor in ModelTensorLayout.expected(config, naming: naming) {
            let isNorm = tensor.isNorm
            switch tensor.role {
            case .embedding:
                list.append(ExportTensor(name: tensor.name, shape: tensor.shape, isVector: false,
                                         values: { try model.embeddingValues() }, rows: { try model.embeddingRows($0) }))
            case .outputHead:
                list.append(ExportTensor(name: tensor.name, shape: tensor.shape, isVector: false,
                                         values: { try model.outputHeadValues() }, rows: { try model.outputHeadRows($0) }))
            case .finalNorm:
                list.append(ExportTensor(name: tensor.name, shape: tensor.shape, isVector: true) {
                    try model.finalNormValues().map { $0 - normOffset }
                })
            case .ropeFrequencies:
                let values = config.ropeFrequencyFactors ?? []
                list.append(ExportTensor(name: tensor.name, shape: tensor.shape, isVector: true) { values })
            case .block(let layer, let part):
                let heads = rotaryHeads(part, layer: layer)
                if part.isMatrix {
                    list.append(ExportTensor(name: tensor.name, shape: tensor.shape, isVector: false) {
                        let matrix = try model.exportBlock(layer).matrix(part)!
                        return reordered(matrix.unpacked(), heads: heads, cols: matrix.cols)
                    })
                } else {
                    list.append(ExportTensor(name: tensor.name, shape: tensor.shape, isVector: true) {
                        let values = try model.exportBlock(layer).vector(part) ?? []
                        return reordered(values.map { isNorm ? $0 - normOffset : $0 }, heads: heads, cols: 1)
                    })
                }
                if part == BlockTensor.parts(of: config, layer: layer).last, model.hasDownBias(layer) {
                    list.append(ExportTensor(name: naming.block(layer, .downBias), shape: [config.hiddenSize], isVector: true) {
                        try model.exportBlock(layer).downBias ?? []
                    })
                }
            }
        }
        return list
    }
}
