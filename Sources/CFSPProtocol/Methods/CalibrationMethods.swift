import Core
import RPC

/// Params of `calibrate`: the model, a text input (windows allowed) and the sampling.
public struct CalibrateParams: WireObject, Equatable {
    /// The model handle (`m1`, ...).
    public var model: String
    /// Where the tokens come from.
    public var input: TextInput
    /// N, S and the seed of the window draw.
    public var sampling = CalibrationSampling()
    /// Explicit window starts into the token stream instead of a draw.
    public var starts: [Int]?
    /// Metric of the importance in the result.
    public var blockMetric = BlockMetric.standard
    /// Also accumulate the FFN Gram matrices (what compensation needs).
    public var gram = Calibrator().gram

    /// Params calibrating `model` on `input`; omitted settings keep their defaults.
    public init(model: String, input: TextInput, count: Int? = nil, windowSize: Int? = nil, seed: Int? = nil,
                starts: [Int]? = nil, blockMetric: BlockMetric? = nil, gram: Bool? = nil) {
        self.model = model
        self.input = input
        if let count { sampling.count = count }
        if let windowSize { sampling.windowSize = windowSize }
        if let seed { sampling.seed = seed }
        self.starts = starts
        if let blockMetric { self.blockMetric = blockMetric }
        if let gram { self.gram = gram }
    }

    /// The schema name.
    public static let wireName = "calibrateParams"
    /// What the object is.
    public static let wireDoc = "what calibrate runs on"
    /// Placeholder model and input, default sampling.
    public static let blank = CalibrateParams(model: "", input: TextInput())
    /// Every member.
    public static let members: [WireMember<CalibrateParams>] =
        [.required("model", \.model, "the model handle")]
        + TextInput.membersWithWindows.lifted(\.input)
        + CalibrationSampling.members.lifted(\.sampling)
        + [
            .optional("starts", \.starts, "explicit window start offsets into the token stream instead of a draw"),
            .defaulted("blockMetric", \.blockMetric, "metric of the importance returned in the result"),
            .defaulted("gram", \.gram,
                       "also accumulate each block's FFN Gram matrix, which prune's compensation needs (width x (width + 1) / 2 doubles per block: 283 MB for SmolLM2-135M, and about half again the time)"),
        ]

    /// Exactly one text input (windows allowed).
    public func validateWire() throws(WireError) { try input.validate(allowsWindows: true) }
}

/// The `$/progress` report members of `calibrate`.
public struct CalibrateProgress: WireObject, Equatable {
    /// Windows done.
    public var window: Int
    /// Windows in all.
    public var windows: Int
    /// Throughput so far.
    public var tokensPerSecond: Double

    /// The report of Core's calibration progress.
    public init(_ progress: CalibrationProgress) {
        window = progress.windowsDone
        windows = progress.windowsTotal
        tokensPerSecond = progress.tokensPerSecond
    }

    private init() {
        window = 0
        windows = 0
        tokensPerSecond = 0
    }

    /// The schema name.
    public static let wireName = "calibrateProgress"
    /// What the object is.
    public static let wireDoc = "a calibrate progress report"
    /// Zeros.
    public static let blank = CalibrateProgress()
    /// Every member.
    public static let members: [WireMember<CalibrateProgress>] = [
        .required("window", \.window, "windows done", range: .atLeast(0)),
        .required("windows", \.windows, "windows in all", range: .atLeast(0)),
        .required("tokensPerSecond", \.tokensPerSecond, "throughput so far"),
    ]
}

/// `calibrate`: gathers the statistics every pruning method needs.
public enum CalibrateRequest: ProtocolMethod {
    /// The params type.
    public typealias Params = CalibrateParams
    /// The result type.
    public typealias Response = CalibrationInfo
    /// The progress report type.
    public typealias Progress = CalibrateProgress
    /// The JSON-RPC method name.
    public static let method = "calibrate"
    /// What the method does.
    public static let summary = "Runs the model over calibration windows and keeps the statistics every pruning method needs."
}

/// Params of `calibration/save`.
public struct SaveCalibrationParams: WireObject, Equatable {
    /// The calibration handle (`c1`, ...).
    public var calibration: String
    /// The JSON file to write (atomically).
    public var path: String
    /// Replace an existing file.
    public var overwrite = false

    /// Params saving `calibration` to `path`.
    public init(calibration: String, path: String, overwrite: Bool? = nil) {
        self.calibration = calibration
        self.path = path
        if let overwrite { self.overwrite = overwrite }
    }

    /// The schema name.
    public static let wireName = "saveCalibrationParams"
    /// What the object is.
    public static let wireDoc = "where calibration/save writes"
    /// Placeholders.
    public static let blank = SaveCalibrationParams(calibration: "", path: "")
    /// Every member.
    public static let members: [WireMember<SaveCalibrationParams>] = [
        .required("calibration", \.calibration, "the calibration handle"),
        .required("path", \.path, "the JSON file to write (atomically)", string: .path),
        .defaulted("overwrite", \.overwrite, "replace an existing file"),
    ]
}

/// Result of `calibration/save`.
public struct SavedCalibration: WireObject, Equatable {
    /// The calibration handle.
    public var calibration: String
    /// The file written.
    public var path: String
    /// Bytes written.
    public var bytes: Int

    /// The result for `bytes` written to `path`.
    public init(calibration: String, path: String, bytes: Int) {
        self.calibration = calibration
        self.path = path
        self.bytes = bytes
    }

    /// The schema name.
    public static let wireName = "savedCalibration"
    /// What the object is.
    public static let wireDoc = "a calibration written to a file"
    /// Placeholders.
    public static let blank = SavedCalibration(calibration: "", path: "", bytes: 0)
    /// Every member.
    public static let members: [WireMember<SavedCalibration>] = [
        .required("calibration", \.calibration, "the calibration handle", string: Handle.calibration),
        .required("path", \.path, "the file written"),
        .required("bytes", \.bytes, "bytes written"),
    ]
}

/// `calibration/save`: writes statistics to a JSON file.
public enum SaveCalibrationRequest: ProtocolMethod {
    /// The params type.
    public typealias Params = SaveCalibrationParams
    /// The result type.
    public typealias Response = SavedCalibration
    /// The JSON-RPC method name.
    public static let method = "calibration/save"
    /// What the method does.
    public static let summary = "Writes calibration statistics to a JSON file."
}

/// Params of `calibration/load`.
public struct LoadCalibrationParams: WireObject, Equatable {
    /// A file written by `calibration/save`.
    public var path: String
    /// A model handle the statistics must fit.
    public var model: String?

    /// Params loading `path`, checked against `model` when given.
    public init(path: String, model: String? = nil) {
        self.path = path
        self.model = model
    }

    /// The schema name.
    public static let wireName = "loadCalibrationParams"
    /// What the object is.
    public static let wireDoc = "what calibration/load reads"
    /// Placeholder path.
    public static let blank = LoadCalibrationParams(path: "")
    /// Every member.
    public static let members: [WireMember<LoadCalibrationParams>] = [
        .required("path", \.path, "a file written by calibration/save", string: .path),
        .optional("model", \.model, "a model handle the statistics must fit (FFN widths and hidden size)",
                  note: "not checked"),
    ]
}

/// `calibration/load`: reads statistics written by `calibration/save`.
public enum LoadCalibrationRequest: ProtocolMethod {
    /// The params type.
    public typealias Params = LoadCalibrationParams
    /// The result type.
    public typealias Response = CalibrationInfo
    /// The JSON-RPC method name.
    public static let method = "calibration/load"
    /// What the method does.
    public static let summary = "Reads statistics written by calibration/save."
}

/// Result of `calibration/release`.
public struct ReleasedCalibration: WireObject, Equatable {
    /// The calibration handle that was freed.
    public var calibration: String
    /// Always true: the calibration is gone.
    public var released: Bool = true
    /// Says `calibration` is gone.
    public init(calibration: String) { self.calibration = calibration }

    /// The schema name.
    public static let wireName = "releasedCalibration"
    /// What the object is.
    public static let wireDoc = "a calibration that was freed"
    /// Placeholder handle.
    public static let blank = ReleasedCalibration(calibration: "")
    /// Every member.
    public static let members: [WireMember<ReleasedCalibration>] = [
        .required("calibration", \.calibration, "the calibration handle that was freed", string: Handle.calibration),
        .required("released", \.released, "always true: the calibration is gone"),
    ]
}

/// `calibration/release`: forgets a calibration.
public enum ReleaseCalibrationRequest: ProtocolMethod {
    /// The params type.
    public typealias Params = CalibrationHandleParams
    /// The result type.
    public typealias Response = ReleasedCalibration
    /// The JSON-RPC method name.
    public static let method = "calibration/release"
    /// What the method does.
    public static let summary = "Frees calibration statistics."
}
