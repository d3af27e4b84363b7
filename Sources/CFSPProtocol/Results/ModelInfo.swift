import Core
import Kernels

/// A loaded model as the protocol describes it (`model/load`, `model/describe`, `model/list`).
public struct ModelInfo: WireObject, Equatable {
    /// The model handle (`m1`, ...).
    public var model: String
    /// The file or folder it was loaded from.
    public var path: String
    /// The file format.
    public var format: ModelFormat
    /// The architecture family (`llama`, `qwen2`, `qwen3`, `gemma3`).
    public var architecture: String
    /// The precision of the weights in memory.
    public var precision: WeightPrecision
    /// The model's shape.
    public var config: ModelConfigInfo
    /// Total parameter count.
    public var parameters: Int
    /// Parameters in the FFN blocks.
    public var ffnParameters: Int
    /// Whether text inputs can be tokenized for this model.
    public var hasTokenizer: Bool
    /// The tokenizer's beginning-of-sequence id, if it has one (lm-eval's prefix token).
    public var bosToken: Int?
    /// The tokenizer's end-of-sequence id, if it has one (the prefix token when there is no BOS).
    public var eosToken: Int?
    /// Whether the model expects a BOS before a document (Gemma does, SmolLM2 does not).
    public var addsBos = false
    /// The handle of the model this one was pruned (or fine-tuned) from; nil for loaded models.
    public var parent: String?

    /// The description of `model`, held under `handle`.
    public init(handle: String, path: String, format: ModelFormat, model: LlamaModel, hasTokenizer: Bool,
                parent: String?, bosToken: Int? = nil, eosToken: Int? = nil, addsBos: Bool = false) {
        self.init(handle: handle, path: path, format: format, config: model.config, precision: model.precision,
                  parameters: model.parameterCount, ffnParameters: model.ffnParameterCount, hasTokenizer: hasTokenizer,
                  parent: parent, bosToken: bosToken, eosToken: eosToken, addsBos: addsBos)
    }

    /// The description of a model of shape `config` whose weights are (or would be) in
    /// `precision`, with the given parameter counts: a model read from its file block by block
    /// (a streamed `run`), which is never held whole.
    public init(handle: String, path: String, format: ModelFormat, config: LlamaConfig, precision: WeightPrecision,
                parameters: Int, ffnParameters: Int, hasTokenizer: Bool, parent: String?, bosToken: Int? = nil,
                eosToken: Int? = nil, addsBos: Bool = false) {
        self.model = handle
        self.path = path
        self.format = format
        architecture = config.architecture
        self.precision = precision
        self.config = ModelConfigInfo(config)
        self.parameters = parameters
        self.ffnParameters = ffnParameters
        self.hasTokenizer = hasTokenizer
        self.parent = parent
        self.bosToken = bosToken
        self.eosToken = eosToken
        self.addsBos = addsBos
    }

    private init() {
        model = ""
        path = ""
        format = .gguf
        architecture = ""
        precision = .f32
        config = .blank
        parameters = 0
        ffnParameters = 0
        hasTokenizer = false
        parent = nil
    }

    /// The schema name.
    public static let wireName = "modelInfo"
    /// What the object is.
    public static let wireDoc = "a loaded model: handle, origin, shape and size"
    /// Placeholders, overwritten by decoding.
    public static let blank = ModelInfo()
    /// Every member (`parent` is sent as null for loaded models).
    public static let members: [WireMember<ModelInfo>] = [
        .required("model", \.model, "the model handle", string: Handle.model),
        .required("path", \.path, "the file or folder it was loaded from"),
        .required("format", \.format, "the file format"),
        .required("architecture", \.architecture, "the architecture family (llama, qwen2, qwen3, gemma3)"),
        .required("precision", \.precision, "the precision of the weights in memory"),
        .required("config", \.config, "the model's shape"),
        .required("parameters", \.parameters, "total parameter count"),
        .required("ffnParameters", \.ffnParameters, "parameters in the FFN blocks"),
        .required("hasTokenizer", \.hasTokenizer, "whether text inputs can be tokenized for this model"),
        .nullable("parent", \.parent, "the model this one was made from; null for loaded models", string: Handle.model),
        .nullable("bosToken", \.bosToken, "the tokenizer's beginning-of-sequence id; null without one (or without a tokenizer)"),
        .nullable("eosToken", \.eosToken, "the tokenizer's end-of-sequence id; null without one (or without a tokenizer)"),
        .defaulted("addsBos", \.addsBos, "whether a document starts with the BOS (tokenize's addSpecial, evaluate's text): Gemma's does, SmolLM2's not"),
    ]
}

/// The shape of a model, flattened for clients.
public struct ModelConfigInfo: WireObject, Equatable {
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

    /// The shape of a model with configuration `c`.
    public init(_ c: LlamaConfig) {
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

    private init() {
        layers = 0
        hiddenSize = 0
        heads = 0
        kvHeads = 0
        headDim = 0
        vocabSize = 0
        contextLength = 0
        ropeTheta = 0
        rmsNormEps = 0
        tieWordEmbeddings = false
        intermediateSizes = []
    }

    /// The schema name.
    public static let wireName = "modelConfig"
    /// What the object is.
    public static let wireDoc = "the shape of a model"
    /// Placeholders, overwritten by decoding.
    public static let blank = ModelConfigInfo()
    /// Every member.
    public static let members: [WireMember<ModelConfigInfo>] = [
        .required("layers", \.layers, "number of transformer blocks"),
        .required("hiddenSize", \.hiddenSize, "width of the residual stream"),
        .required("heads", \.heads, "attention heads"),
        .required("kvHeads", \.kvHeads, "key/value heads (grouped-query attention)"),
        .required("headDim", \.headDim, "width of one head"),
        .required("vocabSize", \.vocabSize, "vocabulary size"),
        .required("contextLength", \.contextLength, "longest sequence the model supports"),
        .required("ropeTheta", \.ropeTheta, "rotary embedding base"),
        .required("rmsNormEps", \.rmsNormEps, "RMSNorm epsilon"),
        .required("tieWordEmbeddings", \.tieWordEmbeddings, "whether the output head reuses the token embedding"),
        .required("intermediateSizes", \.intermediateSizes, "FFN width of every block"),
    ]
}
