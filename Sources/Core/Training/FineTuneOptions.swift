import Kernels

/// How LoRA ranks are spread over the blocks (CFSP.md section 4). Every mode keeps the total
/// trainable parameters near those of uniform rank r.
public enum RankAllocation: String, Sendable, Codable, CaseIterable {
    /// w_l = B_l^gamma: more capacity where the coarse importance says the block matters.
    case importance
    /// w_l = (1 - keep_l)^gamma: more capacity where more neurons were removed.
    case pruned
    /// w_l = 1: rank r everywhere.
    case uniform
}

/// Everything a recovery fine-tuning run needs besides the model and the data.
public struct FineTuneOptions: Sendable, Codable, Equatable {
    /// Optimizer steps (the length of the learning-rate schedule).
    public var steps: Int
    /// Windows per micro-batch.
    public var batchSize: Int = 1
    /// Micro-batches whose gradients are summed before each optimizer step.
    public var gradientAccumulation: Int = 1
    /// Tokens per training window (windows longer than this are cut).
    public var sequenceLength: Int = 256
    /// Peak learning rate of AdamW.
    public var learningRate: Float = 2e-4
    /// Steps of linear warm-up before the cosine decay.
    public var warmupSteps: Int = 0
    /// Learning rate at the end of the cosine, as a fraction of the peak.
    public var minLearningRateRatio: Float = 0.1
    /// AdamW decoupled weight decay.
    public var weightDecay: Float = 0
    /// AdamW decay of the first moment.
    public var beta1: Float = 0.9
    /// AdamW decay of the second moment.
    public var beta2: Float = 0.999
    /// AdamW denominator guard.
    public var adamEpsilon: Float = 1e-8
    /// Global gradient-norm clip (nil: no clipping).
    public var clipNorm: Float? = 1
    /// Rank budget r: the mean rank over blocks.
    public var rank: Int = 8
    /// Smallest rank a block may get (r_min).
    public var minRank: Int = 1
    /// Largest rank a block may get (r_max).
    public var maxRank: Int = 64
    /// How ranks are spread over blocks.
    public var allocation: RankAllocation = .importance
    /// Sharpening exponent of the allocation weights.
    public var gamma: Double = 1
    /// Seed of the adapter initialisation and of the window order.
    public var seed: UInt64 = 0
    /// Precision of the frozen weights during training (nil: the model's). bf16 halves memory
    /// traffic; the merge always adds the adapters to the model's own weights.
    public var frozenPrecision: WeightPrecision? = nil
    /// Stop after this many seconds of training (nil: run all steps). When set, the schedule is
    /// shortened after the first step to the steps the budget allows, so the cosine ends in time.
    public var timeBudgetSeconds: Double? = nil

    /// Options with defaults for everything but the step count, the rank budget and the allocation.
    public init(steps: Int, rank: Int = 8, allocation: RankAllocation = .importance) {
        self.steps = steps
        self.rank = rank
        self.allocation = allocation
    }

    /// Checks every field, saying which one is wrong and what it must be.
    public func validate() throws(FineTuneError) {
        func require(_ ok: Bool, _ message: String) throws(FineTuneError) {
            if !ok { throw FineTuneError.invalidOption(message) }
        }
        try require(steps > 0, "steps must be positive (got \(steps))")
        try require(batchSize > 0, "batch size must be positive (got \(batchSize))")
        try require(gradientAccumulation > 0, "gradient accumulation must be positive (got \(gradientAccumulation))")
        let (windowsPerStep, overflow) = batchSize.multipliedReportingOverflow(by: gradientAccumulation)
        try require(!overflow && windowsPerStep <= Self.maxWindowsPerStep,
                    "batch size times gradient accumulation must be at most \(Self.maxWindowsPerStep) windows per step (got \(batchSize) x \(gradientAccumulation))")
        try require(sequenceLength >= 2, "sequence length must be at least 2 tokens (got \(sequenceLength))")
        try require(learningRate.isFinite && learningRate > 0, "learning rate must be positive and finite (got \(learningRate))")
        try require(warmupSteps >= 0, "warm-up steps must not be negative (got \(warmupSteps))")
        try require(minLearningRateRatio >= 0 && minLearningRateRatio <= 1,
                    "the minimum learning-rate ratio must lie in [0, 1] (got \(minLearningRateRatio))")
        try require(weightDecay >= 0 && weightDecay.isFinite, "weight decay must be >= 0 (got \(weightDecay))")
        try require(beta1 >= 0 && beta1 < 1 && beta2 >= 0 && beta2 < 1, "AdamW betas must lie in [0, 1) (got \(beta1), \(beta2))")
        try require(adamEpsilon > 0, "the AdamW epsilon must be positive (got \(adamEpsilon))")
        if let clipNorm { try require(clipNorm > 0 && clipNorm.isFinite, "the clip norm must be positive (got \(clipNorm))") }
        try require(rank > 0, "the rank budget must be positive (got \(rank))")
        try require(minRank >= 1 && minRank <= maxRank && minRank <= rank && rank <= maxRank,
                    "ranks need 1 <= r_min <= r <= r_max (got r_min \(minRank), r \(rank), r_max \(maxRank))")
        try require(gamma.isFinite && gamma >= 0, "gamma must be finite and >= 0 (got \(gamma))")
        if let budget = timeBudgetSeconds { try require(budget > 0, "the time budget must be positive (got \(budget) s)") }
    }

    /// The most windows one optimizer step may train on (batch size x gradient accumulation).
    public static let maxWindowsPerStep = 1 << 20
}

/// Why fine-tuning could not start or go on.
public enum FineTuneError: Error, CustomStringConvertible, Equatable {
    /// An option is out of range.
    case invalidOption(String)
    /// The training data cannot be used.
    case invalidData(String)
    /// Per-block weights for rank allocation do not fit the model.
    case allocationMismatch(String)
    /// The loss or the gradients stopped being finite.
    case diverged(step: Int)

    public var description: String {
        switch self {
        case .invalidOption(let message): return "invalid fine-tuning option: \(message)"
        case .invalidData(let message): return "invalid fine-tuning data: \(message)"
        case .allocationMismatch(let message): return "cannot allocate LoRA ranks: \(message)"
        case .diverged(let step):
            return "training diverged at step \(step) (loss or gradients not finite); lower the learning rate or set a clip norm"
        }
    }
}
