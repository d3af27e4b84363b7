import Core
import Kernels
import RPC

/// Params of `model/load`.
public struct LoadModelParams: WireObject, Equatable {
    /// A `.gguf` file or a Hugging Face folder.
    public var path: String
    /// The precision of the weights in memory.
    public var precision = ModelLoader.defaultPrecision

    /// Params loading `path` in `precision`.
    public init(path: String, precision: WeightPrecision? = nil) {
        self.path = path
        if let precision { self.precision = precision }
    }

    /// The schema name.
    public static let wireName = "loadModelParams"
    /// What the object is.
    public static let wireDoc = "what model/load reads"
    /// Placeholder path, default precision.
    public static let blank = LoadModelParams(path: "")
    /// Every member.
    public static let members: [WireMember<LoadModelParams>] = [
        .required("path", \.path, "a .gguf file or a Hugging Face folder", string: .path),
        .defaulted("precision", \.precision, "the precision of the weights in memory (bf16: half the memory, and attention multiplies bf16-rounded queries, keys, weights and values too; native: each GGUF matrix kept in the file's own encoding, decoded inside the GEMM, the f32 results at the file's size)"),
    ]
}

/// `model/load`: reads a GGUF file or a Hugging Face folder into memory.
public enum LoadModelRequest: ProtocolMethod {
    /// The params type.
    public typealias Params = LoadModelParams
    /// The result type.
    public typealias Response = ModelInfo
    /// The JSON-RPC method name.
    public static let method = "model/load"
    /// What the method does.
    public static let summary = "Loads a model into memory and returns its handle and shape."
}

/// Result of `model/list`.
public struct ModelList: WireObject, Equatable {
    /// Every loaded model, in handle order.
    public var models: [ModelInfo]
    /// The list.
    public init(models: [ModelInfo]) { self.models = models }

    /// The schema name.
    public static let wireName = "modelList"
    /// What the object is.
    public static let wireDoc = "every loaded model"
    /// No models.
    public static let blank = ModelList(models: [])
    /// Every member.
    public static let members: [WireMember<ModelList>] = [
        .required("models", \.models, "every loaded model, in handle order"),
    ]
}

/// `model/list`: every loaded model in handle order.
public enum ListModelsRequest: ProtocolMethod {
    /// The params type.
    public typealias Params = EmptyObject
    /// The result type.
    public typealias Response = ModelList
    /// The JSON-RPC method name.
    public static let method = "model/list"
    /// What the method does.
    public static let summary = "Lists every loaded model in handle order."
}

/// `model/describe`: one model's description.
public enum DescribeModelRequest: ProtocolMethod {
    /// The params type.
    public typealias Params = ModelHandleParams
    /// The result type.
    public typealias Response = ModelInfo
    /// The JSON-RPC method name.
    public static let method = "model/describe"
    /// What the method does.
    public static let summary = "Describes one model."
}

/// Result of `model/unload`.
public struct UnloadedModel: WireObject, Equatable {
    /// The model handle that was freed.
    public var model: String
    /// Always true: the model is gone.
    public var unloaded: Bool = true
    /// Says `model` is gone.
    public init(model: String) { self.model = model }

    /// The schema name.
    public static let wireName = "unloadedModel"
    /// What the object is.
    public static let wireDoc = "a model that was freed"
    /// Placeholder handle.
    public static let blank = UnloadedModel(model: "")
    /// Every member.
    public static let members: [WireMember<UnloadedModel>] = [
        .required("model", \.model, "the model handle that was freed", string: Handle.model),
        .required("unloaded", \.unloaded, "always true: the model is gone"),
    ]
}

/// `model/unload`: frees a model with no running jobs.
public enum UnloadModelRequest: ProtocolMethod {
    /// The params type.
    public typealias Params = ModelHandleParams
    /// The result type.
    public typealias Response = UnloadedModel
    /// The JSON-RPC method name.
    public static let method = "model/unload"
    /// What the method does.
    public static let summary = "Frees a model; refused (1003) while jobs run on it."
}
