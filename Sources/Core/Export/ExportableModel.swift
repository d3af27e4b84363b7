import Kernels

/// What an export reads a model from, each part produced only when the writer reaches it: a
/// loaded `LlamaModel`, or a model pruned block by block from its file (`StreamedPrunedModel`)
/// that never holds more than one block, so a model larger than memory exports the same way.
protocol ExportableModel {
    /// The model's shape (per-layer widths and heads included).
    var config: LlamaConfig { get }
    /// The token embedding, vocab x hidden, row-major.
    func embeddingValues() throws -> [Float]
    /// Rows `range` of the token embedding (the GGUF writer encodes it a chunk at a time).
    func embeddingRows(_ range: Range<Int>) throws -> [Float]
    /// The output head, vocab x hidden (not asked for when the head is tied to the embedding).
    func outputHeadValues() throws -> [Float]
    /// Rows `range` of the output head.
    func outputHeadRows(_ range: Range<Int>) throws -> [Float]
    /// The final norm's weight, as the model applies it.
    func finalNormValues() throws -> [Float]
    /// Block `layer`'s weights.
    func exportBlock(_ layer: Int) throws -> LlamaBlockWeights
    /// Whether block `layer` has an FFN down bias (FLAP), known before its weights are read.
    func hasDownBias(_ layer: Int) -> Bool
}

extension LlamaModel: ExportableModel {
    func embeddingValues() throws -> [Float] { embedding }
    func embeddingRows(_ range: Range<Int>) throws -> [Float] { embeddings.rows(range) }
    func outputHeadValues() throws -> [Float] { outputHead.unpacked() }
    func outputHeadRows(_ range: Range<Int>) throws -> [Float] { outputHead.rows(range) }
    func finalNormValues() throws -> [Float] { finalNorm }
    func exportBlock(_ layer: Int) throws -> LlamaBlockWeights { blocks[layer] }
    func hasDownBias(_ layer: Int) -> Bool { blocks[layer].downBias != nil }
}
