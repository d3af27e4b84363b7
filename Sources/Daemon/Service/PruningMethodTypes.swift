import Core
import RPC

/// Params of `score` and `prune`: the model, the calibration and the pruning options.
public struct PruningParams: Codable, Sendable {
    public var model: String
    public var calibration: String
    /// Share of FFN neurons to remove, in [0, 1).
    public var sparsity: Double
    public var method: PruningMethod?
    public var blockMetric: BlockMetric?
    public var temperature: Double?
    public var scale: Double?
    public var downExponent: Double?
    public var activationExponent: Double?
    public var align: Int?

    public init(model: String, calibration: String, sparsity: Double, method: PruningMethod? = nil) {
        self.model = model
        self.calibration = calibration
        self.sparsity = sparsity
        self.method = method
    }

    /// The Core options these params stand for (defaults filled in).
    var options: PruningOptions {
        var options = PruningOptions(sparsity: sparsity, method: method ?? .cfsp)
        if let blockMetric { options.blockMetric = blockMetric }
        if let temperature { options.temperature = temperature }
        if let scale { options.scale = scale }
        if let downExponent { options.downExponent = downExponent }
        if let activationExponent { options.activationExponent = activationExponent }
        if let align { options.align = align }
        return options
    }
}

/// One block's decision, without the kept indices.
public struct BlockScore: Codable, Sendable, Equatable {
    public var block: Int
    public var importance: Double
    public var meanImportance: Double
    public var keepRatio: Double
    public var width: Int
    /// Neurons kept.
    public var kept: Int
    /// Lowest kept score, in the method's units.
    public var threshold: Double

    init(_ d: BlockDecision) {
        block = d.block
        importance = d.importance
        meanImportance = d.meanImportance
        keepRatio = d.keepRatio
        width = d.width
        kept = d.keptCount
        threshold = d.threshold.isFinite ? d.threshold : 0
    }
}

/// `score`: the per-block table of what pruning would keep.
public enum ScoreRequest: RequestType {
    public typealias Params = PruningParams
    public struct Response: Codable, Sendable {
        public var model: String
        public var calibration: String
        public var options: PruningOptions
        public var keptNeurons: Int
        public var totalNeurons: Int
        public var achievedSparsity: Double
        public var blocks: [BlockScore]
    }
    public static let method = "score"
}

/// `prune`: builds the pruned model as a new handle.
public enum PruneRequest: RequestType {
    public typealias Params = PruningParams
    public struct Response: Codable, Sendable {
        public var model: String
        public var calibration: String
        public var options: PruningOptions
        public var keptNeurons: Int
        public var totalNeurons: Int
        public var achievedSparsity: Double
        public var blocks: [BlockScore]
        /// The new model's handle.
        public var pruned: String
        public var widths: [Int]
        public var parametersBefore: Int
        public var parametersAfter: Int
        public var ffnParametersBefore: Int
        public var ffnParametersAfter: Int
        /// Share of all parameters removed.
        public var shareRemoved: Double
        public var seconds: Double
    }
    public static let method = "prune"
}

/// `evaluate`: perplexity over non-overlapping windows.
public enum EvaluateRequest: RequestType {
    public struct Params: Codable, Sendable {
        public var model: String
        public var input: TextInput
        public var windowSize: Int?
        public var maxWindows: Int?

        enum CodingKeys: String, CodingKey { case model, windowSize, maxWindows }

        public init(model: String, input: TextInput, windowSize: Int? = nil, maxWindows: Int? = nil) {
            self.model = model
            self.input = input
            self.windowSize = windowSize
            self.maxWindows = maxWindows
        }

        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            model = try c.decode(String.self, forKey: .model)
            windowSize = try c.decodeIfPresent(Int.self, forKey: .windowSize)
            maxWindows = try c.decodeIfPresent(Int.self, forKey: .maxWindows)
            input = try TextInput(from: decoder)
        }

        public func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(model, forKey: .model)
            try c.encodeIfPresent(windowSize, forKey: .windowSize)
            try c.encodeIfPresent(maxWindows, forKey: .maxWindows)
            try input.encode(to: encoder)
        }
    }
    public struct Response: Codable, Sendable {
        public var model: String
        public var perplexity: Double
        public var meanNegativeLogLikelihood: Double
        public var windows: Int
        public var windowSize: Int
        public var scoredTokens: Int
        public var seconds: Double
        public var tokensPerSecond: Double
    }
    public static let method = "evaluate"
}

/// The formats `export` writes.
public enum ExportFormat: String, Codable, Sendable, CaseIterable {
    case gguf
    case hf
}

/// `export`: writes a model as GGUF or a Hugging Face folder.
public enum ExportRequest: RequestType {
    public struct Params: Codable, Sendable {
        public var model: String
        public var format: ExportFormat
        public var path: String
        public var precision: ExportPrecision?
        public var overwrite: Bool?
        public var name: String?
        public init(model: String, format: ExportFormat, path: String, precision: ExportPrecision? = nil,
                    overwrite: Bool? = nil) {
            self.model = model
            self.format = format
            self.path = path
            self.precision = precision
            self.overwrite = overwrite
        }
    }
    public struct Response: Codable, Sendable {
        public var model: String
        public var format: ExportFormat
        public var path: String
        public var precision: ExportPrecision
        public var bytes: Int
        public var hasTokenizer: Bool
        public var notes: [String]
    }
    public static let method = "export"
}
