import Foundation
import Kernels

/// Reads the `config.json` of a Hugging Face decoder of any supported family.
///
/// The family comes from `model_type` (`Architecture.forHuggingFace`); the keys every family
/// shares are read here (sizes, heads, norms, rotary base, activation), the family's own by its
/// description. Per-layer FFN widths come from the optional `intermediate_sizes` array (the
/// project's pruned exports), else every block has `intermediate_size`.
public enum HuggingFaceConfig {
    /// Hugging Face's defaults for keys a config may omit.
    static let defaultRMSNormEps: Double = 1e-6
    static let defaultRopeTheta: Double = 10_000
    static let defaultContextLength = 2048
    /// The most blocks a config may declare (real models have at most a few hundred); checked
    /// before anything is sized by `num_hidden_layers`. Sizes are capped at `LlamaConfig.maxDimension`.
    public static let maxLayers = 1 << 16

    /// Parses `data` (the text of `config.json`; `path` only names it in errors). The result's
    /// `tieWordEmbeddings` is the config's flag (or the family's default); `HuggingFaceFolder`
    /// also ties when `lm_head.weight` is absent.
    public static func llamaConfig(fromJSON data: Data, path: String = "config.json") throws -> LlamaConfig {
        let object: Any
        do {
            object = try JSONSerialization.jsonObject(with: data, options: [])
        } catch {
            throw HuggingFaceError.invalidConfigJSON(path: path, reason: ErrorText.words(error))
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
        guard let family = Architecture.forHuggingFace(modelType: modelType) else {
            throw HuggingFaceError.unsupportedModelType(path: path, modelType: modelType)
        }
        if try keys.optionalBool("mlp_bias") == true {
            throw HuggingFaceError.unsupportedConfigFeature(path: path, key: "mlp_bias", reason: "FFN layers with biases")
        }

        let hidden = try keys.size("hidden_size")
        let layers = try keys.positiveInt("num_hidden_layers")
        guard layers <= maxLayers else {
            throw HuggingFaceError.invalidConfigValue(
                path: path, key: "num_hidden_layers", reason: "(\(layers)) exceeds the limit of \(maxLayers) blocks")
        }
        let heads = try keys.size("num_attention_heads")
        let kvHeads = try keys.optionalSize("num_key_value_heads") ?? heads
        guard heads % kvHeads == 0 else {
            throw HuggingFaceError.invalidConfigValue(
                path: path, key: "num_key_value_heads", reason: "(\(kvHeads)) must divide num_attention_heads (\(heads))")
        }
        let headDim: Int
        if let explicit = try keys.optionalSize("head_dim") {
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
        let vocab = try keys.size("vocab_size")
        let eps = try keys.optionalPositiveDouble("rms_norm_eps") ?? defaultRMSNormEps
        let context = try keys.optionalPositiveInt("max_position_embeddings") ?? defaultContextLength
        let tied = try keys.optionalBool("tie_word_embeddings") ?? family.huggingFaceTiesByDefault
        let theta = try HuggingFaceRope(keys: keys).theta ?? defaultRopeTheta
        // Both are held as 32-bit floats: a value that overflows one (1e300) would become
        // infinity, which no JSON answer can carry.
        guard theta.isFinite, theta > 0, Float(theta).isFinite else {
            throw HuggingFaceError.invalidConfigValue(
                path: path, key: "rope_theta", reason: "(\(theta)) must be a positive number below \(Float.greatestFiniteMagnitude)")
        }
        guard Float(eps).isFinite else {
            throw HuggingFaceError.invalidConfigValue(
                path: path, key: "rms_norm_eps", reason: "(\(eps)) must be a positive number below \(Float.greatestFiniteMagnitude)")
        }

        var config = LlamaConfig(
            architecture: family.name, vocabSize: vocab, hiddenSize: hidden, intermediateSizes: widths,
            numHeads: heads, numKVHeads: kvHeads, headDim: headDim, rmsNormEps: Float(eps),
            ropeTheta: Float(theta), contextLength: context, tieWordEmbeddings: tied, ropeLayout: .rotateHalf)
        if let activation = try keys.optionalString("hidden_act") ?? keys.optionalString("hidden_activation") {
            guard let gated = GatedActivation(huggingFaceName: activation) else {
                let supported = GatedActivation.allCases.map(\.huggingFaceName).joined(separator: ", ")
                throw HuggingFaceError.unsupportedConfigFeature(
                    path: path, key: "hidden_act", reason: "activation '\(activation)'; supported: \(supported)")
            }
            config.activation = gated
        }
        try family.configureFromHuggingFace(&config, keys)
        return config
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
                try HuggingFaceConfigKeys.checkSize(width, key: "intermediate_sizes", path: path)
                return width
            }
            guard widths.count == layers else {
                throw HuggingFaceError.invalidConfigValue(
                    path: path, key: "intermediate_sizes", reason: "has \(widths.count) entries but num_hidden_layers is \(layers)")
            }
            return widths
        }
        return Array(repeating: try keys.size("intermediate_size"), count: layers)
    }
}
