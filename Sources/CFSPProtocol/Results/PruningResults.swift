import Core

/// One block's decision in a `score` or `prune` result (the kept indices stay in the daemon).
public struct BlockScore: WireObject, Equatable {
    /// Block index, from 0.
    public var block: Int
    /// B_l, summed over tokens.
    public var importance: Double
    /// B_l per token.
    public var meanImportance: Double
    /// Share of neurons the block keeps.
    public var keepRatio: Double
    /// FFN width before pruning.
    public var width: Int
    /// Neurons kept.
    public var kept: Int
    /// Lowest kept score, in the method's units (0 when nothing is kept).
    public var threshold: Double
    /// KV groups before pruning (nil when neither attention nor depth was pruned).
    public var kvGroups: Int?
    /// KV groups kept (0: the attention sublayer is removed; nil as `kvGroups`).
    public var keptKVGroups: Int?
    /// Angular distance per token across the attention and FFN residual steps (nil as `kvGroups`).
    public var attentionImportance: Double?
    public var ffnImportance: Double?

    /// The row of Core's decision for one block.
    public init(_ d: BlockDecision) {
        block = d.block
        importance = d.importance
        meanImportance = d.meanImportance
        keepRatio = d.keepRatio
        width = d.width
        kept = d.keptCount
        threshold = d.threshold.isFinite ? d.threshold : 0
        kvGroups = d.kvGroups
        keptKVGroups = d.keptKVGroups?.count
        attentionImportance = d.attentionImportance
        ffnImportance = d.ffnImportance
    }

    private init() {
        block = 0
        importance = 0
        meanImportance = 0
        keepRatio = 0
        width = 0
        kept = 0
        threshold = 0
    }

    /// The schema name.
    public static let wireName = "blockScore"
    /// What the object is.
    public static let wireDoc = "what one block keeps"
    /// Zeros.
    public static let blank = BlockScore()
    /// Every member.
    public static let members: [WireMember<BlockScore>] = [
        .required("block", \.block, "block index, from 0"),
        .required("importance", \.importance, "B_l, summed over tokens"),
        .required("meanImportance", \.meanImportance, "B_l per token"),
        .required("keepRatio", \.keepRatio, "share of neurons the block keeps"),
        .required("width", \.width, "FFN width before pruning"),
        .required("kept", \.kept, "neurons kept"),
        .required("threshold", \.threshold, "lowest kept score, in the method's units"),
        .optional("kvGroups", \.kvGroups, "KV groups before pruning", note: "absent unless attention or depth is pruned"),
        .optional("keptKVGroups", \.keptKVGroups, "KV groups kept; 0: the attention sublayer is removed",
                  note: "absent unless attention or depth is pruned"),
        .optional("attentionImportance", \.attentionImportance,
                  "angular distance per token across the attention residual step", note: "absent unless attention or depth is pruned"),
        .optional("ffnImportance", \.ffnImportance, "angular distance per token across the FFN residual step",
                  note: "absent unless attention or depth is pruned"),
    ]
}

/// Result of `score`: what each block would keep; `prune` returns it too.
public struct ScoreResult: WireObject, Equatable {
    /// The model handle.
    public var model: String
    /// The calibration handle.
    public var calibration: String
    /// The options, defaults filled in.
    public var options: PruningOptions
    /// One row per block.
    public var blocks: [BlockScore]

    /// The summary of Core's `plan` for `model` and `calibration`.
    public init(model: String, calibration: String, plan: PruningPlan) {
        self.model = model
        self.calibration = calibration
        options = plan.options
        blocks = plan.blocks.map(BlockScore.init)
    }

    private init() {
        model = ""
        calibration = ""
        options = .blank
        blocks = []
    }

    /// Neurons kept over all blocks.
    public var keptNeurons: Int { blocks.reduce(0) { $0 + $1.kept } }
    /// Neurons over all blocks before pruning.
    public var totalNeurons: Int { blocks.reduce(0) { $0 + $1.width } }
    /// Share of FFN neurons removed.
    public var achievedSparsity: Double { 1 - Double(keptNeurons) / Double(max(totalNeurons, 1)) }

    /// The schema name.
    public static let wireName = "scoreResult"
    /// What the object is.
    public static let wireDoc = "what pruning keeps in each block"
    /// Placeholders.
    public static let blank = ScoreResult()
    /// Every member.
    public static let members: [WireMember<ScoreResult>] = [
        .required("model", \.model, "the model handle", string: Handle.model),
        .required("calibration", \.calibration, "the calibration handle", string: Handle.calibration),
        .required("options", \.options, "the pruning options, defaults filled in"),
        .derived("keptNeurons", "neurons kept over all blocks") { $0.keptNeurons },
        .derived("totalNeurons", "neurons over all blocks before pruning") { $0.totalNeurons },
        .derived("achievedSparsity", "share of FFN neurons removed") { $0.achievedSparsity },
        .required("blocks", \.blocks, "one row per block"),
    ]
}

/// Result of `prune`: everything `score` returns (read as members: `result.blocks`), and the
/// new model.
@dynamicMemberLookup
public struct PruneResult: WireObject, Equatable {
    /// What each block keeps.
    public var score: ScoreResult
    /// The new model's handle.
    public var pruned: String
    /// FFN widths of the pruned model (0: the FFN sublayer is removed).
    public var widths: [Int]
    /// Query heads of every block of the pruned model (0: no attention sublayer).
    public var heads: [Int]
    /// Parameters of the source model.
    public var parametersBefore: Int
    /// Parameters of the pruned model.
    public var parametersAfter: Int
    /// FFN parameters of the source model.
    public var ffnParametersBefore: Int
    /// FFN parameters of the pruned model.
    public var ffnParametersAfter: Int
    /// Wall-clock seconds of the computation.
    public var seconds: Double

    /// The result of pruning `source` into `pruned` (held under `handle`) as `score` planned.
    public init(score: ScoreResult, handle: String, source: LlamaModel, pruned: LlamaModel, seconds: Double) {
        self.init(score: score, handle: handle, prunedConfig: pruned.config,
                  parametersBefore: source.parameterCount, parametersAfter: pruned.parameterCount,
                  ffnParametersBefore: source.ffnParameterCount, ffnParametersAfter: pruned.ffnParameterCount,
                  seconds: seconds)
    }

    /// The result of a pruning whose pruned model has shape `prunedConfig` and these parameter
    /// counts (a streamed `run`, which counts them from the shapes: neither model is held).
    public init(score: ScoreResult, handle: String, prunedConfig: LlamaConfig, parametersBefore: Int,
                parametersAfter: Int, ffnParametersBefore: Int, ffnParametersAfter: Int, seconds: Double) {
        self.score = score
        self.pruned = handle
        widths = prunedConfig.intermediateSizes
        heads = (0..<prunedConfig.numLayers).map { prunedConfig.heads(layer: $0) }
        self.parametersBefore = parametersBefore
        self.parametersAfter = parametersAfter
        self.ffnParametersBefore = ffnParametersBefore
        self.ffnParametersAfter = ffnParametersAfter
        self.seconds = seconds
    }

    private init() {
        score = .blank
        pruned = ""
        widths = []
        heads = []
        parametersBefore = 0
        parametersAfter = 0
        ffnParametersBefore = 0
        ffnParametersAfter = 0
        seconds = 0
    }

    /// The score's members, read as members of the result.
    public subscript<Value>(dynamicMember keyPath: KeyPath<ScoreResult, Value>) -> Value {
        score[keyPath: keyPath]
    }

    /// Share of all parameters removed.
    public var shareRemoved: Double { 1 - Double(parametersAfter) / Double(max(parametersBefore, 1)) }

    /// The schema name.
    public static let wireName = "pruneResult"
    /// What the object is.
    public static let wireDoc = "a pruned model and what each block kept"
    /// Placeholders.
    public static let blank = PruneResult()
    /// `score`'s members, then the new model's.
    public static let members: [WireMember<PruneResult>] = ScoreResult.members.lifted(\.score) + [
        .required("pruned", \.pruned, "the new model's handle", string: Handle.model),
        .required("widths", \.widths, "FFN widths of the pruned model (0: the FFN sublayer is removed)"),
        .required("heads", \.heads, "query heads of every block of the pruned model (0: the attention sublayer is removed)"),
        .required("parametersBefore", \.parametersBefore, "parameters of the source model"),
        .required("parametersAfter", \.parametersAfter, "parameters of the pruned model"),
        .required("ffnParametersBefore", \.ffnParametersBefore, "FFN parameters of the source model"),
        .required("ffnParametersAfter", \.ffnParametersAfter, "FFN parameters of the pruned model"),
        .derived("shareRemoved", "share of all parameters removed") { $0.shareRemoved },
        .required("seconds", \.seconds, "wall-clock seconds of the computation"),
    ]
}
