import Kernels

/// Builds the model a structure plan describes (protocol.md, "Structures and one parameter budget"): the FFN neurons as FFN
/// pruning does (with its compensation), then each block's kept KV groups (rows of q, k, v and
/// their biases, columns of o; the per-head q/k norms are shared by every head and stay) and
/// its removed sublayers (empty weights, no norms).
///
/// With compensation, the kept columns of o absorb the removed groups' output by the same
/// least-squares rule as the down projection, from the Gram matrix of o's input.
enum StructureCompression {
    static func compress(
        model: LlamaModel, statistics: CalibrationStatistics, plan: PruningPlan, pool: ThreadPool
    ) throws -> LlamaModel {
        let c = model.config
        let options = plan.options
        let compensation = options.effectiveCompensation
        guard plan.blocks.count == model.blocks.count else {
            throw PruningError.invalidArgument("\(plan.blocks.count) decisions for \(model.blocks.count) blocks")
        }
        // FFN first, through FFN pruning's own compression; a block whose FFN goes keeps it here.
        let widths = c.intermediateSizes
        let ffnKept = plan.blocks.map { d in d.kept.isEmpty ? Array(0..<widths[d.block]) : d.kept }
        let compensated = plan.blocks.indices.filter { l in
            compensation.rewritesDown && !plan.blocks[l].kept.isEmpty && plan.blocks[l].kept.count < widths[l]
        }
        let ffnPruned: LlamaModel
        do {
            if compensation.rewritesDown {
                for l in compensated { _ = try statistics.gram(block: l, neededBy: compensation) }
                let blocks = model.blocks
                let tokens = Double(statistics.tokens)
                let solved = try Pruner.perBlock(compensated.count, pool: pool) { i throws(PruningError) in
                    let l = compensated[i]
                    return try DownCompensation.compensatedDown(
                        down: blocks[l].down.unpacked(), hidden: blocks[l].down.rows, width: blocks[l].ffnWidth,
                        kept: ffnKept[l], gram: try statistics.gram(block: l, neededBy: compensation),
                        damping: options.damping,
                        intercept: options.method == .flap ? (statistics.blocks[l].activationSum, tokens) : nil)
                }
                var replacements: [(down: [Float], biasDelta: [Double]?)] = blocks.map { ($0.down.unpacked(), nil) }
                for (i, l) in compensated.enumerated() { replacements[l] = solved[i] }
                ffnPruned = try model.compressed(keeping: ffnKept, replacingDown: replacements)
            } else {
                ffnPruned = try model.compressed(
                    keeping: ffnKept, foldingRemovedMeansOf: options.method == .flap ? statistics : nil)
            }
        }
        var blocks = ffnPruned.blocks
        for (l, d) in plan.blocks.enumerated() {
            if d.kept.isEmpty { removeFFN(&blocks[l]) }
            guard let keptGroups = d.keptKVGroups else { continue }
            if keptGroups.isEmpty {
                removeAttention(&blocks[l])
            } else if keptGroups.count < c.kvHeads(layer: l) {
                let gram: GramMatrix?
                if compensation.rewritesDown {
                    guard let g = statistics.blocks[l].attentionGram, g.size == c.heads(layer: l) * c.headDim else {
                        throw PruningError.missingGram(
                            "compensation '\(compensation.rawValue)' of KV-group pruning needs the Gram matrices of the attention output, and this calibration has none (calibrated with gram: false); calibrate again with gram: true, or prune with compensation: none")
                    }
                    gram = g
                } else {
                    gram = nil
                }
                try keepGroups(keptGroups, in: &blocks[l], layer: l, config: c, gram: gram, damping: options.damping)
            }
        }
        return try LlamaModel(config: c, embeddings: model.embeddings, blocks: blocks, finalNorm: model.finalNorm,
                              outputHead: model.outputHead, precision: model.precision)
    }

    /// Keeps KV groups `groups` (ascending) of `block`; with `gram`, o's kept columns are the
    /// least-squares optimum of the attention output over the calibration tokens.
    static func keepGroups(_ groups: [Int], in block: inout LlamaBlockWeights, layer: Int, config c: LlamaConfig,
                           gram: GramMatrix?, damping: Double) throws {
        let d = c.headDim, perGroup = c.headsPerKVHead * d
        let kvHeads = c.kvHeads(layer: layer)
        guard groups.allSatisfy({ (0..<kvHeads).contains($0) }), Set(groups).count == groups.count else {
            throw PruningError.invalidArgument("block \(layer): kept KV groups must be distinct, in 0..<\(kvHeads)")
        }
        let queryRows = groups.flatMap { g in (g * perGroup)..<((g + 1) * perGroup) }
        let kvRows = groups.flatMap { g in (g * d)..<((g + 1) * d) }
        // Whole rows of q/k/v: a native model keeps their encoding; o loses columns (repacked).
        func rows(_ w: PackedWeights, _ kept: [Int]) -> PackedWeights { w.keepingRows(kept) }
        func entries(_ v: [Float]?, _ kept: [Int]) -> [Float]? { v.map { v in kept.map { v[$0] } } }
        let o = block.attentionOutput
        let h = o.rows, width = o.cols
        var newO: [Float]
        if let gram {
            newO = try DownCompensation.compensatedDown(
                down: o.unpacked(), hidden: h, width: width, kept: queryRows, gram: gram, damping: damping).down
        } else {
            let values = o.unpacked()
            newO = [Float](repeating: 0, count: h * queryRows.count)
            for i in 0..<h { for (k, j) in queryRows.enumerated() { newO[i * queryRows.count + k] = values[i * width + j] } }
        }
        block.query = rows(block.query, queryRows)
        block.key = rows(block.key, kvRows)
        block.value = rows(block.value, kvRows)
        block.queryBias = entries(block.queryBias, queryRows)
        block.keyBias = entries(block.keyBias, kvRows)
        block.valueBias = entries(block.valueBias, kvRows)
        block.attentionOutput = PackedWeights(rows: h, cols: queryRows.count, values: newO, precision: o.precision)
    }

    /// The attention sublayer removed: empty projections, no norms or biases.
    static func removeAttention(_ block: inout LlamaBlockWeights) {
        let h = block.attentionOutput.rows
        for part in [BlockLinear.query, .key, .value] {
            part.set(PackedWeights(rows: 0, cols: h, values: [], precision: part.weights(in: block).precision), in: &block)
        }
        block.attentionOutput = PackedWeights(rows: h, cols: 0, values: [], precision: block.attentionOutput.precision)
        for part in BlockTensor.allCases where part.isAttention && !part.isMatrix { block.setVector(part, nil) }
    }

    /// The FFN sublayer removed: empty projections, no norms or bias.
    static func removeFFN(_ block: inout LlamaBlockWeights) {
        let h = block.down.rows
        block.gate = PackedWeights(rows: 0, cols: h, values: [], precision: block.gate.precision)
        block.up = PackedWeights(rows: 0, cols: h, values: [], precision: block.up.precision)
        block.down = PackedWeights(rows: h, cols: 0, values: [], precision: block.down.precision)
        for part in BlockTensor.allCases where !part.isAttention && !part.isMatrix { block.setVector(part, nil) }
    }
}

extension LlamaModel {
    /// A new model with only KV groups `keptKVGroups[l]` of block l (nil: all of them), no
    /// attention sublayer in the blocks `removingAttention` and no FFN in `removingFFN`, the
    /// kept weights as they are (no compensation): the structural surgery KV-group and depth
    /// pruning apply, for callers that choose the structures themselves.
    public func restructured(keepingKVGroups keptKVGroups: [[Int]?], removingAttention: Set<Int> = [],
                             removingFFN: Set<Int> = []) throws -> LlamaModel {
        guard keptKVGroups.count == blocks.count else {
            throw PruningError.invalidArgument("\(keptKVGroups.count) kept-group lists for \(blocks.count) blocks")
        }
        var newBlocks = blocks
        for l in blocks.indices {
            if removingFFN.contains(l) { StructureCompression.removeFFN(&newBlocks[l]) }
            if removingAttention.contains(l) {
                StructureCompression.removeAttention(&newBlocks[l])
            } else if let groups = keptKVGroups[l] {
                guard !groups.isEmpty else {
                    throw PruningError.invalidArgument("block \(l): keep at least one KV group, or remove the attention sublayer")
                }
                try StructureCompression.keepGroups(groups, in: &newBlocks[l], layer: l, config: config, gram: nil, damping: 0)
            }
        }
        return try LlamaModel(config: config, embeddings: embeddings, blocks: newBlocks, finalNorm: finalNorm,
                              outputHead: outputHead, precision: precision)
    }
}
