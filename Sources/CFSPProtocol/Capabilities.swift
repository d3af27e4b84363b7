import Core
import Kernels
import RPC

/// The daemon's own members of `initialize`'s `capabilities` (besides RPC's `methods` and
/// `framing`): the values each enum-valued member accepts, so clients can offer them.
public struct DaemonCapabilities: WireObject, Equatable {
    /// Formats `model/load` reads.
    public var modelFormats = ModelFormat.allCases
    /// Precisions `model/load` keeps weights in.
    public var loadPrecisions = WeightPrecision.allCases
    /// Formats `export` writes.
    public var exportFormats = ExportFormat.allCases
    /// Precisions `export` writes.
    public var exportPrecisions = ExportPrecision.allCases
    /// Methods `score` and `prune` run.
    public var pruningMethods = PruningMethod.allCases
    /// Block-importance metrics.
    public var blockMetrics = BlockMetric.allCases
    /// Budget rules of `score` and `prune`.
    public var budgetRules = BudgetRule.allCases
    /// Compensations of `prune`.
    public var compensations = Compensation.allCases
    /// Rank allocations of `finetune`.
    public var rankAllocations = RankAllocation.allCases
    /// Framings `cfspd --framing` serves.
    public var framings = Framing.allCases

    /// Everything this daemon supports.
    public init() {}

    /// The schema name.
    public static let wireName = "daemonCapabilities"
    /// What the object is.
    public static let wireDoc = "what the daemon supports"
    /// Everything this daemon supports.
    public static let blank = DaemonCapabilities()
    /// Every capability.
    public static let members: [WireMember<DaemonCapabilities>] = [
        .required("modelFormats", \.modelFormats, "formats model/load reads"),
        .required("loadPrecisions", \.loadPrecisions, "precisions model/load keeps weights in"),
        .required("exportFormats", \.exportFormats, "formats export writes"),
        .required("exportPrecisions", \.exportPrecisions, "precisions export writes"),
        .required("pruningMethods", \.pruningMethods, "methods score and prune run"),
        .required("blockMetrics", \.blockMetrics, "block-importance metrics"),
        .required("budgetRules", \.budgetRules, "budget rules of score and prune"),
        .required("compensations", \.compensations, "compensations of prune"),
        .required("rankAllocations", \.rankAllocations, "rank allocations of finetune"),
        .required("framings", \.framings, "framings cfspd --framing serves"),
    ]
}

/// The version of cfspd and cfsp (`--version`, `serverInfo`, `clientInfo`).
public enum CFSPVersion {
    /// The release, as `major.minor.patch`.
    public static let current = "0.1.0"
}
