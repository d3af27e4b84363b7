import Core
import Kernels
import RPC

/// A loaded model as the protocol describes it (`model/load`, `model/describe`, `model/list`).
public struct ModelInfo: Codable, Sendable, Equatable {
    /// The shape of the model, flattened for clients.
    public struct Config: Codable, Sendable, Equatable {
        /// Number of transformer blocks.
        public var layers: Int
        /// Width of the residual stream.
        public var hiddenSize: Int
        /// Attention heads.
        public var heads: Int
        /// Key/value heads (grouped-query attention).
        public var kvHeads: Int
        /// Width of one head.
        public var headDim: Int
        /// Vocabulary size.
        public var vocabSize: Int
        /// Longest sequence the model supports.
        public var contextLength: Int
        /// Rotary embedding base.
        public var ropeTheta: Double
        /// RMSNorm epsilon.
        public var rmsNormEps: Double
        /// Whether the output head reuses the token embedding.
        public var tieWordEmbeddings: Bool
        /// FFN width of every block.
        public var intermediateSizes: [Int]

        init(_ c: LlamaConfig) {
            layers = c.numLayers
            hiddenSize = c.hiddenSize
            heads = c.numHeads
            kvHeads = c.numKVHeads
            headDim = c.headDim
            vocabSize = c.vocabSize
            contextLength = c.contextLength
            ropeTheta = Double(c.ropeTheta)
            rmsNormEps = Double(c.rmsNormEps)
            tieWordEmbeddings = c.tieWordEmbeddings
            intermediateSizes = c.intermediateSizes
        }
    }

    /// The model handle (`m1`, ...).
    public var model: String
    /// The file or folder path.
    public var path: String
    /// The file format.
    public var format: String
    /// The architecture name from the file (`llama`, `deci`).
    public var architecture: String
    /// The precision of the weights.
    public var precision: String
    /// The model's shape.
    public var config: Config
    /// Total parameter count.
    public var parameters: Int
    /// Parameters in the FFN blocks.
    public var ffnParameters: Int
    /// Whether text inputs can be tokenized for this model.
    public var hasTokenizer: Bool
    /// The handle of the model this one was pruned from; nil for loaded models.
    public var parent: String?

    /// Encodes `parent` as an explicit `null` when absent, as protocol.md shows.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(model, forKey: .model)
        try c.encode(path, forKey: .path)
        try c.encode(format, forKey: .format)
        try c.encode(architecture, forKey: .architecture)
        try c.encode(precision, forKey: .precision)
        try c.encode(config, forKey: .config)
        try c.encode(parameters, forKey: .parameters)
        try c.encode(ffnParameters, forKey: .ffnParameters)
        try c.encode(hasTokenizer, forKey: .hasTokenizer)
        try c.encode(parent, forKey: .parent)
    }
}

/// `model/load`: reads a GGUF file or a Hugging Face folder into memory.
public enum LoadModelRequest: RequestType {
    /// The request's params (unknown members such as `workDoneToken` are ignored here).
    public struct Params: Codable, Sendable {
        /// The file or folder path.
        public var path: String
        /// The precision of the weights.
        public var precision: WeightPrecision?
        /// Creates params; omitted members take the daemon's defaults.
        public init(path: String, precision: WeightPrecision? = nil) {
            self.path = path
            self.precision = precision
        }
    }
    /// The request's result.
    public typealias Response = ModelInfo
    /// The JSON-RPC method name.
    public static let method = "model/load"
}

/// Params naming one model handle.
public struct ModelHandleParams: Codable, Sendable {
    /// The model handle (`m1`, ...).
    public var model: String
    /// Creates params; omitted members take the daemon's defaults.
    public init(model: String) { self.model = model }
}

/// `model/list`: every loaded model in handle order.
public enum ListModelsRequest: RequestType {
    /// The request's params.
    public typealias Params = EmptyObject
    /// The request's result.
    public struct Response: Codable, Sendable {
        /// Every loaded model, in handle order.
        public var models: [ModelInfo]
    }
    /// The JSON-RPC method name.
    public static let method = "model/list"
}

/// `model/describe`: one model's description.
public enum DescribeModelRequest: RequestType {
    /// The request's params.
    public typealias Params = ModelHandleParams
    /// The request's result.
    public typealias Response = ModelInfo
    /// The JSON-RPC method name.
    public static let method = "model/describe"
}

/// `model/unload`: frees a model with no running jobs.
public enum UnloadModelRequest: RequestType {
    /// The request's params.
    public typealias Params = ModelHandleParams
    /// The request's result.
    public struct Response: Codable, Sendable {
        /// The model handle (`m1`, ...).
        public var model: String
        /// Always true: the model is gone.
        public var unloaded: Bool
    }
    /// The JSON-RPC method name.
    public static let method = "model/unload"
}
