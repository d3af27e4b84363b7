import Foundation

/// Reads and writes the `config.json` of LLaMA-family Hugging Face models.
///
/// Only `model_type` "llama" without biases, SiLU activation and plain RoPE is accepted, because
/// that is what the project's decoder implements. Per-layer FFN widths come from the optional
/// `intermediate_sizes` array (the project's pruned exports), else every block has
/// `intermediate_size`.
public enum HuggingFaceConfig {
    /// Hugging Face's defaults for keys a LLaMA config may omit.
    static let defaultRMSNormEps: Double = 1e-6
    static let defaultRopeTheta: Double = 10_000
    static let defaultContextLength = 2048

    /// Parses `data` (the text of `config.json`; `path` only names it in errors). The result's
    /// `tieWordEmbeddings` is the config's flag; `HuggingFaceFolder` also ties when
    /// `lm_head.weight` is absent.
    public static func llamaConfig(fromJSON data: Data, path: String = "config.json") throws -> LlamaConfig {
        let object: Any
        do {
            object = try JSONSerialization.jsonObject(with: data, options: [])
        } catch {
            throw HuggingFaceError.invalidConfigJSON(path: path, reason: error.localizedDescription)
        }
        guard let json = object as? [String: Any] else {
            throw HuggingFaceError.invalidConfigJSON(path: path, reason: "the top level is not a JSON object")
        }
        let keys = HuggingFaceConfigKeys(json: json, path: path)

        guard let modelType = json["model_type"] as? String else {
            throw json["model_type"] == nil
                ? HuggingFaceError.missingConfigKey(path: path, key: "model_type")
                : HuggingFaceError.invalidConfigValue(path: path, key: "model_type", reason: "must be a string")
        }
        guard modelType == "llama" else { throw HuggingFaceError.unsupportedModelType(path: path, modelType: modelType) }
        for key in ["attention_bias", "mlp_bias"] where try keys.optionalBool(key) == true {
            throw HuggingFaceError.unsupportedConfigFeature(path: path, key: key, reason: "linear layers with biases")
        }
        if let activation = json["hidden_act"] {
            guard activation as? String == "silu" else {
                throw HuggingFaceError.unsupportedConfigFeature(path: path, key: "hidden_act", reason: "only 'silu' is implemented")
            }
        }
        try rejectRopeScaling(json["rope_scaling"], key: "rope_scaling", path: path)

        let hidden = try keys.positiveInt("hidden_size")
        let layers = try keys.positiveInt("num_hidden_layers")
        let heads = try keys.positiveInt("num_attention_heads")
        let kvHeads = try keys.optionalPositiveInt("num_key_value_heads") ?? heads
        guard heads % kvHeads == 0 else {
            throw HuggingFaceError.invalidConfigValue(
                path: path, key: "num_key_value_heads", reason: "(\(kvHeads)) must divide num_attention_heads (\(heads))")
        }
        let headDim: Int
        if let explicit = try keys.optionalPositiveInt("head_dim") {
            headDim = explicit
        } else {
            guard hidden % heads == 0 else {
                throw HuggingFaceError.invalidConfigValue(
                    path: path, key: "head_dim", reason: "is absent and hidden_size (\(hidden)) is not a multiple of num_attention_heads (\(heads))")
            }
            headDim = hidden / heads
        }
        guard headDim % 2 == 0 else {
            throw HuggingFaceError.invalidConfigValue(path: path, key: "head_dim", reason: "(\(headDim)) must be even for rotary embeddings")
        }
        let widths = try intermediateSizes(keys: keys, layers: layers, path: path)
        let vocab = try keys.positiveInt("vocab_size")
        let eps = try keys.optionalPositiveDouble("rms_norm_eps") ?? defaultRMSNormEps
        let theta = try ropeTheta(json: json, keys: keys, path: path)
        let context = try keys.optionalPositiveInt("max_position_embeddings") ?? defaultContextLength
        let tied = try keys.optionalBool("tie_word_embeddings") ?? false

        return LlamaConfig(
            architecture: "llama", vocabSize: vocab, hiddenSize: hidden, intermediateSizes: widths,
            numHeads: heads, numKVHeads: kvHeads, headDim: headDim, rmsNormEps: Float(eps),
            ropeTheta: Float(theta), contextLength: context, tieWordEmbeddings: tied, ropeLayout: .rotateHalf)
    }

    /// `intermediate_sizes` when present (one positive width per layer), else
    /// `intermediate_size` repeated.
    private static func intermediateSizes(keys: HuggingFaceConfigKeys, layers: Int, path: String) throws -> [Int] {
        if let perLayer = keys.json["intermediate_sizes"], !(perLayer is NSNull) {
            guard let items = perLayer as? [Any] else {
                throw HuggingFaceError.invalidConfigValue(path: path, key: "intermediate_sizes", reason: "must be an array of positive integers")
            }
            let widths = try items.map { item -> Int in
                guard let width = HuggingFaceConfigKeys.integer(item), width > 0 else {
                    throw HuggingFaceError.invalidConfigValue(path: path, key: "intermediate_sizes", reason: "must be an array of positive integers")
                }
                return width
            }
            guard widths.count == layers else {
                throw HuggingFaceError.invalidConfigValue(
                    path: path, key: "intermediate_sizes", reason: "has \(widths.count) entries but num_hidden_layers is \(layers)")
            }
            return widths
        }
        return Array(repeating: try keys.positiveInt("intermediate_size"), count: layers)
    }

    /// `rope_theta` at the top level, or under `rope_parameters` (newer transformers).
    private static func ropeTheta(json: [String: Any], keys: HuggingFaceConfigKeys, path: String) throws -> Double {
        if let theta = try keys.optionalPositiveDouble("rope_theta") { return theta }
        if let parameters = json["rope_parameters"], !(parameters is NSNull) {
            guard let fields = parameters as? [String: Any] else {
                throw HuggingFaceError.invalidConfigValue(path: path, key: "rope_parameters", reason: "must be an object")
            }
            try rejectRopeScaling(fields, key: "rope_parameters", path: path)
            let nested = HuggingFaceConfigKeys(json: fields, path: path, prefix: "rope_parameters.")
            if let theta = try nested.optionalPositiveDouble("rope_theta") { return theta }
        }
        return defaultRopeTheta
    }

    /// Throws unless `value` is absent, null, or a plain ("default") rotary setting.
    private static func rejectRopeScaling(_ value: Any?, key: String, path: String) throws {
        guard let value, !(value is NSNull) else { return }
        guard let fields = value as? [String: Any] else {
            throw HuggingFaceError.invalidConfigValue(path: path, key: key, reason: "must be an object or null")
        }
        let kind = (fields["rope_type"] ?? fields["type"]) as? String ?? "default"
        guard kind == "default" else {
            throw HuggingFaceError.unsupportedConfigFeature(
                path: path, key: key, reason: "rope type '\(kind)'; only plain RoPE ('default') is implemented")
        }
    }
}
