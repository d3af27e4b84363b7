import Kernels

/// A model pruned block by block from its file, as an export reads it: block l is read from
/// the file, its down projection compensated (when the plan asks) from block l's Gram matrix,
/// sliced to the plan's kept neurons, handed to the writer, and dropped when the writer moves
/// on to block l + 1. Memory is one dense block, one pruned block and one Gram matrix, whatever
/// the model's size; the numbers are those of `Pruner.prune` on the loaded model (same
/// compensation code, same slicing), so the file written is the same.
final class StreamedPrunedModel: ExportableModel {
    let source: FileBlocks
    let plan: PruningPlan
    let statistics: CalibrationStatistics
    /// Block l's FFN Gram matrix, when the plan's compensation rewrites the down projection.
    let gram: (Int) throws -> GramMatrix
    /// Runs each block's compensation (one block at a time, so all threads on it).
    let pool: ThreadPool
    let config: LlamaConfig
    /// Told the number of each block as the writer reaches it, before the block is read.
    let progress: (Int) -> Void
    /// Checked before each block is read: true stops the export (`OperationCancelled`).
    let isCancelled: () -> Bool
    private var current: (layer: Int, block: LlamaBlockWeights)?

    init(source: FileBlocks, plan: PruningPlan, statistics: CalibrationStatistics, pool: ThreadPool,
         gram: @escaping (Int) throws -> GramMatrix, progress: @escaping (Int) -> Void = { _ in },
         isCancelled: @escaping () -> Bool = { false }) throws {
        guard plan.blocks.count == source.config.numLayers, !plan.removesStructures, plan.options.isFFNOnlySparsity else {
            throw PruningError.invalidArgument(
                "a model pruned block by block from its file takes an FFN-only plan with one decision per block")
        }
        guard plan.blocks.allSatisfy({ !$0.kept.isEmpty }) else {
            throw PruningError.invalidArgument("every block must keep at least one FFN neuron")
        }
        self.source = source
        self.plan = plan
        self.statistics = statistics
        self.gram = gram
        self.pool = pool
        self.progress = progress
        self.isCancelled = isCancelled
        var config = source.config
        config.intermediateSizes = plan.blocks.map(\.kept.count)
        self.config = config
    }

    private var naming: TensorNaming { source.naming }

    /// Reads a whole tensor of the file and releases its pages afterwards.
    private func whole(_ name: String) throws -> [Float] {
        defer { source.tensors.releaseStorage(name) }
        return try source.tensors.floats(name)
    }

    /// Rows `range` of a tensor of the file, its pages released afterwards.
    private func rows(_ name: String, _ range: Range<Int>) throws -> [Float] {
        defer { source.tensors.releaseStorage(name) }
        return try source.tensors.rows(name, Array(range))
    }

    private var headName: String { config.tieWordEmbeddings ? naming.tokenEmbedding : naming.outputHead }

    func embeddingValues() throws -> [Float] { try whole(naming.tokenEmbedding) }
    func embeddingRows(_ range: Range<Int>) throws -> [Float] { try rows(naming.tokenEmbedding, range) }
    func outputHeadValues() throws -> [Float] { try whole(headName) }
    func outputHeadRows(_ range: Range<Int>) throws -> [Float] { try rows(headName, range) }

    func finalNormValues() throws -> [Float] {
        try whole(naming.finalNorm).map { source.normOffset != 0 ? $0 + source.normOffset : $0 }
    }

    func hasDownBias(_ layer: Int) -> Bool { Self.hasDownBias(source, plan: plan, layer: layer) }

    /// Whether block `layer` of the model `plan` makes of `source` has a down bias: FLAP gives
    /// every block one, and a bias the file has stays.
    static func hasDownBias(_ source: FileBlocks, plan: PruningPlan, layer: Int) -> Bool {
        plan.options.method == .flap || source.hasDownBias(layer)
    }

    func exportBlock(_ layer: Int) throws -> LlamaBlockWeights {
        if let current, current.layer == layer { return current.block }
        current = nil  // the previous block goes before the next is read
        if isCancelled() { throw OperationCancelled() }
        progress(layer)
        let dense = try source.block(layer)
        let kept = plan.blocks[layer].kept
        let options = plan.options
        var replacement: (down: [Float], biasDelta: [Double]?)?
        if options.effectiveCompensation.rewritesDown {
            replacement = try DownCompensation.compensatedDown(
                down: dense.down.unpacked(), hidden: dense.down.rows, width: dense.ffnWidth, kept: kept,
                gram: try gram(layer), damping: options.damping,
                intercept: options.method == .flap ? (statistics.blocks[layer].activationSum, Double(statistics.tokens)) : nil,
                pool: pool)
        }
        let folding = options.method == .flap && replacement == nil
        let pruned = try dense.compressed(
            layer: layer, keeping: kept, removedMeans: folding ? statistics.activationMean(block: layer) : nil,
            replacingDown: replacement)
        current = (layer, pruned)
        return pruned
    }
}
