/// How neurons are chosen inside (and budgets spread across) blocks (CFSP.md sections 2-3).
public enum PruningMethod: String, Sendable, Codable, CaseIterable {
    /// The paper's relative importance, normalised across neurons, with the coarse budget (default).
    case cfsp
    /// The public code's `three_w_one_wa`, literally: ranks by activation norm alone.
    case cfspRef = "cfsp-ref"
    /// F_j = A_j, with the coarse budget.
    case activation
    /// Wanda-SP: mean_i |Wd_ij| * A_j, standardised per block, one global threshold.
    case wandaSP = "wanda-sp"
    /// ||Wd_:j||_2 with the same sparsity in every block.
    case magnitudeSP = "magnitude-sp"
    /// FLAP: Var_j * ||Wd_:j||^2, standardised, global threshold, removed mean output folded into a bias.
    case flap

    /// The width multiple a request that names none gets, for a model with FFN `widths`:
    /// `PruningMethod.deployAlign` for `cfsp` (widths the runtimes' kernels tile evenly, so the
    /// pruned model runs faster where it is deployed: bench/README.md, "Where the pruned model
    /// runs") when every block is at least `deployAlignMinimumUnits` such units wide, so the
    /// rounding stays small; 1 otherwise, and for the other methods, which reproduce published
    /// methods as published.
    public func defaultAlign(widths: [Int]) -> Int {
        switch self {
        case .cfsp:
            let narrowest = widths.min() ?? 0
            return narrowest >= Self.deployAlign * Self.deployAlignMinimumUnits ? Self.deployAlign : 1
        case .cfspRef, .activation, .wandaSP, .magnitudeSP, .flap: return 1
        }
    }

    /// cfsp's default width multiple, chosen with `bench/deploy/speed.py` (prefill and decode in
    /// llama.cpp of exports pruned with each alignment).
    public static let deployAlign = 64

    /// How many `deployAlign` units the narrowest block must hold for cfsp to round by default
    /// (16: rounding moves a block's budget by at most 1/32 of its width).
    public static let deployAlignMinimumUnits = 16

    /// How this method turns scores into per-block kept counts.
    var allocation: Allocation {
        switch self {
        case .cfsp, .cfspRef, .activation: return .coarseBudget
        case .wandaSP, .flap: return .globalThreshold
        case .magnitudeSP: return .uniform
        }
    }

    enum Allocation { case coarseBudget, globalThreshold, uniform, uniformWidths }

    /// The compensation a request that names none gets: least squares for `cfsp` (measured
    /// better, bench/RESULTS.md), none for the others, which reproduce published methods as
    /// published.
    public var defaultCompensation: Compensation {
        switch self {
        case .cfsp: return .leastSquares
        case .cfspRef, .activation, .wandaSP, .magnitudeSP, .flap: return .none
        }
    }
}

/// Everything a pruning run can be told. Defaults are CFSP.md's; they are written here only,
/// and the ranges in `Limits` only: the daemon's params, the protocol schema and the CLI read both.
public struct PruningOptions: Sendable, Codable, Equatable {
    /// The share to remove, in [0, 1): FFN sparsity p (removed neurons / all FFN neurons) with
    /// `target` ffn-sparsity, the share of all parameters with `target` parameters.
    public var sparsity: Double
    /// How neurons are scored and budgets spread.
    public var method: PruningMethod = .cfsp
    /// The block-importance metric of the coarse budget.
    public var blockMetric: BlockMetric = .standard
    /// Temperature a of the coarse budget's sigmoid (CFSP.md section 2).
    public var temperature: Double = 1
    /// Scale s0 dividing the importance deviations before the sigmoid.
    public var scale: Double = 1e4
    /// What the coarse budget's importances are before s0 divides them: per-token means
    /// scaled to the paper's N x S (the default, the same allocation for any amount of
    /// calibration), or the paper's sums over all calibration tokens.
    public var budgetRule: BudgetRule = .perToken
    /// Exponent b of the activation in the down-projection term of the fine score.
    public var downExponent: Double = 1
    /// Exponent c of the activation term of the fine score.
    public var activationExponent: Double = 1
    /// Kept widths rounded to multiples of this (coarse-budget and uniform methods); nil: the
    /// method's `defaultAlign`.
    public var align: Int?
    /// Keep the same number of neurons in every block (the neurons still chosen by the
    /// method's scores), instead of the method's own allocation: what a model needs whose
    /// runtime takes one FFN width for all layers (llama.cpp's qwen3 and gemma3).
    public var uniformWidths: Bool = false
    /// How the kept down-projection columns absorb the removed ones; nil: the method's
    /// `defaultCompensation`.
    public var compensation: Compensation?
    /// lambda of the compensation's damping, relative to the mean diagonal of the Gram matrix.
    public var damping: Double = 1e-2
    /// What may be removed: FFN neurons (the default, the paper), whole KV groups of attention
    /// heads, whole sublayers (depth). More than FFN neurons needs a calibration of format 3.
    public var structures: [PruningStructure] = [.ffn]
    /// What `sparsity` counts: a share of FFN neurons (the default) or of all parameters.
    public var target: PruningTarget = .ffnSparsity

    /// Whether this request is FFN-neuron pruning at an FFN sparsity, the paper's setting
    /// (the planner's exact original path).
    public var isFFNOnlySparsity: Bool { structures == [.ffn] && target == .ffnSparsity }

    /// The compensation this request gets: the one named, else the method's default.
    public var effectiveCompensation: Compensation { compensation ?? method.defaultCompensation }

    /// The width multiple this request gets on a model with FFN `widths`: the one named, else
    /// the method's default for those widths.
    public func effectiveAlign(widths: [Int]) -> Int { align ?? method.defaultAlign(widths: widths) }

    /// Options for `sparsity` with `method`, everything else at its default.
    public init(sparsity: Double, method: PruningMethod = .cfsp) {
        self.sparsity = sparsity
        self.method = method
    }

    /// The values each numeric option accepts (the others take any finite number).
    public enum Limits {
        /// p: a share of neurons to remove; removing all of them leaves no FFN.
        public static let sparsity = OptionRange.halfOpen(0, 1)
        /// s0 divides, so it must be positive.
        public static let scale = OptionRange.greaterThan(0)
        /// A width multiple.
        public static let align = OptionRange.atLeast(1)
        /// The damping makes the solve well posed, so it must be positive.
        public static let damping = OptionRange.greaterThan(0)
    }
}

/// A kind of structure pruning may remove (protocol.md, "Structures and one parameter budget").
public enum PruningStructure: String, Sendable, Codable, CaseIterable {
    /// FFN intermediate neurons (rows of gate and up, columns of down).
    case ffn
    /// Whole KV groups: one KV head and the query heads that share it (rows of q, k, v,
    /// columns of o), at least one group kept per block unless depth is allowed too.
    case attention
    /// Whole sublayers: a block's attention or its FFN, norms included.
    case depth
}

/// What a pruning budget counts (protocol.md, "Structures and one parameter budget").
public enum PruningTarget: String, Sendable, Codable, CaseIterable {
    /// `sparsity` is the share of FFN neurons to remove; with more structures than ffn, the
    /// parameters that many neurons hold are removed, split across the structures.
    case ffnSparsity = "ffn-sparsity"
    /// `sparsity` is the share of all the model's parameters (embeddings and head included) to remove.
    case parameters
}
