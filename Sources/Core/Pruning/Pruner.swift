import Kernels

/// Decides which FFN neurons survive (CFSP.md sections 2-3) and builds the pruned model.
public struct Pruner: Sendable {
    public init() {}

    /// The per-block decisions for `model` under `options`, from calibration `statistics`.
    /// `pool` runs the OBS selection one block per thread (nil: a pool of every processor).
    ///
    /// FFN neurons at an FFN sparsity (the default) follow CFSP.md sections 2-3 exactly; other
    /// structures or a parameter target go through `StructureBudget` (section 7), which splits
    /// the budget and then lets the method choose the FFN neurons at the resulting sparsity.
    public func plan(
        model: LlamaModel, statistics: CalibrationStatistics, options requested: PruningOptions, pool: ThreadPool? = nil
    ) throws -> PruningPlan {
        try plan(source: ResidentBlocks(model: model), statistics: statistics, options: requested, pool: pool)
    }

    /// `plan(model:)` over blocks read one at a time (`FileBlocks`: a model larger than memory):
    /// the neuron scores need each block's weights once, and only while that block is scored.
    /// Attention and depth pruning (`StructureBudget`) need the model loaded: from a
    /// `FileBlocks` source they are refused. `grams` serves the FFN Gram matrices that OBS
    /// selection needs when the calibration spilled them
    /// (`LayerSequentialCalibrator.calibrate(spillingGramsTo:)`), one per block being selected.
    public func plan(
        source: any BlockWeightSource, statistics: CalibrationStatistics, options requested: PruningOptions,
        pool: ThreadPool? = nil, grams: GramSpill? = nil
    ) throws -> PruningPlan {
        let widths = source.config.intermediateSizes
        var options = requested
        options.align = requested.effectiveAlign(widths: widths)
        guard statistics.blocks.map(\.width) == widths, statistics.hiddenSize == source.config.hiddenSize else {
            throw PruningError.statisticsMismatch(
                "they were gathered on FFN widths \(statistics.blocks.map(\.width)), the model has \(widths)")
        }
        guard statistics.tokens > 0 else { throw PruningError.statisticsMismatch("they contain no tokens") }
        if let violation = PruningOptions.Limits.damping.violation("damping", options.damping) {
            throw PruningError.invalidArgument(violation)
        }
        if options.isFFNOnlySparsity {
            return try ffnPlan(source: source, statistics: statistics, options: options, blocks: Array(widths.indices),
                               pool: pool, grams: grams)
        }
        guard let resident = source as? ResidentBlocks else {
            throw PruningError.invalidArgument(
                "attention and depth pruning, and parameter targets, need the model loaded; pruning block by block from the file supports structures [\"ffn\"] at an FFN sparsity")
        }
        return try StructureBudget.plan(model: resident.model, statistics: statistics, options: options, pool: pool,
                                        pruner: self)
    }

    /// CFSP.md sections 2-3 over the FFNs of `blocks` (the others keep nothing: their FFN is
    /// removed), at `options.sparsity` of those blocks' neurons.
    func ffnPlan(
        source: any BlockWeightSource, statistics: CalibrationStatistics, options: PruningOptions, blocks: [Int],
        pool: ThreadPool?, grams: GramSpill? = nil
    ) throws -> PruningPlan {
        let allWidths = source.config.intermediateSizes
        let widths = blocks.map { allWidths[$0] }
        let compensation = options.effectiveCompensation
        if compensation == .obs {
            for l in blocks where grams?.has(block: l, kind: .ffn) != true {
                _ = try statistics.gram(block: l, neededBy: compensation)
            }
        }
        let budget = BudgetAllocation(options)
        let allImportance = options.blockMetric.importance(statistics)
        let importance = blocks.map { allImportance[$0] }
        let scores = try blocks.map { l in
            NeuronScores.scores(
                method: options.method, weights: FFNWeights(try source.block(l)),
                activationNorm: statistics.activationNorm(block: l), variance: statistics.activationVariance(block: l),
                b: options.downExponent, c: options.activationExponent)
        }
        var keepRatios: [Double]
        var counts: [Int]
        var kept: [[Int]]
        var thresholds: [Double]
        switch options.uniformWidths ? .uniformWidths : options.method.allocation {
        case .uniformWidths:
            counts = try budget.uniformCounts(widths: widths)
            keepRatios = zip(counts, widths).map { Double($0) / Double($1) }
            kept = zip(scores, counts).map { NeuronScores.top($1, of: $0) }
            thresholds = zip(scores, kept).map { s, k in k.map { s[$0] }.min() ?? .infinity }
        case .coarseBudget, .uniform:
            keepRatios = options.method.allocation == .uniform
                ? Array(repeating: 1 - options.sparsity, count: widths.count)
                : try budget.keepRatios(importance: importance, tokens: statistics.tokens)
            counts = try budget.keptCounts(keepRatios: keepRatios, widths: widths)
            kept = zip(scores, counts).map { NeuronScores.top($1, of: $0) }
            thresholds = zip(scores, kept).map { s, k in k.map { s[$0] }.min() ?? .infinity }
        case .globalThreshold:
            try budget.validate(blocks: widths.count)
            let standardised = scores.map(NeuronScores.standardised)
            let target = Int((Double(widths.reduce(0, +)) * (1 - options.sparsity)).rounded())
            kept = Self.globalTop(target, standardised)
            counts = kept.map(\.count)
            keepRatios = zip(counts, widths).map { Double($0) / Double($1) }
            let threshold = zip(standardised, kept).compactMap { s, k in k.map { s[$0] }.min() }.min() ?? .infinity
            thresholds = Array(repeating: threshold, count: widths.count)
        }
        if compensation == .obs {
            (kept, thresholds) = try Self.obsSelection(source: source, statistics: statistics, blocks: blocks, counts: counts,
                                                       damping: options.damping, pool: pool ?? Self.defaultPool(),
                                                       grams: grams)
        }
        let tokens = Double(statistics.tokens)
        var resolved = options
        resolved.compensation = compensation
        var position: [Int: Int] = [:]
        for (i, l) in blocks.enumerated() { position[l] = i }
        let decisions = allWidths.indices.map { l in
            guard let i = position[l] else {
                return BlockDecision(
                    block: l, importance: allImportance[l], meanImportance: allImportance[l] / tokens, keepRatio: 0,
                    width: allWidths[l], keptCount: 0, threshold: .infinity, kept: [])
            }
            return BlockDecision(
                block: l, importance: importance[i], meanImportance: importance[i] / tokens,
                keepRatio: keepRatios[i], width: widths[i], keptCount: counts[i], threshold: thresholds[i],
                kept: kept[i])
        }
        return PruningPlan(options: resolved, blocks: decisions)
    }

    /// The `target` best neurons over all blocks by standardised score (ties: lower block, then
    /// lower index), every block keeping at least its best neuron so no FFN vanishes.
    static func globalTop(_ target: Int, _ scores: [[Double]]) -> [[Int]] {
        var chosen = scores.map { NeuronScores.top(1, of: $0) }
        var remaining = max(0, target - chosen.reduce(0) { $0 + $1.count })
        var candidates: [(score: Double, block: Int, index: Int)] = []
        for (l, s) in scores.enumerated() {
            for (j, v) in s.enumerated() where j != chosen[l].first { candidates.append((v, l, j)) }
        }
        candidates.sort { a, b in
            a.score != b.score ? a.score > b.score : (a.block != b.block ? a.block < b.block : a.index < b.index)
        }
        for c in candidates where remaining > 0 {
            chosen[c.block].append(c.index)
            remaining -= 1
        }
        return chosen.map { $0.sorted() }
    }

    /// A pool of every processor, for callers that pass none.
    static func defaultPool() -> ThreadPool { ThreadPool(threads: ThreadPool.availableProcessors) }

    /// Plans and compresses in one go; with compensation, the down projections are solved one
    /// block per thread of `pool` (nil: a pool of every processor).
    public func prune(
        model: LlamaModel, statistics: CalibrationStatistics, options: PruningOptions, pool: ThreadPool? = nil
    ) throws -> (model: LlamaModel, plan: PruningPlan) {
        let pool = pool ?? Self.defaultPool()
        let plan = try plan(model: model, statistics: statistics, options: options, pool: pool)
        if plan.removesStructures || !plan.options.isFFNOnlySparsity {
            return (try StructureCompression.compress(model: model, statistics: statistics, plan: plan, pool: pool), plan)
        }
        let kept = plan.blocks.map(\.kept)
        guard plan.options.effectiveCompensation.rewritesDown else {
            return (try model.compressed(keeping: kept, foldingRemovedMeansOf: options.method == .flap ? statistics : nil),
                    plan)
        }
        let downs = try Self.compensatedDowns(model: model, statistics: statistics, plan: plan, pool: pool)
        return (try model.compressed(keeping: kept, replacingDown: downs), plan)
    }
}
