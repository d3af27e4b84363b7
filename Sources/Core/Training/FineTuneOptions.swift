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
    /// Learning rate of the adapters' B matrices as a multiple of `learningRate` (which the A
    /// matrices get): LoRA+ (Hayou et al. 2024) finds B should learn faster than A, since B
    /// starts at zero and A at random. 1: one rate for all.
    public var loraPlusRatio: Float = 1
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
    /// shortened to the steps the budget allows, planned after the first step and again from the
    /// later steps' mean time after steps 3, 5, 9 and 17 (`StepBudget`), so the cosine ends in time.
    public var timeBudgetSeconds: Double? = nil
    /// What training minimises: the next-token cross-entropy, or distillation from a teacher
    /// (the dense model, given to `RecoveryTrainer.train`).
    public var objective: FineTuneObjective = .languageModel
    /// T of distillation: teacher and student logits are divided by it before the softmax.
    public var distillationTemperature: Float = 1
    /// w of distillation: the loss is (1 - w) T² KL + w x cross-entropy (0: pure distillation).
    public var distillationLMWeight: Float = 0
    /// Training windows of closed-form block-output reconstruction before the LoRA steps (0:
    /// none): the attention output and down projections refitted, block by block, so the
    /// student's block outputs match the teacher's (`BlockReconstruction`; needs the dense model
    /// as `teacher`, whatever the objective). Its time counts against `timeBudgetSeconds`.
    public var reconstructionWindows: Int = 0
    /// lambda of the reconstruction, relative to the mean diagonal of each Gram matrix (it pulls
    /// the refitted weights toward the current ones).
    public var reconstructionDamping: Double = 1e-2

    /// Options for `steps` steps; the rank budget and the allocation keep their defaults unless given.
    public init(steps: Int, rank: Int? = nil, allocation: RankAllocation? = nil) {
        self.steps = steps
        if let rank { self.rank = rank }
        if let allocation { self.allocation = allocation }
    }

    /// The values each numeric option accepts (the ranks also need r_min <= r <= r_max).
    public enum Limits {
        /// At least one optimizer step.
        public static let steps = OptionRange.atLeast(1)
        /// At least one window per micro-batch.
        public static let batchSize = OptionRange.atLeast(1)
        /// At least one micro-batch per step.
        public static let gradientAccumulation = OptionRange.atLeast(1)
        /// A window predicts its tokens after the first, so it needs two.
        public static let sequenceLength = OptionRange.atLeast(2)
        /// A positive learning rate.
        public static let learningRate = OptionRange.greaterThan(0)
        /// A positive multiple of the learning rate.
        public static let loraPlusRatio = OptionRange.greaterThan(0)
        /// No negative warm-up.
        public static let warmupSteps = OptionRange.atLeast(0)
        /// A fraction of the peak rate.
        public static let minLearningRateRatio = OptionRange.closed(0, 1)
        /// No negative decay.
        public static let weightDecay = OptionRange.atLeast(0)
        /// Moment decays below 1.
        public static let beta = OptionRange.halfOpen(0, 1)
        /// A positive denominator guard.
        public static let adamEpsilon = OptionRange.greaterThan(0)
        /// A positive clip norm.
        public static let clipNorm = OptionRange.greaterThan(0)
        /// Ranks (budget, smallest, largest) of at least 1.
        public static let rank = OptionRange.atLeast(1)
        /// No negative sharpening.
        public static let gamma = OptionRange.atLeast(0)
        /// A positive time budget.
        public static let timeBudgetSeconds = OptionRange.greaterThan(0)
        /// A positive distillation temperature.
        public static let distillationTemperature = OptionRange.greaterThan(0)
        /// A share of the loss.
        public static let distillationLMWeight = OptionRange.closed(0, 1)
        /// No negative window count (0: no reconstruction).
        public static let reconstructionWindows = OptionRange.atLeast(0)
        /// A positive damping.
        public static let reconstructionDamping = OptionRange.greaterThan(0)
    }

    /// Checks every field, saying which one is wrong and what it must be.
    public func validate() throws(FineTuneError) {
        func require(_ violation: String?) throws(FineTuneError) {
            if let violation { throw FineTuneError.invalidOption(violation) }
        }
        func require(_ ok: Bool, _ message: String) throws(FineTuneError) {
            if !ok { throw FineTuneError.invalidOption(message) }
        }
        try require(Limits.steps.violation("steps", steps))
        try require(Limits.batchSize.violation("batch size", batchSize))
        try require(Limits.gradientAccumulation.violation("gradient accumulation", gradientAccumulation))
        let (windowsPerStep, overflow) = batchSize.multipliedReportingOverflow(by: gradientAccumulation)
        try require(!overflow && windowsPerStep <= Self.maxWindowsPerStep,
                    "batch size times gradient accumulation must be at most \(Self.maxWindowsPerStep) windows per step (got \(batchSize) x \(gradientAccumulation))")
        try require(Limits.sequenceLength.violation("sequence length", sequenceLength))
        try require(learningRate.isFinite, "learning rate must be finite (got \(learningRate))")
        try require(Limits.learningRate.violation("learning rate", Double(learningRate)))
        try require(loraPlusRatio.isFinite, "the LoRA+ ratio must be finite (got \(loraPlusRatio))")
        try require(Limits.loraPlusRatio.violation("the LoRA+ ratio", Double(loraPlusRatio)))
        try require(Limits.warmupSteps.violation("warm-up steps", warmupSteps))
        try require(Limits.minLearningRateRatio.violation("the minimum learning-rate ratio", Double(minLearningRateRatio)))
        try require(weightDecay.isFinite, "weight decay must be finite (got \(weightDecay))")
        try require(Limits.weightDecay.violation("weight decay", Double(weightDecay)))
        try require(Limits.beta.violation("AdamW beta1", Double(beta1)))
        try require(Limits.beta.violation("AdamW beta2", Double(beta2)))
        try require(Limits.adamEpsilon.violation("the AdamW epsilon", Double(adamEpsilon)))
        if let clipNorm {
            try require(clipNorm.isFinite, "the clip norm must be finite (got \(clipNorm))")
            try require(Limits.clipNorm.violation("the clip norm", Double(clipNorm)))
        }
        try require(Limits.rank.violation("the rank budget", rank))
        try require(Limits.rank.violation("r_min", minRank))
        try require(minRank <= maxRank && minRank <= rank && rank <= maxRank,
                    "ranks need 1 <= r_min <= r <= r_max (got r_min \(minRank), r \(rank), r_max \(maxRank))")
        try require(gamma.isFinite, "gamma must be finite (got \(gamma))")
        try require(Limits.gamma.violation("gamma", gamma))
        if let budget = timeBudgetSeconds { try require(Limits.timeBudgetSeconds.violation("the time budget (seconds)", budget)) }
        try require(distillationTemperature.isFinite, "the distillation temperature must be finite (got \(distillationTemperature))")
        try require(Limits.distillationTemperature.violation("the distillation temperature", Double(distillationTemperature)))
        try require(Limits.distillationLMWeight.violation("the distillation LM weight", Double(distillationLMWeight)))
        try require(Limits.reconstructionWindows.violation("the reconstruction windows", reconstructionWindows))
        try require(reconstructionDamping.isFinite, "the reconstruction damping must be finite (got \(reconstructionDamping))")
        try require(Limits.reconstructionDamping.violation("the reconstruction damping", reconstructionDamping))
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
    /// The distillation teacher is missing, not wanted, or does not fit the student.
    case invalidTeacher(String)
    /// The loss or the gradients stopped being finite.
    case diverged(step: Int)

    public var description: String {
        switch self {
        case .invalidOption(let message): return "invalid fine-tuning option: \(message)"
        case .invalidData(let message): return "invalid fine-tuning data: \(message)"
        case .allocationMismatch(let message): return "cannot allocate LoRA ranks: \(message)"
        case .invalidTeacher(let message): return "invalid distillation teacher: \(message)"
        case .diverged(let step):
            return "training diverged at step \(step) (loss or gradients not finite); lower the learning rate or set a clip norm"
        }
    }
}
