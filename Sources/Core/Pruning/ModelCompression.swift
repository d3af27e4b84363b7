import Kernels

extension LlamaModel {
    /// A new model whose block l keeps only FFN neurons `kept[l]` (rows of gate and up, columns
    /// of down). With `statistics`, the removed neurons' mean output is folded into a
    /// down-projection bias (FLAP): b = sum over removed j of mean(z_j) * Wd_:j.
    /// The dense model is untouched.
    ///
    /// With `replacingDown`, block l's down projection becomes `replacingDown[l].down` (hidden x
    /// kept[l].count, row-major: the compensated columns) instead of the kept columns as they
    /// were, and its bias gains `biasDelta` when there is one.
    public func compressed(
        keeping kept: [[Int]], foldingRemovedMeansOf statistics: CalibrationStatistics? = nil,
        replacingDown replacements: [(down: [Float], biasDelta: [Double]?)]? = nil
    ) throws -> LlamaModel {
        if let replacements, replacements.count != blocks.count {
            throw PruningError.invalidArgument("\(replacements.count) down projections for \(blocks.count) blocks")
        }
        guard kept.count == blocks.count else {
            throw PruningError.invalidArgument("\(kept.count) kept lists for \(blocks.count) blocks")
        }
        var newBlocks: [LlamaBlockWeights] = []
        for (l, block) in blocks.enumerated() {
            newBlocks.append(try block.compressed(
                layer: l, keeping: kept[l], removedMeans: statistics?.activationMean(block: l),
                replacingDown: replacements?[l]))
        }
        return try LlamaModel(config: config, embeddings: embeddings, blocks: newBlocks, finalNorm: finalNorm,
                              outputHead: outputHead, precision: precision)
    }
}

extension LlamaBlockWeights {
    /// This block keeping only FFN neurons `keep` (rows of gate and up, columns of down): one
    /// block of `LlamaModel.compressed`, also what a model pruned block by block from its file
    /// uses (`StreamedPrunedModel`). With `removedMeans` (per neuron, the mean of z_j), the removed
    /// neurons' mean output is folded into the down bias (FLAP); with `replacement`, the down
    /// projection becomes its `down` (hidden x keep.count) and the bias gains its `biasDelta`.
    func compressed(
        layer l: Int, keeping keep: [Int], removedMeans means: [Double]? = nil,
        replacingDown replacement: (down: [Float], biasDelta: [Double]?)? = nil
    ) throws -> LlamaBlockWeights {
        let h = down.rows
        let width = ffnWidth
        guard !keep.isEmpty || width == 0, keep.allSatisfy({ (0..<width).contains($0) }), Set(keep).count == keep.count else {
            throw PruningError.invalidArgument("block \(l): kept neurons must be distinct, in 0..<\(width), and at least one")
        }
        let down = self.down.unpacked()
        var newDown = [Float](repeating: 0, count: h * keep.count)
        var bias = downBias
        if let replacement {
            guard replacement.down.count == h * keep.count, replacement.biasDelta.map({ $0.count == h }) ?? true else {
                throw PruningError.invalidArgument("block \(l): the replacement down projection is not \(h) x \(keep.count)")
            }
            newDown = replacement.down
            if let delta = replacement.biasDelta {
                bias = zip(bias ?? Array(repeating: 0, count: h), delta).map { Float(Double($0) + $1) }
            }
        } else {
            for i in 0..<h { for (c, j) in keep.enumerated() { newDown[i * keep.count + c] = down[i * width + j] } }
        }
        if let means {
            let keptSet = Set(keep)
            var b = (bias ?? Array(repeating: 0, count: h)).map(Double.init)
            for j in 0..<width where !keptSet.contains(j) {
                for i in 0..<h { b[i] += means[j] * Double(down[i * width + j]) }
            }
            bias = b.map { Float($0) }
        }
        var pruned = self
        // Gate and up keep whole rows: a native model keeps their encoding exactly. Down loses
        // columns, which cut through its blocks (and compensation rewrites it): it is repacked
        // from its values, as f32 in a native model.
        pruned.gate = self.gate.keepingRows(keep)
        pruned.up = self.up.keepingRows(keep)
        pruned.down = PackedWeights(rows: h, cols: keep.count, values: newDown, precision: self.down.precision)
        pruned.downBias = bias
        return pruned
    }
}
