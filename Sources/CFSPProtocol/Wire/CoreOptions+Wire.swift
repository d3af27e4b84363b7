import Core
import Kernels

// Core's option and result types as protocol objects: their defaults and ranges are Core's
// (property initializers and `Limits`), their wire names and docs are written here, once.

extension PruningOptions: WireObject {
    /// The schema name.
    public static let wireName = "pruningOptions"
    /// What the object is.
    public static let wireDoc = "the pruning options of score and prune (CFSP.md sections 2-3)"
    /// Placeholder sparsity (required, so never kept), every option at its default.
    public static let blank = PruningOptions(sparsity: 0)
    /// Every option.
    public static let members: [WireMember<PruningOptions>] = [
        .required("sparsity", \.sparsity,
                  "share to remove: of FFN neurons (target ffn-sparsity) or of all parameters (target parameters)",
                  range: Limits.sparsity),
        .defaulted("method", \.method, "how neurons are scored and budgets spread"),
        .defaulted("blockMetric", \.blockMetric, "the block-importance metric of the coarse budget"),
        .defaulted("temperature", \.temperature, "a, temperature of the coarse budget's sigmoid (CFSP.md section 2)"),
        .defaulted("scale", \.scale, "s0, divides the importance deviations before the sigmoid", range: Limits.scale),
        .defaulted("budgetRule", \.budgetRule,
                   "per-token: the importances are per-token means times the paper's N x S (131,072), the same allocation for any amount of calibration; paper: sums over all calibration tokens, as the paper (sharper the more tokens; both agree at 128 x 1024)"),
        .defaulted("downExponent", \.downExponent, "b, exponent of the down-projection term of the fine score"),
        .defaulted("activationExponent", \.activationExponent, "c, exponent of the activation term of the fine score"),
        .optional("align", \.align,
                  "kept widths rounded to a multiple of this (1: exact widths; multiples of the runtimes' tiles make the pruned model faster where it runs)",
                  range: Limits.align, note: "\(PruningMethod.deployAlign) for cfsp when every block is at least \(PruningMethod.deployAlign * PruningMethod.deployAlignMinimumUnits) wide, else 1; 1 for the other methods"),
        .defaulted("uniformWidths", \.uniformWidths,
                   "the same width in every block, neurons still chosen by the method's scores (a qwen3 or gemma3 model needs it to export as GGUF llama.cpp loads)"),
        .optional("compensation", \.compensation,
                  "none, least-squares (the kept down-projection columns become the least-squares optimum of the FFN output over the calibration tokens; needs a calibration with gram) or obs (the kept set chosen by optimal brain surgeon, then least-squares)",
                  note: "least-squares for cfsp, none for the others"),
        .defaulted("damping", \.damping, "lambda of the compensation, relative to the mean diagonal of the Gram matrix",
                   range: Limits.damping),
        .defaulted("structures", \.structures,
                   "what may be removed: ffn (FFN neurons), attention (whole KV groups: a KV head and its query heads), depth (whole attention or FFN sublayers); more than ffn needs a calibration of format 3, and the budget is split by a greedy over score per parameter normalised per structure (protocol.md, Structures and one parameter budget)"),
        .defaulted("target", \.target,
                   "what sparsity counts: ffn-sparsity (a share of FFN neurons; with more structures, the parameters those neurons hold) or parameters (a share of all parameters, embeddings included)"),
    ]
}

extension CalibrationSampling: WireObject {
    /// The schema name.
    public static let wireName = "calibrationSampling"
    /// What the object is.
    public static let wireDoc = "how calibrate draws its windows (CFSP.md section 1)"
    /// The paper's sampling.
    public static let blank = CalibrationSampling()
    /// N, S and the seed.
    public static let members: [WireMember<CalibrationSampling>] = [
        .defaulted("count", \.count, "N: windows drawn at random (ignored with windows or starts)", range: Limits.count),
        .defaulted("windowSize", \.windowSize, "S: tokens per window (ignored with windows)", range: Limits.windowSize),
        .defaulted("seed", \.seed, "seed of the window draw (Python's random, as the paper's code)"),
    ]
}

extension FineTuneOptions: WireObject {
    /// The schema name.
    public static let wireName = "fineTuneOptions"
    /// What the object is.
    public static let wireDoc = "the training settings of finetune (CFSP.md section 4)"
    /// Placeholder step count (required, so never kept), every setting at its default.
    public static let blank = FineTuneOptions(steps: 0)
    /// The settings a client may set (the AdamW constants and the final learning-rate ratio keep Core's values).
    public static let members: [WireMember<FineTuneOptions>] = [
        .required("steps", \.steps, "optimizer steps", range: Limits.steps),
        .defaulted("batchSize", \.batchSize, "windows per micro-batch", range: Limits.batchSize),
        .defaulted("gradientAccumulation", \.gradientAccumulation, "micro-batches per step",
                   range: Limits.gradientAccumulation),
        .defaulted("sequenceLength", \.sequenceLength, "tokens per training window", range: Limits.sequenceLength),
        .defaulted("learningRate", \.learningRate, "peak learning rate of AdamW", range: Limits.learningRate),
        .defaulted("loraPlusRatio", \.loraPlusRatio,
                   "learning rate of the adapters' B matrices as a multiple of learningRate (LoRA+; 1: one rate for A and B)",
                   range: Limits.loraPlusRatio),
        .defaulted("warmupSteps", \.warmupSteps, "linear warm-up steps, then cosine decay", range: Limits.warmupSteps),
        .defaulted("weightDecay", \.weightDecay, "AdamW weight decay", range: Limits.weightDecay),
        .defaulted("clipNorm", \.clipNorm, "global gradient-norm clip", range: Limits.clipNorm),
        .defaulted("rank", \.rank, "average LoRA rank r (total trainable parameters are those of uniform r)",
                   range: Limits.rank),
        .defaulted("minRank", \.minRank, "smallest rank a block may get", range: Limits.rank),
        .defaulted("maxRank", \.maxRank, "largest rank a block may get", range: Limits.rank),
        .defaulted("allocation", \.allocation,
                   "importance (w_l = B_l^gamma, needs calibration), pruned (w_l = (1 - keep_l)^gamma, needs the parent model loaded) or uniform"),
        .defaulted("gamma", \.gamma, "sharpening exponent of the allocation weights", range: Limits.gamma),
        .defaulted("seed", \.seed, "seed of the adapter initialisation and the window order"),
        .optional("frozenPrecision", \.frozenPrecision, "precision of the frozen weights while training",
                  note: "the model's"),
        .optional("timeBudgetSeconds", \.timeBudgetSeconds, "stop after this long, keeping the steps done",
                  range: Limits.timeBudgetSeconds, note: "no limit"),
        .defaulted("objective", \.objective,
                   "what training minimises: language-model (next-token cross-entropy on the text) or distillation (per token (1 - w) T^2 KL(p_teacher || p_student) + w x cross-entropy, the teacher run on the same windows; needs teacher)"),
        .defaulted("distillationTemperature", \.distillationTemperature,
                   "temperature T of distillation: both models' logits are divided by it before the softmax",
                   range: Limits.distillationTemperature),
        .defaulted("distillationLmWeight", \.distillationLMWeight,
                   "share w of next-token cross-entropy in the distillation loss (0: pure distillation)",
                   range: Limits.distillationLMWeight),
    ]
}

extension PerplexityResult: WireObject {
    /// The schema name.
    public static let wireName = "perplexityResult"
    /// What the object is.
    public static let wireDoc = "a perplexity evaluation"
    /// Zeros, overwritten by decoding.
    public static let blank = PerplexityResult(
        perplexity: 0, meanNegativeLogLikelihood: 0, windows: 0, windowSize: 0, scoredTokens: 0, seconds: 0)
    /// Every measurement.
    public static let members: [WireMember<PerplexityResult>] = [
        .required("perplexity", \.perplexity, "exp of the mean negative log-likelihood"),
        .required("meanNegativeLogLikelihood", \.meanNegativeLogLikelihood,
                  "mean next-token negative log-likelihood per scored token (nats)"),
        .required("windows", \.windows, "windows scored"),
        .required("windowSize", \.windowSize, "tokens per window"),
        .required("scoredTokens", \.scoredTokens, "tokens whose next-token likelihood was scored"),
        .required("seconds", \.seconds, "wall-clock seconds of the evaluation"),
    ]
}
