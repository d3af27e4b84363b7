import Core
import Foundation
import Kernels
import Testing
import TestSupport

/// KV-group and depth pruning (protocol.md, "Structures and one parameter budget"): models with per-layer heads and removed
/// sublayers against the independent Double reference of the dense model with the same heads
/// and sublayers removed, through every path that reads head counts (forward, KV cache,
/// training, export), and the budget's accounting and scores against naive recounts.
@Suite struct StructurePruningTests {
    static let tokens: [Int32] = [3, 17, 42, 0, 49, 8, 8, 21, 33, 5, 60, 12]

    /// Three blocks of three KV groups of two query heads each, with the family's switches.
    static func model(family: String, seed: UInt64 = 7) throws -> LlamaModel {
        var config = try LlamaConfig.tiny(family: family, layers: 3, hidden: 48, heads: 6, kvHeads: 3, ffn: 40,
                                          vocab: 64, context: 32)
        config.intermediateSizes = [40, 24, 32]
        return try LlamaModel.random(config: config, seed: seed)
    }

    /// Groups kept: block 0 keeps group 1, block 1 groups 0 and 2, block 2 all three.
    static let keptGroups: [[Int]?] = [[1], [0, 2], nil]

    static func queryHeads(_ groups: [[Int]?], group: Int, kvHeads: Int) -> [[Int]] {
        groups.map { g in (g ?? Array(0..<kvHeads)).flatMap { k in (k * group)..<((k + 1) * group) } }
    }

    static func worstRelative(_ got: [Float], _ want: [[Double]]) -> Double {
        let flat = want.flatMap { $0 }
        let scale = flat.map(abs).max() ?? 1
        return zip(got, flat).map { abs(Double($0) - $1) }.max()! / scale
    }

    @Test(arguments: Architecture.all.map(\.name))
    func perLayerHeadsMatchTheDenseModelWithThoseHeadsRemoved(family: String) throws {
        let dense = try Self.model(family: family)
        let pruned = try dense.restructured(keepingKVGroups: Self.keptGroups)
        let c = pruned.config
        #expect((0..<3).map { c.heads(layer: $0) } == [2, 4, 6])
        #expect((0..<3).map { c.kvHeads(layer: $0) } == [1, 2, 3])
        #expect(c.numHeads == 6 && c.numKVHeads == 3, "the dense counts stay")
        let reference = NaiveLlama.logits(dense, Self.tokens,
                                          keptQueryHeads: Self.queryHeads(Self.keptGroups, group: 2, kvHeads: 3))
        let got = try pruned.logits(for: Self.tokens, pool: ThreadPool(threads: 2))
        #expect(Self.worstRelative(got, reference) < 1e-4)
        // The whole groups' parameters are gone: q and o lose 2 x 8 x 48 per head, k and v 8 x 48 per group.
        let perGroup = 2 * (2 * 8 * 48) + 2 * (8 * 48) + (c.attentionBias ? (2 + 2) * 8 : 0)
        #expect(dense.parameterCount - pruned.parameterCount == 3 * perGroup)
    }

    @Test(arguments: Architecture.all.map(\.name))
    func removingASublayerEqualsSkippingIt(family: String) throws {
        let dense = try Self.model(family: family)
        let pruned = try dense.restructured(keepingKVGroups: [nil, [2], nil], removingAttention: [0], removingFFN: [1, 2])
        #expect(!pruned.config.hasAttention(layer: 0) && pruned.config.hasAttention(layer: 1))
        #expect(pruned.config.intermediateSizes == [40, 0, 0])
        let reference = NaiveLlama.logits(dense, Self.tokens,
                                          keptQueryHeads: Self.queryHeads([nil, [2], nil], group: 2, kvHeads: 3),
                                          skipAttention: [0], skipFFN: [1, 2])
        let got = try pruned.logits(for: Self.tokens, pool: ThreadPool(threads: 2))
        #expect(Self.worstRelative(got, reference) < 1e-4)
        #expect(pruned.blocks[0].attentionNorm.isEmpty && pruned.blocks[1].ffnNorm.isEmpty)
        #expect(pruned.blocks[0].parameterCount == pruned.blocks[0].gate.rows * 48 * 3 + 48 * (dense.config.sandwichNorms ? 2 : 1))
    }

    @Test(arguments: Architecture.all.map(\.name))
    func theKVCacheHoldsEachBlocksOwnHeads(family: String) throws {
        let pruned = try Self.model(family: family)
            .restructured(keepingKVGroups: [[0], nil, [1, 2]], removingAttention: [1], removingFFN: [2])
        let pool = ThreadPool(threads: 2)
        let v = pruned.config.vocabSize
        let full = try pruned.logits(for: Self.tokens, pool: pool)
        let decoder = try IncrementalDecoder(model: pruned, positions: Self.tokens.count, pool: pool)
        var rows = try decoder.append(Array(Self.tokens[0..<4]), allPositions: true)
        for t in Self.tokens[4...] { rows += try decoder.append([t]) }
        let scale = full.map(abs).max()!
        for p in Self.tokens.indices {
            let error = zip(rows[(p * v)..<((p + 1) * v)], full[(p * v)..<((p + 1) * v)]).map { abs($0 - $1) }.max()!
            #expect(error / scale < 1e-5, "position \(p)")
        }
    }

    /// Recovery training on a model with per-layer heads and removed sublayers: the LoRA
    /// gradients against float64 finite differences of the reference (which runs each block's
    /// own heads and skips what it lacks), and no adapter on a removed sublayer.
    @Test(arguments: ["llama", "qwen3", "gemma3"])
    func trainingGradientsOfAPrunedModelMatchFiniteDifferences(family: String) throws {
        var config = try LlamaConfig.tiny(family: family, layers: 2, hidden: 32, heads: 4, kvHeads: 2, ffn: 24,
                                          vocab: 50, context: 16)
        config.intermediateSizes = [24, 24]
        let model = try LlamaModel.random(config: config, seed: 5)
            .restructured(keepingKVGroups: [[1], nil], removingAttention: [1], removingFFN: [0])
        let network = try LoRANetwork(model: model, ranks: [2, 3], seed: 6, maxTokens: 16)
        for part in [BlockLinear.gate, .up, .down] { #expect(network.layouts[0][part.rawValue].rank == 0) }
        for part in [BlockLinear.query, .key, .value, .attentionOutput] { #expect(network.layouts[1][part.rawValue].rank == 0) }
        var rng = TestRandom(seed: 8)
        for block in network.layouts {
            for a in block {
                for i in 0..<(a.outputs * a.rank) { network.setParameter(a.bOffset + i, rng.uniform(-0.3, 0.3)) }
            }
        }
        try TrainingGradientTests().checkGradients(network, minimumChecked: 60)
    }

    // MARK: - Budget, scores, statistics

    static func calibrated(_ model: LlamaModel, gram: Bool = true) throws -> CalibrationStatistics {
        var rng = TestRandom(seed: 4)
        let windows = (0..<3).map { _ in (0..<12).map { _ in Int32(rng.next() % UInt64(model.config.vocabSize)) } }
        return try Calibrator(gram: gram).calibrate(model: model, windows: windows, pool: ThreadPool(threads: 2))
    }

    /// Records what calibration sees at each block's sublayers.
    final class SublayerRecorder: BlockObserver {
        var angularAttention: [Double] = [0, 0, 0], angularFFN: [Double] = [0, 0, 0]
        var channelSquares: [[Double]] = [[], [], []]
        func observeSublayers(block: Int, tokens: Int, input: UnsafePointer<Float>, middle: UnsafePointer<Float>,
                              output: UnsafePointer<Float>, attentionOutput: UnsafePointer<Float>, attentionWidth: Int) {
            let h = 48
            func angular(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ t: Int) -> Double {
                var dot = 0.0, na = 0.0, nb = 0.0
                for j in 0..<h { dot += Double(a[t * h + j]) * Double(b[t * h + j]); na += Double(a[t * h + j] * a[t * h + j]); nb += Double(b[t * h + j] * b[t * h + j]) }
                return acos(max(-1, min(1, dot / (na.squareRoot() * nb.squareRoot())))) / Double.pi
            }
            if channelSquares[block].isEmpty { channelSquares[block] = Array(repeating: 0, count: attentionWidth) }
            for t in 0..<tokens {
                angularAttention[block] += angular(input, middle, t)
                angularFFN[block] += angular(middle, output, t)
                for c in 0..<attentionWidth { channelSquares[block][c] += Double(attentionOutput[t * attentionWidth + c] * attentionOutput[t * attentionWidth + c]) }
            }
        }
        func observe(block: Int, tokens: Int, input: UnsafePointer<Float>, output: UnsafePointer<Float>,
                     ffnActivations: UnsafePointer<Float>) {}
    }

    @Test func sublayerStatisticsMatchANaiveRecount() throws {
        let model = try Self.model(family: "llama")
        let stats = try Self.calibrated(model)
        let recorder = SublayerRecorder()
        var rng = TestRandom(seed: 4)
        let pool = ThreadPool(threads: 1)
        for _ in 0..<3 {
            try model.observeBlocks((0..<12).map { _ in Int32(rng.next() % UInt64(model.config.vocabSize)) },
                                    observer: recorder, pool: pool)
        }
        #expect(stats.formatVersion == 3 && stats.hasSublayerStatistics)
        for l in 0..<3 {
            let b = stats.blocks[l]
            #expect(abs(b.attentionAngularSum! - recorder.angularAttention[l]) < 1e-4 * recorder.angularAttention[l])
            #expect(abs(b.ffnAngularSum! - recorder.angularFFN[l]) < 1e-4 * recorder.angularFFN[l])
            #expect(b.attentionAngularSum! > 0 && b.ffnAngularSum! > 0)
            #expect(zip(b.attentionSquareSum!, recorder.channelSquares[l]).allSatisfy { abs($0 - $1) <= 1e-6 * max(1, $1) })
            #expect(b.attentionGram!.diagonal.enumerated().allSatisfy { abs($1 - recorder.channelSquares[l][$0]) <= 1e-4 * max(1, $1) })
        }
    }

    /// With a budget of one KV group, the group removed is the one a naive recount of the rule
    /// scores lowest: alpha_l x e_g / sum(e over the block), e_g = sum_c S_c ||Wo[:, c]||^2.
    @Test func theCheapestGroupGoesFirst() throws {
        let model = try Self.model(family: "qwen2")
        let stats = try Self.calibrated(model)
        let c = model.config
        var best = (score: Double.infinity, block: -1, group: -1)
        for l in 0..<3 {
            let o = model.blocks[l].attentionOutput.unpacked()
            let squares = stats.blocks[l].attentionSquareSum!
            var energies = [Double](repeating: 0, count: 3)
            for channel in 0..<48 {
                var column = 0.0
                for row in 0..<48 { column += Double(o[row * 48 + channel]) * Double(o[row * 48 + channel]) }
                energies[channel / 16] += squares[channel] * column
            }
            let alpha = stats.blocks[l].attentionAngularSum! / Double(stats.tokens)
            for (g, e) in energies.enumerated() where alpha * e / energies.reduce(0, +) < best.score {
                best = (alpha * e / energies.reduce(0, +), l, g)
            }
        }
        let groupParameters = 2 * 2 * 8 * 48 + 2 * 8 * 48 + (2 + 2) * 8
        var options = PruningOptions(sparsity: (Double(groupParameters) + 0.5) / Double(model.parameterCount))
        options.structures = [.attention]
        options.target = .parameters
        let plan = try Pruner().plan(model: model, statistics: stats, options: options)
        let removed = plan.blocks.compactMap { d in d.keptKVGroups.map { (d.block, Set(0..<3).subtracting($0)) } }
            .filter { !$0.1.isEmpty }
        #expect(removed.count == 1 && removed.first?.0 == best.block && removed.first?.1 == [best.group])
        #expect(plan.removedParameters == groupParameters)
        #expect(c.heads(layer: best.block) == 6, "planning leaves the model as it is")
    }

    /// The parameters removed are what the plan says, and within one unit of the target.
    @Test(arguments: [[PruningStructure.ffn], [.ffn, .attention], [.ffn, .depth], [.ffn, .attention, .depth], [.attention, .depth]])
    func parameterBudgetsAreMetWithinOneUnit(structures: [PruningStructure]) throws {
        let model = try Self.model(family: "llama")
        let stats = try Self.calibrated(model)
        for share in [0.1, 0.3] {
            var options = PruningOptions(sparsity: share)
            options.structures = structures
            options.target = .parameters
            let (pruned, plan) = try Pruner().prune(model: model, statistics: stats, options: options)
            let target = Int((Double(model.parameterCount) * share).rounded())
            let removed = model.parameterCount - pruned.parameterCount
            #expect(plan.targetParameters == target && plan.removedParameters == removed)
            // The greedy never overshoots; it stops less than one unit short (a neuron when
            // neurons may go, else the largest unit).
            let unit = structures.contains(.ffn) ? 3 * 48 : 2 * (2 * 8 * 48) + 2 * (8 * 48)
            #expect(removed <= target && target - removed < max(unit, 1), "\(structures) at \(share): removed \(removed) of \(target)")
            let logits = try pruned.logits(for: Self.tokens, pool: ThreadPool(threads: 1))
            #expect(logits.allSatisfy { $0.isFinite })
        }
    }

    /// FFN neurons alone under a parameter target are CFSP at the FFN sparsity that removes as
    /// many parameters: the same kept sets, the same compensated weights.
    @Test func anFFNParameterTargetIsCFSPAtTheEquivalentSparsity() throws {
        let model = try Self.model(family: "llama")
        let stats = try Self.calibrated(model)
        var options = PruningOptions(sparsity: 0.2)
        options.target = .parameters
        let (pruned, plan) = try Pruner().prune(model: model, statistics: stats, options: options)
        let neurons = Int((Double(model.parameterCount) * 0.2 / Double(3 * 48)).rounded())
        let (reference, referencePlan) = try Pruner().prune(
            model: model, statistics: stats, options: PruningOptions(sparsity: Double(neurons) / Double(96)))
        #expect(plan.blocks.map(\.kept) == referencePlan.blocks.map(\.kept))
        #expect(pruned.blocks.map { $0.down.unpacked() } == reference.blocks.map { $0.down.unpacked() })
    }

    @Test func depthRemovesTheSublayerOfLeastAngularImportancePerParameter() throws {
        let model = try Self.model(family: "llama")
        let stats = try Self.calibrated(model)
        let t = Double(stats.tokens)
        let attention = stats.blocks.map { $0.attentionAngularSum! / t }, ffn = stats.blocks.map { $0.ffnAngularSum! / t }
        let attentionParameters = 48 + 3 * 48 * 48, ffnParameters = model.config.intermediateSizes.map { 3 * 48 * $0 + 48 }
        let density = (attention.reduce(0, +) + ffn.reduce(0, +)) / Double(3 * attentionParameters + ffnParameters.reduce(0, +))
        var costs: [(cost: Double, name: String, parameters: Int)] = []
        for l in 0..<3 {
            costs.append((attention[l] / Double(attentionParameters) / density, "attention \(l)", attentionParameters))
            costs.append((ffn[l] / Double(ffnParameters[l]) / density, "ffn \(l)", ffnParameters[l]))
        }
        let cheapest = costs.min { $0.cost < $1.cost }!
        var options = PruningOptions(sparsity: Double(cheapest.parameters) / Double(model.parameterCount) + 1e-9)
        options.structures = [.depth]
        options.target = .parameters
        let plan = try Pruner().plan(model: model, statistics: stats, options: options)
        let removed = plan.blocks.flatMap { d in
            (d.keptKVGroups == [] ? ["attention \(d.block)"] : []) + (d.kept.isEmpty ? ["ffn \(d.block)"] : [])
        }
        #expect(removed == [cheapest.name])
    }

    @Test func aFormat2CalibrationStillPrunesFFNsAndAsksAgainForMore() throws {
        let model = try Self.model(family: "llama")
        let stats = try Self.calibrated(model, gram: false)
        var json = try JSONSerialization.jsonObject(with: JSONEncoder().encode(stats)) as! [String: Any]
        json["formatVersion"] = 2
        json["blocks"] = (json["blocks"] as! [[String: Any]]).map { block in
            block.filter { !["attentionAngularSum", "ffnAngularSum", "attentionSquareSum", "attentionGram"].contains($0.key) }
        }
        let old = try JSONDecoder().decode(CalibrationStatistics.self, from: JSONSerialization.data(withJSONObject: json))
        #expect(!old.hasSublayerStatistics)
        var ffnOnly = PruningOptions(sparsity: 0.3)
        ffnOnly.compensation = Compensation.none
        let before = try Pruner().plan(model: model, statistics: stats, options: ffnOnly)
        #expect(try Pruner().plan(model: model, statistics: old, options: ffnOnly).blocks == before.blocks)
        var more = ffnOnly
        more.structures = [.ffn, .attention]
        #expect(throws: PruningError.self) { try Pruner().plan(model: model, statistics: old, options: more) }
    }

    // MARK: - Export

    /// Block 1 has neither sublayer (0 and 0 in deci's arrays); block 2 keeps attention without
    /// an FFN, which llama.cpp's deci graph cannot run with feed_forward_length 0 (it skips the
    /// whole layer), so it is written with a 1-neuron FFN that adds exactly zero.
    @Test func ggufDeciCarriesPerLayerHeadsAndRemovedSublayers() throws {
        let folder = try ScratchFolder()
        let path = folder.file("s.gguf")
        let model = try Self.model(family: "llama")
            .restructured(keepingKVGroups: [[1], nil, [0, 2]], removingAttention: [1], removingFFN: [1, 2])
        let result = try GGUFExporter.export(model, to: path)
        #expect(result.architecture == "deci")
        #expect(result.notes.contains { $0.contains("blocks 2 keep their attention without an FFN") })
        let file = try GGUFFile(path: path)
        #expect(file.metadata["deci.attention.head_count"]?.intArray == [2, 0, 4])
        #expect(file.metadata["deci.attention.head_count_kv"]?.intArray == [1, 0, 2])
        #expect(file.metadata["deci.feed_forward_length"]?.intArray == [40, 0, 1])
        #expect(file.tensorInfo("blk.1.attn_q.weight") == nil && file.tensorInfo("blk.1.attn_norm.weight") == nil)
        #expect(file.tensorInfo("blk.1.ffn_gate.weight") == nil && file.tensorInfo("blk.1.ffn_norm.weight") == nil)
        #expect(file.tensorInfo("blk.2.ffn_down.weight")?.shape == [48, 1])
        let reloaded = try exportReloadGGUF(path)
        #expect(reloaded.config.layerHeadCounts == [2, 0, 4] && reloaded.config.intermediateSizes == [40, 0, 1])
        let pool = ThreadPool(threads: 1)
        #expect(exportRelativeDifference(try model.logits(for: Self.tokens, pool: pool),
                                         try reloaded.logits(for: Self.tokens, pool: pool)) < 1e-5)
        #expect(throws: ExportError.self) { try HuggingFaceExporter.export(model, to: folder.file("hf")) }
    }

    @Test func familiesWithoutPerLayerHeadsInLlamaCppRefuseClearly() throws {
        let folder = try ScratchFolder()
        for family in ["qwen3", "gemma3"] {
            let model = try Self.model(family: family).restructured(keepingKVGroups: [[0], nil, nil])
            #expect(throws: ExportError.self) { try GGUFExporter.export(model, to: folder.file("\(family).gguf")) }
        }
    }
}
