import Kernels

extension Architecture {
    /// Qwen2 and Qwen2.5: the LLaMA block with Q/K/V biases, rotary in the half-split (NEOX)
    /// layout in both formats (llama.cpp's converter does not permute Qwen's rows).
    /// Per-layer FFN widths export as `deci`, with Q/K rows and biases permuted to its
    /// interleaved layout.
    public static let qwen2 = Architecture(
        name: "qwen2",
        ggufNames: ["qwen2"],
        huggingFaceModelTypes: [("qwen2", "Qwen2ForCausalLM")],
        ggufRotaryLayout: .rotateHalf,
        huggingFaceNaming: .huggingFace,
        huggingFaceNormOffset: 0,
        huggingFaceTiesByDefault: false,
        configureFromGGUF: { config, _ in config.attentionBias = true },
        configureFromHuggingFace: { config, keys in
            config.attentionBias = true
            try HuggingFaceRope.requirePlain(HuggingFaceRope(keys: keys).parameters, family: "qwen2")
            if try keys.optionalBool("use_sliding_window") == true {
                throw HuggingFaceError.unsupportedConfigFeature(
                    path: keys.path, key: "use_sliding_window", reason: "Qwen2's sliding-window layers are not implemented")
            }
        },
        huggingFaceFields: { config in
            [("model_type", "\"qwen2\""), ("architectures", "[\"Qwen2ForCausalLM\"]"),
             ("hidden_act", "\"\(config.activation.huggingFaceName)\""),
             ("use_sliding_window", "false")]
        },
        ggufExport: { config in
            config.hasPerLayerShapes
                ? GGUFExportRule(architecture: "deci", rotaryLayout: .interleaved, perLayerArrays: true)
                : GGUFExportRule(architecture: "qwen2", rotaryLayout: .rotateHalf)
        },
        exampleSwitches: { config in config.attentionBias = true })
}
