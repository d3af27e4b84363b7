/// Why one block keeps what it keeps: every decision explainable.
public struct BlockDecision: Sendable, Codable, Equatable {
    /// Block index, from 0.
    public var block: Int
    /// B_l under the chosen metric (summed over tokens) and its mean per token.
    public var importance: Double
    /// B_l per token.
    public var meanImportance: Double
    /// keep_l from the coarse step (coarse-budget methods) or kept / width otherwise.
    public var keepRatio: Double
    /// FFN width before pruning.
    public var width: Int
    /// Neurons kept.
    public var keptCount: Int
    /// The lowest score among kept neurons, in the method's own units (for global-threshold
    /// methods: the standardised score, the same threshold for every block).
    public var threshold: Double
    /// Kept neuron indices, ascending (empty: depth pruning removes the FFN sublayer).
    public var kept: [Int]
    /// KV groups of the block before pruning (nil: attention was not a pruning structure).
    public var kvGroups: Int?
    /// Kept KV groups, ascending (empty: depth pruning removes the attention sublayer; nil:
    /// attention was not a pruning structure, every group is kept).
    public var keptKVGroups: [Int]?
    /// Angular distance per token across the attention and the FFN residual steps (the
    /// sublayers' depth scores; nil when the plan did not use them).
    public var attentionImportance: Double?
    public var ffnImportance: Double?

    /// A decision as the planner (or a client reading one back) records it.
    public init(block: Int, importance: Double, meanImportance: Double, keepRatio: Double, width: Int, keptCount: Int,
                threshold: Double, kept: [Int]) {
        self.block = block
        self.importance = importance
        self.meanImportance = meanImportance
        self.keepRatio = keepRatio
        self.width = width
        self.keptCount = keptCount
        self.threshold = threshold
        self.kept = kept
    }
}

/// The outcome of the decision step, before any weight is touched.
public struct PruningPlan: Sendable, Codable, Equatable {
    /// The options the plan follows.
    public var options: PruningOptions
    /// One decision per block.
    public var blocks: [BlockDecision]

    /// Parameters the budget asked to remove (structure pruning only; nil for FFN sparsity
    /// alone, whose budget is counted in neurons).
    public var targetParameters: Int?
    /// Parameters the plan removes (structure pruning only).
    public var removedParameters: Int?

    /// The plan of `blocks` under `options`.
    public init(options: PruningOptions, blocks: [BlockDecision]) {
        self.options = options
        self.blocks = blocks
    }

    /// Whether the plan changes more than FFN widths (KV groups or whole sublayers).
    public var removesStructures: Bool {
        blocks.contains { d in d.kept.isEmpty || (d.keptKVGroups.map { $0.count != d.kvGroups } ?? false) }
    }

    /// Neurons kept over all blocks.
    public var keptNeurons: Int { blocks.reduce(0) { $0 + $1.keptCount } }
    /// Neurons before pruning over all blocks.
    public var totalNeurons: Int { blocks.reduce(0) { $0 + $1.width } }
    /// Achieved FFN sparsity: removed / all neurons.
    public var achievedSparsity: Double { 1 - Double(keptNeurons) / Double(max(totalNeurons, 1)) }
}
