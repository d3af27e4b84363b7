import Foundation

/// The rotary settings of a config.json, wherever transformers put them: `rope_theta` and
/// `rope_scaling` at the top level (transformers 4), or a `rope_parameters` object (5.x), which
/// Gemma 3 splits per layer type (`full_attention`, `sliding_attention`).
struct HuggingFaceRope {
    /// The object holding `rope_type` and its parameters, if any.
    let parameters: HuggingFaceConfigKeys?
    /// Per layer type, when `rope_parameters` is split that way.
    let perLayerType: [String: HuggingFaceConfigKeys]
    /// The rotary base, if the config gives one.
    let theta: Double?

    init(keys: HuggingFaceConfigKeys) throws {
        var perLayerType: [String: HuggingFaceConfigKeys] = [:]
        var parameters = try keys.optionalObject("rope_scaling")
        if let nested = try keys.optionalObject("rope_parameters") {
            let split = nested.json.filter { $0.value is [String: Any] }
            if split.isEmpty {
                parameters = parameters ?? nested
            } else {
                for name in split.keys { perLayerType[name] = try nested.optionalObject(name) }
            }
        }
        self.parameters = parameters
        self.perLayerType = perLayerType
        theta = try keys.optionalPositiveDouble("rope_theta")
            ?? parameters?.optionalPositiveDouble("rope_theta")
            ?? perLayerType["full_attention"]?.optionalPositiveDouble("rope_theta")
    }

    /// `rope_type` (or the older `type`) of `fields`; "default" when absent.
    static func type(of fields: HuggingFaceConfigKeys?) -> String {
        guard let fields else { return "default" }
        return (fields.json["rope_type"] ?? fields.json["type"]) as? String ?? "default"
    }

    /// Throws unless the rotary embedding is plain (`rope_type` "default" or absent).
    static func requirePlain(_ fields: HuggingFaceConfigKeys?, family: String) throws {
        let kind = type(of: fields)
        guard kind == "default" else {
            throw HuggingFaceError.unsupportedConfigFeature(
                path: fields?.path ?? "config.json", key: (fields?.prefix ?? "") + "rope_type",
                reason: "rope type '\(kind)'; \(family) supports plain RoPE ('default') only")
        }
    }

    /// Llama 3 scaling when `rope_type` is "llama3", nil when plain; anything else throws.
    func llama3Scaling() throws -> Llama3RopeScaling? {
        let kind = Self.type(of: parameters)
        guard kind == "llama3", let p = parameters else {
            try Self.requirePlain(parameters, family: "llama")
            return nil
        }
        func number(_ key: String) throws -> Double {
            guard let v = try p.optionalPositiveDouble(key) else {
                throw HuggingFaceError.missingConfigKey(path: p.path, key: p.prefix + key)
            }
            return v
        }
        let scaling = Llama3RopeScaling(
            factor: try number("factor"), lowFrequencyFactor: try number("low_freq_factor"),
            highFrequencyFactor: try number("high_freq_factor"),
            originalContext: try p.positiveInt("original_max_position_embeddings"))
        do { try scaling.validate() } catch {
            throw HuggingFaceError.invalidConfigValue(path: p.path, key: String(p.prefix.dropLast()), reason: error.description)
        }
        return scaling
    }
}
