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
    /// Kept neuron indices, ascending.
    public var kept: [Int]

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

    /// The plan of `blocks` under `options`.
    public init(options: PruningOptions, blocks: [BlockDecision]) {
        self.options = options
        self.blocks = blocks
    }

    /// Neurons kept over all blocks.
    public var keptNeurons: Int { blocks.reduce(0) { $0 + $1.keptCount } }
    /// Neurons before pruning over all blocks.
    public var totalNeurons: Int { blocks.reduce(0) { $0 + $1.width } }
    /// Achieved FFN sparsity: removed / all neurons.
    public var achievedSparsity: Double { 1 - Double(keptNeurons) / Double(max(totalNeurons, 1)) }
}
