import Core
import RPC

/// Where a method's tokens come from: exactly one of inline text, a file, token ids or (for
/// `calibrate`) explicit windows. Decoded from the method's params alongside its other members.
public struct TextInput: Codable, Sendable, Equatable {
    /// Inline text, tokenized with the model's tokenizer.
    public var text: String?
    /// A plain text file, or JSON Lines when it ends in `.jsonl` or `format` is `jsonl`.
    public var path: String?
    /// `text` or `jsonl`; default from the extension of `path`.
    public var format: String?
    /// The JSONL member holding the text (default `text`).
    public var field: String?
    /// Joins JSONL records (default two newlines).
    public var separator: String?
    /// Token ids used as they are.
    public var tokens: [Int]?
    /// Explicit token windows (`calibrate` only).
    public var windows: [[Int]]?

    /// Creates params; omitted members take the daemon's defaults.
    public init(text: String? = nil, path: String? = nil, tokens: [Int]? = nil, windows: [[Int]]? = nil) {
        self.text = text
        self.path = path
        self.tokens = tokens
        self.windows = windows
    }
}

/// `calibrate`: gathers the statistics every pruning method needs.
public enum CalibrateRequest: RequestType {
    /// The request's params (unknown members such as `workDoneToken` are ignored here).
    public struct Params: Codable, Sendable {
        /// The model handle (`m1`, ...).
        public var model: String
        /// Where the tokens come from.
        public var input: TextInput
        /// N: windows drawn at random (default 128, as CFSP.md).
        public var count: Int?
        /// S: tokens per window (default 1024, as CFSP.md).
        public var windowSize: Int?
        /// Seed of the window draw (default 0).
        public var seed: Int?
        /// Explicit window starts instead of a draw.
        public var starts: [Int]?
        /// Metric of the importance in the result (default angular).
        public var blockMetric: BlockMetric?

        enum CodingKeys: String, CodingKey { case model, count, windowSize, seed, starts, blockMetric }

        /// Creates params; omitted members take the daemon's defaults.
        public init(model: String, input: TextInput, count: Int? = nil, windowSize: Int? = nil, seed: Int? = nil,
                    starts: [Int]? = nil, blockMetric: BlockMetric? = nil) {
            self.model = model
            self.input = input
            self.count = count
            self.windowSize = windowSize
            self.seed = seed
            self.starts = starts
            self.blockMetric = blockMetric
        }

        /// Decodes the named members and the text input from the same params object.
        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            model = try c.decode(String.self, forKey: .model)
            count = try c.decodeIfPresent(Int.self, forKey: .count)
            windowSize = try c.decodeIfPresent(Int.self, forKey: .windowSize)
            seed = try c.decodeIfPresent(Int.self, forKey: .seed)
            starts = try c.decodeIfPresent([Int].self, forKey: .starts)
            blockMetric = try c.decodeIfPresent(BlockMetric.self, forKey: .blockMetric)
            input = try TextInput(from: decoder)
        }

        /// Encodes the named members and the text input into one params object.
        public func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(model, forKey: .model)
            try c.encodeIfPresent(count, forKey: .count)
            try c.encodeIfPresent(windowSize, forKey: .windowSize)
            try c.encodeIfPresent(seed, forKey: .seed)
            try c.encodeIfPresent(starts, forKey: .starts)
            try c.encodeIfPresent(blockMetric, forKey: .blockMetric)
            try input.encode(to: encoder)
        }
    }
    /// The request's result.
    public typealias Response = CalibrationInfo
    /// The JSON-RPC method name.
    public static let method = "calibrate"
}

/// A calibration as the protocol describes it (`calibrate`, `calibration/load`).
public struct CalibrationInfo: Codable, Sendable, Equatable {
    /// The calibration handle (`c1`, ...).
    public var calibration: String
    /// The model it was gathered on (nil when loaded from a file without a model).
    public var model: String?
    /// Number of windows used.
    public var windows: Int
    /// Tokens per window.
    public var windowSize: Int
    /// Tokens processed.
    public var tokens: Int
    /// Wall-clock seconds of the computation.
    public var seconds: Double
    /// Throughput in tokens per second.
    public var tokensPerSecond: Double
    /// The block-importance metric.
    public var blockMetric: BlockMetric
    /// Per block, summed over tokens.
    public var importance: [Double]
    /// Per block, per token.
    public var meanImportance: [Double]
}

/// `calibration/save`: writes statistics to a JSON file.
public enum SaveCalibrationRequest: RequestType {
    /// The request's params (unknown members such as `workDoneToken` are ignored here).
    public struct Params: Codable, Sendable {
        /// The calibration handle (`c1`, ...).
        public var calibration: String
        /// The file or folder path.
        public var path: String
        /// Replace an existing file or folder (default false).
        public var overwrite: Bool?
        /// Creates params; omitted members take the daemon's defaults.
        public init(calibration: String, path: String, overwrite: Bool? = nil) {
            self.calibration = calibration
            self.path = path
            self.overwrite = overwrite
        }
    }
    /// The request's result.
    public struct Response: Codable, Sendable {
        /// The calibration handle (`c1`, ...).
        public var calibration: String
        /// The file or folder path.
        public var path: String
        /// Bytes written.
        public var bytes: Int
    }
    /// The JSON-RPC method name.
    public static let method = "calibration/save"
}

/// `calibration/load`: reads statistics written by `calibration/save`.
public enum LoadCalibrationRequest: RequestType {
    /// The request's params (unknown members such as `workDoneToken` are ignored here).
    public struct Params: Codable, Sendable {
        /// The file or folder path.
        public var path: String
        /// The model handle (`m1`, ...).
        public var model: String?
        /// Creates params; omitted members take the daemon's defaults.
        public init(path: String, model: String? = nil) {
            self.path = path
            self.model = model
        }
    }
    /// The request's result.
    public typealias Response = CalibrationInfo
    /// The JSON-RPC method name.
    public static let method = "calibration/load"
}

/// `calibration/release`: forgets a calibration.
public enum ReleaseCalibrationRequest: RequestType {
    /// The request's params (unknown members such as `workDoneToken` are ignored here).
    public struct Params: Codable, Sendable {
        /// The calibration handle (`c1`, ...).
        public var calibration: String
        /// Creates params; omitted members take the daemon's defaults.
        public init(calibration: String) { self.calibration = calibration }
    }
    /// The request's result.
    public struct Response: Codable, Sendable {
        /// The calibration handle (`c1`, ...).
        public var calibration: String
        /// Always true: the calibration is gone.
        public var released: Bool
    }
    /// The JSON-RPC method name.
    public static let method = "calibration/release"
}
