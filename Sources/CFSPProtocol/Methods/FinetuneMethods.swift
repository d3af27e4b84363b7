import Core
import RPC

/// Params of `finetune`: the model, a text input, the training settings (whose members travel
/// in the params themselves) and what guides the rank allocation.
public struct FinetuneParams: WireObject, Equatable {
    /// The model handle to recover (usually a pruned one).
    public var model: String
    /// Training text.
    public var input: TextInput
    /// Steps, optimizer and LoRA settings.
    public var options: FineTuneOptions
    /// The calibration whose block importance guides the ranks (allocation `importance`).
    public var calibration: String?
    /// The metric of that importance.
    public var blockMetric = BlockMetric.standard
    /// The model handle distillation learns from (objective `distillation`; usually the dense parent).
    public var teacher: String?

    /// Params training `model` on `input` for `steps` steps, everything else at its default.
    public init(model: String, input: TextInput, steps: Int) {
        self.model = model
        self.input = input
        options = FineTuneOptions(steps: steps)
    }

    /// The schema name.
    public static let wireName = "finetuneParams"
    /// What the object is.
    public static let wireDoc = "what finetune trains, on what, and how"
    /// Placeholders, default settings.
    public static let blank = FinetuneParams(model: "", input: TextInput(), steps: 0)
    /// Every member.
    public static let members: [WireMember<FinetuneParams>] =
        [.required("model", \.model, "the model handle (usually a pruned one)")]
        + TextInput.membersWithoutWindows.lifted(\.input)
        + FineTuneOptions.members.lifted(\.options)
        + [
            .optional("calibration", \.calibration, "calibration handle whose block importance guides the ranks"),
            .defaulted("blockMetric", \.blockMetric, "metric of that importance"),
            .optional("teacher", \.teacher,
                      "model handle whose next-token distributions objective distillation learns (usually the dense model the pruned one came from; the model itself gives the control); only with objective distillation",
                      string: Handle.model),
        ]

    /// Exactly one text input (no windows).
    public func validateWire() throws(WireError) { try input.validate(allowsWindows: false) }
}

/// The `$/progress` report members of `finetune`.
public struct FinetuneProgress: WireObject, Equatable {
    /// Steps done.
    public var step: Int
    /// Steps planned (shrinks after the first step under a time budget).
    public var steps: Int
    /// Mean loss of this step.
    public var loss: Double
    /// Learning rate of this step.
    public var learningRate: Double
    /// Training tokens per second so far.
    public var tokensPerSecond: Double

    /// The report of Core's training progress.
    public init(_ progress: FineTuneProgress) {
        step = progress.step
        steps = progress.totalSteps
        loss = progress.loss
        learningRate = Double(progress.learningRate)
        tokensPerSecond = progress.tokensPerSecond
    }

    private init() {
        step = 0
        steps = 0
        loss = 0
        learningRate = 0
        tokensPerSecond = 0
    }

    /// The schema name.
    public static let wireName = "finetuneProgress"
    /// What the object is.
    public static let wireDoc = "a finetune progress report"
    /// Zeros.
    public static let blank = FinetuneProgress()
    /// Every member.
    public static let members: [WireMember<FinetuneProgress>] = [
        .required("step", \.step, "steps done", range: .atLeast(0)),
        .required("steps", \.steps, "steps planned", range: .atLeast(0)),
        .required("loss", \.loss, "mean loss of this step"),
        .required("learningRate", \.learningRate, "learning rate of this step"),
        .required("tokensPerSecond", \.tokensPerSecond, "training tokens per second so far"),
    ]
}

/// Result of `finetune`.
public struct FinetuneResult: WireObject, Equatable {
    /// The model that was trained.
    public var model: String
    /// The new handle of the model with the adapters merged.
    public var finetuned: String
    /// LoRA rank of each block.
    public var ranks: [Int]
    /// Trainable adapter parameters.
    public var trainableParameters: Int
    /// Mean training loss of each completed step.
    public var lossCurve: [Double]
    /// Steps whose updates are in the model.
    public var stepsCompleted: Int
    /// Steps the schedule planned.
    public var stepsPlanned: Int
    /// True when the request was cancelled: the adapters of the completed steps are kept.
    public var cancelled: Bool
    /// True when the time budget ended the run early.
    public var stoppedByTimeBudget: Bool
    /// Tokens of the completed steps.
    public var tokensTrained: Int
    /// Wall-clock seconds, merge included.
    public var seconds: Double
    /// One line saying what happened.
    public var summary: String

    /// The result of Core's `result` for `model`, the merged model held under `finetuned`.
    public init(model: String, finetuned: String, result: FineTuneResult) {
        self.model = model
        self.finetuned = finetuned
        ranks = result.ranks
        trainableParameters = result.trainableParameters
        lossCurve = result.lossCurve
        stepsCompleted = result.stepsCompleted
        stepsPlanned = result.stepsPlanned
        cancelled = result.cancelled
        stoppedByTimeBudget = result.stoppedByTimeBudget
        tokensTrained = result.tokensTrained
        seconds = result.seconds
        summary = result.summary
    }

    private init() {
        model = ""
        finetuned = ""
        ranks = []
        trainableParameters = 0
        lossCurve = []
        stepsCompleted = 0
        stepsPlanned = 0
        cancelled = false
        stoppedByTimeBudget = false
        tokensTrained = 0
        seconds = 0
        summary = ""
    }

    /// The schema name.
    public static let wireName = "finetuneResult"
    /// What the object is.
    public static let wireDoc = "a fine-tuned model and how training went"
    /// Placeholders.
    public static let blank = FinetuneResult()
    /// Every member.
    public static let members: [WireMember<FinetuneResult>] = [
        .required("model", \.model, "the model that was trained", string: Handle.model),
        .required("finetuned", \.finetuned, "the new handle of the model with the adapters merged", string: Handle.model),
        .required("ranks", \.ranks, "LoRA rank of each block"),
        .required("trainableParameters", \.trainableParameters, "trainable adapter parameters"),
        .required("lossCurve", \.lossCurve, "mean training loss of each completed step"),
        .required("stepsCompleted", \.stepsCompleted, "steps whose updates are in the model"),
        .required("stepsPlanned", \.stepsPlanned, "steps the schedule planned"),
        .required("cancelled", \.cancelled, "true when cancelled: the adapters of the completed steps are kept"),
        .required("stoppedByTimeBudget", \.stoppedByTimeBudget, "true when the time budget ended the run early"),
        .required("tokensTrained", \.tokensTrained, "tokens of the completed steps"),
        .required("seconds", \.seconds, "wall-clock seconds, merge included"),
        .required("summary", \.summary, "one line saying what happened"),
    ]
}

/// `finetune`: recovery fine-tuning with importance-guided LoRA (CFSP.md section 4); the
/// adapters are merged, so the new model has the same shapes and no extra layers.
public enum FinetuneRequest: ProtocolMethod {
    /// The params type.
    public typealias Params = FinetuneParams
    /// The result type.
    public typealias Response = FinetuneResult
    /// The progress report type.
    public typealias Progress = FinetuneProgress
    /// The JSON-RPC method name.
    public static let method = "finetune"
    /// What the method does.
    public static let summary = "Recovery fine-tuning with LoRA adapters, merged into a new model."
}
