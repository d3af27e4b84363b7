import Core

/// A calibration as the protocol describes it (`calibrate`, `calibration/load`).
public struct CalibrationInfo: WireObject, Equatable {
    /// The calibration handle (`c1`, ...).
    public var calibration: String
    /// The model it was gathered on (nil when loaded from a file without a model, or gathered
    /// by a streamed `run`, which loads none).
    public var model: String?
    /// Windows used (N).
    public var windows: Int
    /// Tokens per window (S).
    public var windowSize: Int
    /// Tokens processed.
    public var tokens: Int
    /// Wall-clock seconds of the computation (0 for a loaded file).
    public var seconds: Double
    /// The metric of `importance`.
    public var blockMetric: BlockMetric
    /// B_l per block, summed over tokens.
    public var importance: [Double]
    /// Whether the statistics hold the FFN Gram matrices (compensation needs them).
    public var gram: Bool

    /// The description of `statistics` under `metric`, held under `handle`.
    public init(handle: String, model: String?, statistics: CalibrationStatistics, seconds: Double,
                metric: BlockMetric) {
        calibration = handle
        self.model = model
        windows = statistics.windows
        windowSize = statistics.windowSize
        tokens = statistics.tokens
        self.seconds = seconds
        blockMetric = metric
        importance = metric.importance(statistics)
        gram = statistics.hasGram
    }

    private init() {
        calibration = ""
        windows = 0
        windowSize = 0
        tokens = 0
        seconds = 0
        blockMetric = .standard
        importance = []
        gram = false
    }

    /// Tokens per second of the computation (0 for a loaded file).
    public var tokensPerSecond: Double { seconds > 0 ? Double(tokens) / seconds : 0 }
    /// B_l per block, per token.
    public var meanImportance: [Double] { importance.map { $0 / Double(max(tokens, 1)) } }

    /// The schema name.
    public static let wireName = "calibrationInfo"
    /// What the object is.
    public static let wireDoc = "calibration statistics held by the daemon"
    /// Placeholders, overwritten by decoding.
    public static let blank = CalibrationInfo()
    /// Every member.
    public static let members: [WireMember<CalibrationInfo>] = [
        .required("calibration", \.calibration, "the calibration handle", string: Handle.calibration),
        .optional("model", \.model, "the model it was gathered on (absent for a file loaded without one, and for a streamed run's)",
                  string: Handle.model),
        .required("windows", \.windows, "windows used (N)"),
        .required("windowSize", \.windowSize, "tokens per window (S)"),
        .required("tokens", \.tokens, "tokens processed"),
        .required("seconds", \.seconds, "wall-clock seconds of the computation (0 for a loaded file)"),
        .derived("tokensPerSecond", "throughput of the computation (0 for a loaded file)") { $0.tokensPerSecond },
        .required("blockMetric", \.blockMetric, "the metric of importance"),
        .required("importance", \.importance, "B_l per block, summed over tokens"),
        .derived("meanImportance", "B_l per block, per token") { $0.meanImportance },
        .required("gram", \.gram, "whether the statistics hold the FFN Gram matrices that compensation needs"),
    ]
}
