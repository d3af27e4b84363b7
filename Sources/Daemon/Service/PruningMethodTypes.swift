import Core
import RPC

/// Params of `score` and `prune`: the model, the calibration and the pruning options.
public struct PruningParams: Codable, Sendable {
    /// The model handle (`m1`, ...).
    public var model: String
    /// The calibration handle (`c1`, ...).
    public var calibration: String
    /// Share of FFN neurons to remove, in [0, 1).
    public var sparsity: Double
    /// The pruning method (default `cfsp`).
    public var method: PruningMethod?
    /// The block-importance metric.
    public var blockMetric: BlockMetric?
    /// Temperature of the coarse budget sigmoid (default 1).
    public var temperature: Double?
    /// s0, scale of the importance deviations before the sigmoid (default 1e4).
    public var scale: Double?
    /// b, exponent of the down-projection term (default 1).
    public var downExponent: Double?
    /// c, exponent of the activation term (default 1).
    public var activationExponent: Double?
    /// Kept widths are rounded to a multiple of this (default 1).
    public var align: Int?
    /// Keep the same width in every block (default false): what a qwen3 or gemma3 model
    /// needs to export as a GGUF that llama.cpp loads.
    public var uniformWidths: Bool?

    /// Creates params; omitted members take the daemon's defaults.
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
        if let uniformWidths { options.uniformWidths = uniformWidths }
        return options
    }
}

/// One block's decision, without the kept indices.
public struct BlockScore: Codable, Sendable, Equatable {
    /// Block index, from 0.
    public var block: Int
    /// Block importance summed over tokens.
    public var importance: Double
    /// Block importance per token.
    public var meanImportance: Double
    /// Share of neurons the block keeps.
    public var keepRatio: Double
    /// FFN width before pruning.
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
    /// The request's params.
    public typealias Params = PruningParams
    /// The request's result.
    public struct Response: Codable, Sendable {
        /// The model handle (`m1`, ...).
        public var model: String
        /// The calibration handle (`c1`, ...).
        public var calibration: String
        /// The pruning options with defaults filled in.
        public var options: PruningOptions
        /// Neurons kept over all blocks.
        public var keptNeurons: Int
        /// Neurons over all blocks before pruning.
        public var totalNeurons: Int
        /// Share of FFN neurons removed.
        public var achievedSparsity: Double
        /// One row per block.
        public var blocks: [BlockScore]
    }
    /// The JSON-RPC method name.
    public static let method = "score"
}

/// `prune`: builds the pruned model as a new handle.
public enum PruneRequest: RequestType {
    /// The request's params.
    public typealias Params = PruningParams
    /// The request's result.
    public struct Response: Codable, Sendable {
        /// The model handle (`m1`, ...).
        public var model: String
        /// The calibration handle (`c1`, ...).
        public var calibration: String
        /// The pruning options with defaults filled in.
        public var options: PruningOptions
        /// Neurons kept over all blocks.
        public var keptNeurons: Int
        /// Neurons over all blocks before pruning.
        public var totalNeurons: Int
        /// Share of FFN neurons removed.
        public var achievedSparsity: Double
        /// One row per block.
        public var blocks: [BlockScore]
        /// The new model's handle.
        public var pruned: String
        /// FFN widths of the pruned model.
        public var widths: [Int]
        /// Parameters of the source model.
        public var parametersBefore: Int
        /// Parameters of the pruned model.
        public var parametersAfter: Int
        /// FFN parameters of the source model.
        public var ffnParametersBefore: Int
        /// FFN parameters of the pruned model.
        public var ffnParametersAfter: Int
        /// Share of all parameters removed.
        public var shareRemoved: Double
        /// Wall-clock seconds of the computation.
        public var seconds: Double
    }
    /// The JSON-RPC method name.
    public static let method = "prune"
}

/// `evaluate`: perplexity over non-overlapping windows.
public enum EvaluateRequest: RequestType {
    /// The request's params (unknown members such as `workDoneToken` are ignored here).
    public struct Params: Codable, Sendable {
        /// The model handle (`m1`, ...).
        public var model: String
        /// Where the tokens come from.
        public var input: TextInput
        /// Tokens per window.
        public var windowSize: Int?
        /// Evaluate only the first this many windows.
        public var maxWindows: Int?

        enum CodingKeys: String, CodingKey { case model, windowSize, maxWindows }

        /// Creates params; omitted members take the daemon's defaults.
        public init(model: String, input: TextInput, windowSize: Int? = nil, maxWindows: Int? = nil) {
            self.model = model
            self.input = input
            self.windowSize = windowSize
            self.maxWindows = maxWindows
        }

        /// Decodes the named members and the text input from the same params object.
        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            model = try c.decode(String.self, forKey: .model)
            windowSize = try c.decodeIfPresent(Int.self, forKey: .windowSize)
            maxWindows = try c.decodeIfPresent(Int.self, forKey: .maxWindows)
            input = try TextInput(from: decoder)
        }

        /// Encodes the named members and the text input into one params object.
        public func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(model, forKey: .model)
            try c.encodeIfPresent(windowSize, forKey: .windowSize)
            try c.encodeIfPresent(maxWindows, forKey: .maxWindows)
            try input.encode(to: encoder)
        }
    }
    /// The request's result.
    public struct Response: Codable, Sendable {
        /// The model handle (`m1`, ...).
        public var model: String
        /// exp of the mean negative log-likelihood.
        public var perplexity: Double
        /// Mean negative log-likelihood per scored token (nats).
        public var meanNegativeLogLikelihood: Double
        /// Number of windows used.
        public var windows: Int
        /// Tokens per window.
        public var windowSize: Int
        /// Tokens whose next-token likelihood was scored.
        public var scoredTokens: Int
        /// Wall-clock seconds of the computation.
        public var seconds: Double
        /// Throughput in tokens per second.
        public var tokensPerSecond: Double
    }
    /// The JSON-RPC method name.
    public static let method = "evaluate"
}

/// The formats `export` writes.
public enum ExportFormat: String, Codable, Sendable, CaseIterable {
    case gguf
    case hf
}

/// `export`: writes a model as GGUF or a Hugging Face folder.
public enum ExportRequest: RequestType {
    /// The request's params (unknown members such as `workDoneToken` are ignored here).
    public struct Params: Codable, Sendable {
        /// The model handle (`m1`, ...).
        public var model: String
        /// The file format.
        public var format: ExportFormat
        /// The file or folder path.
        public var path: String
        /// The precision of the weights.
        public var precision: ExportPrecision?
        /// Replace an existing file or folder (default false).
        public var overwrite: Bool?
        /// `general.name` to record in a GGUF export.
        public var name: String?
        /// Creates params; omitted members take the daemon's defaults.
        public init(model: String, format: ExportFormat, path: String, precision: ExportPrecision? = nil,
                    overwrite: Bool? = nil) {
            self.model = model
            self.format = format
            self.path = path
            self.precision = precision
            self.overwrite = overwrite
        }
    }
    /// The request's result.
    public struct Response: Codable, Sendable {
        /// The model handle (`m1`, ...).
        public var model: String
        /// The file format.
        public var format: ExportFormat
        /// The file or folder path.
        public var path: String
        /// The precision of the weights.
        public var precision: ExportPrecision
        /// Bytes written.
        public var bytes: Int
        /// Whether text inputs can be tokenized for this model.
        public var hasTokenizer: Bool
        /// Caveats of the export in plain words.
        public var notes: [String]
    }
    /// The JSON-RPC method name.
    public static let method = "export"
}
