import Foundation
import Kernels

extension Architecture {
    /// Gemma 3 (text): GELU-tanh gating; RMSNorm before and after both attention and FFN, and
    /// on every query and key head; embeddings scaled by sqrt(hidden); attention scaled by
    /// query_pre_attn_scalar^-1/2; sliding-window attention on local layers (five of every six
    /// by default) with their own rotary base; tied embeddings; half-split rotary layout.
    ///
    /// Norm convention: Gemma's norms compute x * (1 + w) and Hugging Face folders store w;
    /// llama.cpp's converter adds the 1 to every norm weight (q/k norms included) before writing
    /// GGUF. cfsp holds the effective weight, as GGUF does, adding 1 when it reads a folder and
    /// subtracting it when it writes one.
    public static let gemma3 = Architecture(
        name: "gemma3",
        ggufNames: ["gemma3"],
        huggingFaceModelTypes: [("gemma3_text", "Gemma3ForCausalLM")],
        ggufRotaryLayout: .rotateHalf,
        huggingFaceNaming: TensorNaming.huggingFace.renaming([
            .postAttentionNorm: "post_attention_layernorm.weight", .ffnNorm: "pre_feedforward_layernorm.weight",
            .postFFNNorm: "post_feedforward_layernorm.weight",
        ]),
        huggingFaceNormOffset: 1,
        huggingFaceTiesByDefault: true,
        configureFromGGUF: { config, keys in
            setGemma3Switches(&config)
            config.tieWordEmbeddings = true
            config.slidingWindow = try keys.optionalPositiveInt("attention.sliding_window") ?? 4096
            config.slidingWindowLayers = gemma3DefaultLocalLayers(config.numLayers)
            // llama.cpp fixes the local rotary base at 10000, and the attention scale at
            // 1/sqrt(head size), except for the 62-block 27B model (1/sqrt(hidden/heads)).
            config.localRopeTheta = gemma3LocalRopeTheta
            if config.numLayers == 62 {
                config.attentionScale = 1 / Float(Double(config.hiddenSize / config.numHeads).squareRoot())
            }
        },
        configureFromHuggingFace: { config, keys in
            setGemma3Switches(&config)
            for key in ["final_logit_softcapping", "attn_logit_softcapping"] where keys.json[key] != nil && !(keys.json[key] is NSNull) {
                throw HuggingFaceError.unsupportedConfigFeature(path: keys.path, key: key, reason: "logit soft-capping (Gemma 2) is not implemented")
            }
            if try keys.optionalBool("use_bidirectional_attention") == true {
                throw HuggingFaceError.unsupportedConfigFeature(path: keys.path, key: "use_bidirectional_attention", reason: "only causal attention is implemented")
            }
            let scalar = try keys.optionalPositiveDouble("query_pre_attn_scalar") ?? 256
            let scale = Float(1 / scalar.squareRoot())
            guard scale.isNormal else {
                throw HuggingFaceError.invalidConfigValue(
                    path: keys.path, key: "query_pre_attn_scalar",
                    reason: "(\(scalar)) gives an attention scale 1/sqrt(\(scalar)) outside the range of a 32-bit float")
            }
            config.attentionScale = scale == 1 / Float(Double(config.headDim).squareRoot()) ? nil : scale
            config.slidingWindow = try keys.optionalPositiveInt("sliding_window") ?? 4096
            config.slidingWindowLayers = try gemma3LocalLayers(keys: keys, layers: config.numLayers)
            let rope = try HuggingFaceRope(keys: keys)
            try HuggingFaceRope.requirePlain(rope.perLayerType["full_attention"] ?? rope.parameters, family: "gemma3")
            try HuggingFaceRope.requirePlain(rope.perLayerType["sliding_attention"], family: "gemma3")
            config.ropeTheta = Float(rope.theta ?? 1_000_000)
            let local = try rope.perLayerType["sliding_attention"]?.optionalPositiveDouble("rope_theta")
                ?? keys.optionalPositiveDouble("rope_local_base_freq") ?? Double(gemma3LocalRopeTheta)
            // Held as a 32-bit float, as the global base is (HuggingFaceConfig checks that one).
            guard Float(local).isFinite else {
                throw HuggingFaceError.invalidConfigValue(
                    path: keys.path, key: "rope_local_base_freq",
                    reason: "(\(local)) must be a positive number below \(Float.greatestFiniteMagnitude)")
            }
            config.localRopeTheta = Float(local)
        },
        huggingFaceFields: { config in
            let types = config.slidingWindowLayers.map { $0 ? "\"sliding_attention\"" : "\"full_attention\"" }
            let local = config.localRopeTheta ?? config.ropeTheta
            return [
                ("model_type", "\"gemma3_text\""), ("architectures", "[\"Gemma3ForCausalLM\"]"),
                ("hidden_activation", "\"gelu_pytorch_tanh\""), ("query_pre_attn_scalar", gemma3QueryScalar(config)),
                ("sliding_window", "\(config.slidingWindow ?? 4096)"), ("layer_types", "[" + types.joined(separator: ", ") + "]"),
                ("rope_parameters", "{\"full_attention\": {\"rope_theta\": \(config.ropeTheta), \"rope_type\": \"default\"}, \"sliding_attention\": {\"rope_theta\": \(local), \"rope_type\": \"default\"}}"),
                ("final_logit_softcapping", "null"), ("attn_logit_softcapping", "null"),
            ]
        },
        ggufExport: { config in
            guard !config.hasPerLayerShapes else { throw perLayerWidthsRefused("gemma3", config) }
            // What llama.cpp's gemma3 loader assumes rather than reads.
            guard config.slidingWindowLayers == gemma3DefaultLocalLayers(config.numLayers) else {
                throw ExportError.unsupportedModel("llama.cpp's gemma3 makes every sixth block global and the rest sliding-window; this model's pattern differs")
            }
            guard config.localRopeTheta == gemma3LocalRopeTheta else {
                throw ExportError.unsupportedModel("llama.cpp's gemma3 uses rotary base \(gemma3LocalRopeTheta) on sliding-window blocks; this model uses \(config.localRopeTheta ?? config.ropeTheta)")
            }
            let expectedScale: Float? = config.numLayers == 62 ? 1 / Float(Double(config.hiddenSize / config.numHeads).squareRoot()) : nil
            guard config.attentionScale == expectedScale else {
                throw ExportError.unsupportedModel("llama.cpp's gemma3 derives the attention scale from the head size; this model's query_pre_attn_scalar differs")
            }
            return GGUFExportRule(
                architecture: "gemma3", rotaryLayout: .rotateHalf,
                extraEntries: [("attention.sliding_window", .uint32(UInt32(clamping: config.slidingWindow ?? 4096)))])
        },
        exampleSwitches: { config in
            setGemma3Switches(&config)
            config.attentionScale = Float(1 / 10.0.squareRoot())  // query_pre_attn_scalar 10
            config.slidingWindow = 3
            config.slidingWindowLayers = gemma3DefaultLocalLayers(config.numLayers, pattern: 2)
            config.localRopeTheta = 100
        })
}

/// The rotary base of Gemma 3's sliding-window layers (transformers' default, llama.cpp's constant).
let gemma3LocalRopeTheta: Float = 10_000

/// `query_pre_attn_scalar` for `config`'s attention scale (1/sqrt of it): the integer it
/// usually is (256, the head size) when that reads back as the same 32-bit scale, else the
/// exact value, so a model read from any config.json is written back unchanged.
func gemma3QueryScalar(_ config: LlamaConfig) -> String {
    let scale = config.attentionScale ?? 1 / Float(Double(config.headDim).squareRoot())
    let scalar = 1 / (Double(scale) * Double(scale))
    let whole = scalar.rounded()
    if whole >= 1, whole < 1e15, Float(1 / whole.squareRoot()) == scale { return "\(Int(whole))" }
    return "\(scalar)"
}

/// Gemma 3's switches that both formats imply.
private func setGemma3Switches(_ config: inout LlamaConfig) {
    config.queryKeyNorm = true
    config.sandwichNorms = true
    config.activation = .geluTanh
    config.embeddingScale = Float(Double(config.hiddenSize).squareRoot())
}

/// Every sixth block global, the rest sliding-window (Gemma 3's `sliding_window_pattern` 6).
func gemma3DefaultLocalLayers(_ layers: Int, pattern: Int = 6) -> [Bool] {
    (0..<layers).map { ($0 + 1) % pattern != 0 }
}

/// `layer_types` when given, else `sliding_window_pattern` (default 6).
private func gemma3LocalLayers(keys: HuggingFaceConfigKeys, layers: Int) throws -> [Bool] {
    guard let raw = keys.json["layer_types"], !(raw is NSNull) else {
        return gemma3DefaultLocalLayers(layers, pattern: try keys.optionalPositiveInt("sliding_window_pattern") ?? 6)
    }
    guard let types = raw as? [String], types.count == layers,
          types.allSatisfy({ $0 == "sliding_attention" || $0 == "full_attention" })
    else {
        throw HuggingFaceError.invalidConfigValue(
            path: keys.path, key: "layer_types", reason: "must list \(layers) entries, each \"sliding_attention\" or \"full_attention\"")
    }
    return types.map { $0 == "sliding_attention" }
}
