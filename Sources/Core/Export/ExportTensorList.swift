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

/// Lists a model's tensors under a format's names (`ModelTensorLayout`), with Q/K rows (and
/// their biases) in that format's rotary order and norms in its convention.
enum ExportTensorList {
    /// Every tensor of `model`: embedding, each block's parts and optional down bias, final
    /// norm, the output head unless it is tied, and rotary factors where the format names them.
    /// `normOffset` is subtracted from every RMSNorm weight (Gemma's Hugging Face convention).
    static func tensors(of model: LlamaModel, naming: TensorNaming, layout: RotaryLayout, normOffset: Float = 0) -> [ExportTensor] {
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
                let embedding = model.embedding
                list.append(ExportTensor(name: tensor.name, shape: tensor.shape, isVector: false) { embedding })
            case .outputHead:
                let head = model.outputHead
                list.append(ExportTensor(name: tensor.name, shape: tensor.shape, isVector: false) { head.unpacked() })
            case .finalNorm:
                let values = model.finalNorm.map { $0 - normOffset }
                list.append(ExportTensor(name: tensor.name, shape: tensor.shape, isVector: true) { values })
            case .ropeFrequencies:
                let values = config.ropeFrequencyFactors ?? []
                list.append(ExportTensor(name: tensor.name, shape: tensor.shape, isVector: true) { values })
            case .block(let layer, let part):
                let block = model.blocks[layer]
                if let matrix = block.matrix(part) {
                    let heads = rotaryHeads(part, layer: layer)
                    list.append(ExportTensor(name: tensor.name, shape: tensor.shape, isVector: false) {
                        reordered(matrix.unpacked(), heads: heads, cols: matrix.cols)
                    })
                } else {
                    let values = reordered((block.vector(part) ?? []).map { isNorm ? $0 - normOffset : $0 },
                                           heads: rotaryHeads(part, layer: layer), cols: 1)
                    list.append(ExportTensor(name: tensor.name, shape: tensor.shape, isVector: true) { values })
                }
                if part == BlockTensor.parts(of: config, layer: layer).last, let bias = block.downBias {
                    list.append(ExportTensor(name: naming.block(layer, .downBias), shape: [bias.count], isVector: true) { bias })
                }
            }
        }
        return list
    }
}
