import Kernels

/// How a block that keeps its attention but lost its FFN (depth pruning) is written for
/// llama.cpp's `deci` graph, which runs a layer with `feed_forward_length` 0 as no layer at all
/// (its attention is dropped too; measured with llama-cpp-python 0.3.36: perplexity 124 where
/// cfsp gives 381 on such a SmolLM2 file): as an FFN of one neuron whose down column is zero,
/// so the block's output is exactly the same and llama.cpp runs its attention.
enum DeciFFNPadding {
    /// `model` with every such block padded, and the padded blocks' indices.
    static func padded(_ model: LlamaModel) throws -> (model: LlamaModel, blocks: [Int]) {
        let c = model.config
        let indices = model.blocks.indices.filter { c.intermediateSizes[$0] == 0 && c.hasAttention(layer: $0) }
        guard !indices.isEmpty else { return (model, []) }
        let h = c.hiddenSize
        var blocks = model.blocks
        for l in indices {
            let precision = blocks[l].gate.precision
            blocks[l].ffnNorm = Array(repeating: 1, count: h)
            blocks[l].gate = PackedWeights(rows: 1, cols: h, values: Array(repeating: 0, count: h), precision: precision)
            blocks[l].up = PackedWeights(rows: 1, cols: h, values: Array(repeating: 0, count: h), precision: precision)
            blocks[l].down = PackedWeights(rows: h, cols: 1, values: Array(repeating: 0, count: h), precision: precision)
            if c.sandwichNorms { blocks[l].postFFNNorm = Array(repeating: 1, count: h) }
        }
        let padded = try LlamaModel(config: c, embeddings: model.embeddings, blocks: blocks, finalNorm: model.finalNorm,
                                    outputHead: model.outputHead, precision: model.precision)
        return (padded, indices)
    }
}
