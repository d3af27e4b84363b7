import Core
import Kernels
import RPC

/// A loaded model as the protocol describes it (`model/load`, `model/describe`, `model/list`).
public struct ModelInfo: Codable, Sendable, Equatable {
    /// The shape of the model, flattened for clients.
    public struct Config: Codable, Sendable, Equatable {
        public var layers: Int
        public var hiddenSize: Int
        public var heads: Int
        public var kvHeads: Int
        public var headDim: Int
        public var vocabSize: Int
        public var contextLength: Int
        public var ropeTheta: Double
        public var rmsNormEps: Double
        public var tieWordEmbeddings: Bool
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

    public var model: String
    public var path: String
    public var format: String
    public var architecture: String
    public var precision: String
    public var config: Config
    public var parameters: Int
    public var ffnParameters: Int
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
    public struct Params: Codable, Sendable {
        public var path: String
        public var precision: WeightPrecision?
        public init(path: String, precision: WeightPrecision? = nil) {
            self.path = path
            self.precision = precision
        }
    }
    public typealias Response = ModelInfo
    public static let method = "model/load"
}

/// Params naming one model handle.
public struct ModelHandleParams: Codable, Sendable {
    public var model: String
    public init(model: String) { self.model = model }
}

/// `model/list`: every loaded model in handle order.
public enum ListModelsRequest: RequestType {
    public typealias Params = EmptyObject
    public struct Response: Codable, Sendable { public var models: [ModelInfo] }
    public static let method = "model/list"
}

/// `model/describe`: one model's description.
public enum DescribeModelRequest: RequestType {
    public typealias Params = ModelHandleParams
    public typealias Response = ModelInfo
    public static let method = "model/describe"
}

/// `model/unload`: frees a model with no running jobs.
public enum UnloadModelRequest: RequestType {
    public typealias Params = ModelHandleParams
    public struct Response: Codable, Sendable {
        public var model: String
        public var unloaded: Bool
    }
    public static let method = "model/unload"
}
