/// How many parameters each removable structure of one block holds (protocol.md, "Structures and one parameter budget"): what
/// the parameter budget is counted in. Derived from the block's own weights, so a model that
/// was pruned before is counted as it is.
struct StructureCosts {
    /// One FFN neuron: a row of gate and of up, a column of down (3 x hidden).
    let neuron: Int
    /// One KV group: its query heads' rows of q and columns of o, its KV head's rows of k and v,
    /// and their biases.
    let group: Int
    /// The whole attention sublayer of each block (norms, biases and per-head norms included; 0
    /// when the block has none).
    let attention: [Int]
    /// The whole FFN sublayer of each block (norms and any down bias included; 0 when the block has none).
    let ffn: [Int]

    init(model: LlamaModel) {
        let c = model.config
        let h = c.hiddenSize, d = c.headDim, g = c.headsPerKVHead
        neuron = 3 * h
        group = 2 * g * d * h + 2 * d * h + (c.attentionBias ? (g + 2) * d : 0)
        attention = model.blocks.indices.map { l in Self.parameters(of: model.blocks[l], attention: true) }
        ffn = model.blocks.indices.map { l in Self.parameters(of: model.blocks[l], attention: false) }
    }

    /// Parameters of the attention (or FFN) parts of `block`.
    static func parameters(of block: LlamaBlockWeights, attention: Bool) -> Int {
        BlockTensor.allCases.filter { $0.isAttention == attention }.reduce(0) { total, part in
            total + (block.matrix(part).map { $0.rows * $0.cols } ?? block.vector(part)?.count ?? 0)
        }
    }
}
