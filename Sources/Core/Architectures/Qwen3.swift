import Kernels

extension Architecture {
    /// Qwen3 (dense): the LLaMA block with an RMSNorm on every query and key head before the
    /// rotary embedding, a head size that need not be hidden/heads, no biases, and rotary in the
    /// half-split (NEOX) layout in both formats. llama.cpp's `qwen3` creates every FFN tensor
    /// with one width, so only uniform widths export as GGUF.
    public static let qwen3 = Architecture(
        name: "qwen3",
        ggufNames: ["qwen3"],
        huggingFaceModelTypes: [("qwen3", "Qwen3ForCausalLM")],
        ggufRotaryLayout: .rotateHalf,
        huggingFaceNaming: .huggingFace,
        huggingFaceNormOffset: 0,
        huggingFaceTiesByDefault: false,
        configureFromGGUF: { config, _ in config.queryKeyNorm = true },
        configureFromHuggingFace: { config, keys in
            config.queryKeyNorm = true
            try HuggingFaceRope.requirePlain(HuggingFaceRope(keys: keys).parameters, family: "qwen3")
            if try keys.optionalBool("attention_bias") == true {
                throw HuggingFaceError.unsupportedConfigFeature(
                    path: keys.path, key: "attention_bias", reason: "Qwen3 attention with biases (on every projection, the output one included)")
            }
            if try keys.optionalBool("use_sliding_window") == true {
                throw HuggingFaceError.unsupportedConfigFeature(
                    path: keys.path, key: "use_sliding_window", reason: "Qwen3's sliding-window layers are not implemented")
            }
        },
        huggingFaceFields: { config in
            [("model_type", "\"qwen3\""), ("architectures", "[\"Qwen3ForCausalLM\"]"),
             ("hidden_act", "\"\(config.activation.huggingFaceName)\""),
             ("attention_bias", "false"), ("use_sliding_window", "false")]
        },
        ggufExport: { config in
            guard !config.hasPerLayerShapes else { throw perLayerWidthsRefused("qwen3", config) }
            return GGUFExportRule(architecture: "qwen3", rotaryLayout: .rotateHalf)
        },
        exampleSwitches: { config in config.queryKeyNorm = true })
}
