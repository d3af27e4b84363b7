import Kernels

/// One budget over several structures (protocol.md, "Structures and one parameter budget"): how many parameters to remove, and
/// which FFN neurons, KV groups and whole sublayers give them up.
///
/// The rule, in three steps:
/// 1. The budget R in parameters: `sparsity` x all parameters (target `parameters`), or the
///    parameters that FFN sparsity would remove (target `ffn-sparsity`).
/// 2. Every candidate removal i of an allowed structure type T (a neuron, a KV group, a whole
///    sublayer) has a score s_i (`StructureScores`) and a parameter count p_i. Its cost is its
///    score per parameter relative to its type's: c_i = (s_i / p_i) / (sum_T s / sum_T p), so
///    each type's average is 1 whatever the units of its score. Candidates are taken in
///    increasing cost (ties: type, block, index) while they fit in what is left of R; a block
///    keeps at least one neuron and one KV group of each sublayer only depth may remove.
/// 3. The FFN neurons: the greedy fixes only how many are removed; the method then chooses which,
///    and spreads them over the remaining FFN sublayers, at that FFN sparsity (its own coarse
///    budget and fine scores, CFSP.md sections 2-3). The KV groups and sublayers are the greedy's.
///
/// The removed total lands within one unit of R: the last candidate that fits, or the smallest
/// unit left when none does.
enum StructureBudget {
    /// What one candidate removal is.
    enum Unit: Equatable {
        case neuron(block: Int)
        case group(block: Int, index: Int)
        case attention(block: Int)
        case ffn(block: Int)

        /// Order of types among equal costs: whole sublayers first, then groups, then neurons.
        var rank: Int {
            switch self {
            case .attention: return 0
            case .ffn: return 1
            case .group: return 2
            case .neuron: return 3
            }
        }

        var block: Int {
            switch self {
            case .neuron(let l), .group(let l, _), .attention(let l), .ffn(let l): return l
            }
        }
    }

    struct Candidate {
        var unit: Unit
        var cost: Double
        var parameters: Int
        var index: Int
    }

    /// The greedy's outcome: neurons removed per block (only their total decides: step 3),
    /// removed groups, removed sublayers, and the parameters they hold.
    struct Removal: Equatable {
        var neurons: [Int]
        var groups: [Set<Int>]
        var attention: [Bool]
        var ffn: [Bool]
        var parameters: Int
    }

    static func plan(
        model: LlamaModel, statistics: CalibrationStatistics, options: PruningOptions, pool: ThreadPool?, pruner: Pruner
    ) throws -> PruningPlan {
        let c = model.config
        let structures = Set(options.structures)
        guard !structures.isEmpty else {
            throw PruningError.invalidArgument("structures must name at least one of \(PruningStructure.allCases.map(\.rawValue))")
        }
        if let violation = PruningOptions.Limits.sparsity.violation("sparsity", options.sparsity) {
            throw PruningError.invalidArgument(violation)
        }
        let needsSublayers = structures != [.ffn]
        if needsSublayers {
            try statistics.requireSublayerStatistics(for: "pruning \(options.structures.map(\.rawValue).joined(separator: ", "))")
            guard statistics.blocks.indices.allSatisfy({
                statistics.blocks[$0].attentionSquareSum?.count == c.heads(layer: $0) * c.headDim
            }) else {
                throw PruningError.statisticsMismatch("they were gathered on other attention head counts than the model has")
            }
        }
        let costs = StructureCosts(model: model)
        let widths = c.intermediateSizes
        let target = budget(model: model, options: options, costs: costs)
        let removal: Removal
        if needsSublayers {
            removal = greedy(candidates(model: model, statistics: statistics, structures: structures, costs: costs),
                             target: target, model: model, costs: costs)
        } else {
            // FFN neurons only: the count that holds the budget, no scores needed to split it
            // (only the total of `neurons` is used below).
            let neurons = min(Int((Double(target) / Double(costs.neuron)).rounded()), widths.reduce(0, +) - widths.count)
            removal = Removal(neurons: [neurons] + Array(repeating: 0, count: widths.count - 1),
                              groups: widths.map { _ in [] }, attention: widths.map { _ in false },
                              ffn: widths.map { _ in false }, parameters: neurons * costs.neuron)
        }
        let ffnBlocks = widths.indices.filter { !removal.ffn[$0] && widths[$0] > 0 }
        let removedNeurons = removal.neurons.reduce(0, +)
        var ffnOptions = options
        ffnOptions.structures = [.ffn]
        ffnOptions.target = .ffnSparsity
        var plan: PruningPlan
        let available = ffnBlocks.reduce(0) { $0 + widths[$1] }
        if removedNeurons > 0, available > 0 {
            ffnOptions.sparsity = Double(removedNeurons) / Double(available)
            plan = try pruner.ffnPlan(source: ResidentBlocks(model: model), statistics: statistics, options: ffnOptions, blocks: ffnBlocks,
                                      pool: pool)
        } else {
            ffnOptions.sparsity = 0
            plan = keepAllFFN(model: model, statistics: statistics, options: ffnOptions, blocks: ffnBlocks)
        }
        plan.options = options
        plan.options.compensation = options.effectiveCompensation
        let alphaAttention = StructureScores.attentionImportance(statistics)
        let alphaFFN = StructureScores.ffnImportance(statistics)
        for l in plan.blocks.indices {
            if needsSublayers {
                plan.blocks[l].attentionImportance = alphaAttention[l]
                plan.blocks[l].ffnImportance = alphaFFN[l]
                let groups = c.kvHeads(layer: l)
                plan.blocks[l].kvGroups = groups
                plan.blocks[l].keptKVGroups = removal.attention[l] ? [] : (0..<groups).filter { !removal.groups[l].contains($0) }
            }
        }
        plan.targetParameters = target
        plan.removedParameters = removedParameters(plan: plan, costs: costs, model: model)
        return plan
    }

    /// R: the parameters the options ask to remove.
    static func budget(model: LlamaModel, options: PruningOptions, costs: StructureCosts) -> Int {
        switch options.target {
        case .parameters:
            return Int((Double(model.parameterCount) * options.sparsity).rounded())
        case .ffnSparsity:
            let neurons = Int((Double(model.config.intermediateSizes.reduce(0, +)) * options.sparsity).rounded())
            return neurons * costs.neuron
        }
    }

    /// Every candidate removal of the allowed structures, with its normalised cost.
    static func candidates(model: LlamaModel, statistics: CalibrationStatistics, structures: Set<PruningStructure>,
                           costs: StructureCosts) -> [Candidate] {
        let c = model.config
        let alphaAttention = StructureScores.attentionImportance(statistics)
        let alphaFFN = StructureScores.ffnImportance(statistics)
        var byType: [[(unit: Unit, score: Double, parameters: Int)]] = []
        if structures.contains(.ffn) {
            var units: [(unit: Unit, score: Double, parameters: Int)] = []
            for l in model.blocks.indices where c.hasFFN(layer: l) {
                let shares = StructureScores.shares(
                    StructureScores.neuronEnergies(model: model, statistics: statistics, block: l), importance: alphaFFN[l])
                units += shares.map { (Unit.neuron(block: l), $0, costs.neuron) }
            }
            byType.append(units)
        }
        if structures.contains(.attention) {
            var units: [(unit: Unit, score: Double, parameters: Int)] = []
            for l in model.blocks.indices where c.hasAttention(layer: l) {
                let shares = StructureScores.shares(
                    StructureScores.groupEnergies(model: model, statistics: statistics, block: l),
                    importance: alphaAttention[l])
                units += shares.enumerated().map { (Unit.group(block: l, index: $0.offset), $0.element, costs.group) }
            }
            byType.append(units)
        }
        if structures.contains(.depth) {
            var units: [(unit: Unit, score: Double, parameters: Int)] = []
            for l in model.blocks.indices {
                if c.hasAttention(layer: l) { units.append((.attention(block: l), alphaAttention[l], costs.attention[l])) }
                if c.hasFFN(layer: l) { units.append((.ffn(block: l), alphaFFN[l], costs.ffn[l])) }
            }
            byType.append(units)
        }
        var all: [Candidate] = []
        for units in byType {
            let score = units.reduce(0.0) { $0 + $1.score }
            let parameters = units.reduce(0) { $0 + $1.parameters }
            let density = parameters > 0 ? score / Double(parameters) : 0
            for u in units {
                let perParameter = u.score / Double(max(u.parameters, 1))
                all.append(Candidate(unit: u.unit, cost: density > 0 ? perParameter / density : 0,
                                     parameters: u.parameters, index: all.count))
            }
        }
        return all
    }

    /// Takes candidates in increasing cost while they fit in what is left of `target`.
    static func greedy(_ candidates: [Candidate], target: Int, model: LlamaModel, costs: StructureCosts) -> Removal {
        let c = model.config
        let layers = c.numLayers
        var r = Removal(neurons: Array(repeating: 0, count: layers), groups: Array(repeating: [], count: layers),
                        attention: Array(repeating: false, count: layers), ffn: Array(repeating: false, count: layers),
                        parameters: 0)
        // A neuron's or a group's score only orders it within its block, so units of one block
        // are taken lowest first: sort by cost, then type, block and position.
        let ordered = candidates.sorted { a, b in
            if a.cost != b.cost { return a.cost < b.cost }
            if a.unit.rank != b.unit.rank { return a.unit.rank < b.unit.rank }
            if a.unit.block != b.unit.block { return a.unit.block < b.unit.block }
            return a.index < b.index
        }
        for candidate in ordered {
            let left = target - r.parameters
            if left <= 0 { break }
            switch candidate.unit {
            case .neuron(let l):
                guard !r.ffn[l], r.neurons[l] < c.intermediateSizes[l] - 1, candidate.parameters <= left else { continue }
                r.neurons[l] += 1
                r.parameters += candidate.parameters
            case .group(let l, let g):
                guard !r.attention[l], r.groups[l].count < c.kvHeads(layer: l) - 1, candidate.parameters <= left else { continue }
                r.groups[l].insert(g)
                r.parameters += candidate.parameters
            case .attention(let l):
                let remaining = costs.attention[l] - r.groups[l].count * costs.group
                guard !r.attention[l], remaining <= left else { continue }
                r.attention[l] = true
                r.parameters += remaining
            case .ffn(let l):
                let remaining = costs.ffn[l] - r.neurons[l] * costs.neuron
                guard !r.ffn[l], remaining <= left else { continue }
                r.ffn[l] = true
                r.parameters += remaining
                r.neurons[l] = 0
            }
        }
        return r
    }

    /// Every FFN neuron of `blocks` kept (the budget went elsewhere); the other blocks' FFNs removed.
    static func keepAllFFN(model: LlamaModel, statistics: CalibrationStatistics, options: PruningOptions,
                           blocks: [Int]) -> PruningPlan {
        let importance = options.blockMetric.importance(statistics)
        let tokens = Double(statistics.tokens)
        let keep = Set(blocks)
        let decisions = model.config.intermediateSizes.enumerated().map { l, width in
            let all = keep.contains(l) ? Array(0..<width) : []
            return BlockDecision(block: l, importance: importance[l], meanImportance: importance[l] / tokens,
                                 keepRatio: keep.contains(l) ? 1 : 0, width: width, keptCount: all.count,
                                 threshold: all.isEmpty ? .infinity : 0, kept: all)
        }
        return PruningPlan(options: options, blocks: decisions)
    }

    /// The parameters the plan removes, counted from its decisions.
    static func removedParameters(plan: PruningPlan, costs: StructureCosts, model: LlamaModel) -> Int {
        plan.blocks.reduce(0) { total, d in
            let l = d.block
            var removed = 0
            if d.kept.isEmpty { removed += costs.ffn[l] } else { removed += (d.width - d.kept.count) * costs.neuron }
            if let kept = d.keptKVGroups {
                removed += kept.isEmpty ? costs.attention[l] : (model.config.kvHeads(layer: l) - kept.count) * costs.group
            }
            return total + removed
        }
    }
}
