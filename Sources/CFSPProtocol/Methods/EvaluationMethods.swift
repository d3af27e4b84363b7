import Core
import RPC

/// Params of `evaluate`: the model, a text input and the windows.
public struct EvaluateParams: WireObject, Equatable {
    /// The model handle (`m1`, ...).
    public var model: String
    /// Where the tokens come from.
    public var input: TextInput
    /// Tokens per window (nil: `PerplexityEvaluator.defaultWindowSize`, cut to the model's context).
    public var windowSize: Int?
    /// Evaluate only the first this many windows (nil: all).
    public var maxWindows: Int?

    /// Params evaluating `model` on `input`.
    public init(model: String, input: TextInput, windowSize: Int? = nil, maxWindows: Int? = nil) {
        self.model = model
        self.input = input
        self.windowSize = windowSize
        self.maxWindows = maxWindows
    }

    /// The schema name.
    public static let wireName = "evaluateParams"
    /// What the object is.
    public static let wireDoc = "what evaluate scores"
    /// Placeholders.
    public static let blank = EvaluateParams(model: "", input: TextInput())
    /// Every member.
    public static let members: [WireMember<EvaluateParams>] =
        [.required("model", \.model, "the model handle")]
        + TextInput.membersWithoutWindows.lifted(\.input)
        + [
            .optional("windowSize", \.windowSize, "tokens per window, at most the model's context length",
                      range: PerplexityEvaluator.Limits.windowSize, default: PerplexityEvaluator.defaultWindowSize,
                      note: "or the context length if smaller"),
            .optional("maxWindows", \.maxWindows, "evaluate only the first this many windows",
                      range: PerplexityEvaluator.Limits.maxWindows, note: "all windows"),
        ]

    /// Exactly one text input (no windows).
    public func validateWire() throws(WireError) { try input.validate(allowsWindows: false) }
}

/// The `$/progress` report members of `evaluate`.
public struct EvaluateProgress: WireObject, Equatable {
    /// Windows done.
    public var window: Int
    /// Windows in all.
    public var windows: Int
    /// Throughput so far.
    public var tokensPerSecond: Double
    /// Perplexity over the windows done so far.
    public var perplexity: Double

    /// The report of Core's evaluation progress.
    public init(_ progress: PerplexityProgress) {
        window = progress.windowsDone
        windows = progress.windowsTotal
        tokensPerSecond = progress.tokensPerSecond
        perplexity = progress.runningPerplexity
    }

    private init() {
        window = 0
        windows = 0
        tokensPerSecond = 0
        perplexity = 0
    }

    /// The schema name.
    public static let wireName = "evaluateProgress"
    /// What the object is.
    public static let wireDoc = "an evaluate progress report"
    /// Zeros.
    public static let blank = EvaluateProgress()
    /// Every member.
    public static let members: [WireMember<EvaluateProgress>] = [
        .required("window", \.window, "windows done", range: .atLeast(0)),
        .required("windows", \.windows, "windows in all", range: .atLeast(0)),
        .required("tokensPerSecond", \.tokensPerSecond, "throughput so far"),
        .required("perplexity", \.perplexity, "perplexity over the windows done so far"),
    ]
}

/// Result of `evaluate`: Core's perplexity result with the model handle and the throughput
/// (its measurements read as members: `result.perplexity`).
@dynamicMemberLookup
public struct EvaluateResult: WireObject, Equatable {
    /// The model handle.
    public var model: String
    /// Core's measurements.
    public var evaluation: PerplexityResult

    /// The result of `evaluation` on `model`.
    public init(model: String, evaluation: PerplexityResult) {
        self.model = model
        self.evaluation = evaluation
    }

    /// Core's measurements, read as members of the result.
    public subscript<Value>(dynamicMember keyPath: KeyPath<PerplexityResult, Value>) -> Value {
        evaluation[keyPath: keyPath]
    }

    /// The schema name.
    public static let wireName = "evaluateResult"
    /// What the object is.
    public static let wireDoc = "a perplexity evaluation of a model"
    /// Placeholders.
    public static let blank = EvaluateResult(model: "", evaluation: .blank)
    /// The handle, Core's members, the throughput.
    public static let members: [WireMember<EvaluateResult>] =
        [.required("model", \.model, "the model handle", string: Handle.model)]
        + PerplexityResult.members.lifted(\.evaluation)
        + [.derived("tokensPerSecond", "tokens run through the model per second") { $0.evaluation.tokensPerSecond }]
}

/// `evaluate`: perplexity over non-overlapping windows.
public enum EvaluateRequest: ProtocolMethod {
    /// The params type.
    public typealias Params = EvaluateParams
    /// The result type.
    public typealias Response = EvaluateResult
    /// The progress report type.
    public typealias Progress = EvaluateProgress
    /// The JSON-RPC method name.
    public static let method = "evaluate"
    /// What the method does.
    public static let summary = "Perplexity over non-overlapping windows of a text."
}
