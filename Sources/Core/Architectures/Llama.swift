import Foundation
import Kernels

extension Architecture {
    /// LLaMA 2 and 3.x (with Llama 3 rotary scaling) and Mistral, which is the same block with
    /// an optional sliding window over every layer. A GGUF llama/deci file with Q/K/V biases
    /// (cfsp's deci export of a pruned Qwen2 model) reads as this family with biases, and writes
    /// to Hugging Face as Qwen2, the same computation. GGUF calls them all `llama`; cfsp's pruned
    /// exports with per-layer FFN widths are `deci` (NVIDIA's Nemotron-NAS LLaMA variant, whose
    /// loader reads one width per layer), which reads back as this family.
    public static let llama = Architecture(
        name: "llama",
        ggufNames: ["llama", "deci"],
        huggingFaceModelTypes: [("llama", "LlamaForCausalLM"), ("mistral", "MistralForCausalLM")],
        ggufRotaryLayout: .interleaved,
        huggingFaceNaming: .huggingFace,
        huggingFaceNormOffset: 0,
        huggingFaceTiesByDefault: false,
        configureFromGGUF: { config, keys in
            // llama.cpp's llama and deci graphs add Q/K/V biases when the file has them (cfsp's
            // deci export of a pruned Qwen2 model does).
            config.attentionBias = keys.file.tensorInfo("blk.0.attn_q.bias") != nil
            // Llama 3: the converter stores the scaled frequencies' divisors as a tensor.
            if keys.file.tensorInfo("rope_freqs.weight") != nil {
                let factors = try keys.file.floats("rope_freqs.weight")
                config.ropeFrequencyFactors = factors
                // Recovered so a Hugging Face export can write rope_scaling (nil if they do not fit).
                config.ropeScaling = Llama3RopeScaling.inferred(fromFactors: factors, headDim: config.headDim,
                                                                theta: Double(config.ropeTheta))
            }
        },
        configureFromHuggingFace: { config, keys in
            if try keys.optionalBool("attention_bias") == true {
                throw HuggingFaceError.unsupportedConfigFeature(
                    path: keys.path, key: "attention_bias", reason: "LLaMA attention with biases (on every projection, the output one included)")
            }
            let rope = try HuggingFaceRope(keys: keys)
            if let scaling = try rope.llama3Scaling() {
                config.ropeScaling = scaling
                config.ropeFrequencyFactors = scaling.frequencyFactors(headDim: config.headDim, theta: Double(config.ropeTheta))
            }
            if keys.json["model_type"] as? String == "mistral", let window = try keys.optionalPositiveInt("sliding_window") {
                config.slidingWindow = window
                config.slidingWindowLayers = Array(repeating: true, count: config.numLayers)
            }
        },
        huggingFaceFields: { config in
            // A LLaMA block with Q/K/V biases (read from a deci or llama GGUF) is exactly Qwen2's;
            // transformers' LlamaForCausalLM cannot hold it (its attention_bias adds an output bias too).
            if config.attentionBias { return Architecture.qwen2.huggingFaceFields(config) }
            var fields: [(String, String)] = [("attention_bias", "false"), ("hidden_act", "\"\(config.activation.huggingFaceName)\"")]
            if let window = config.slidingWindow {
                fields += [("model_type", "\"mistral\""), ("architectures", "[\"MistralForCausalLM\"]"),
                           ("sliding_window", "\(window)")]
            } else {
                fields += [("model_type", "\"llama\""), ("architectures", "[\"LlamaForCausalLM\"]")]
            }
            if let s = config.ropeScaling {
                fields.append(("rope_scaling", "{\"factor\": \(s.factor), \"high_freq_factor\": \(s.highFrequencyFactor), \"low_freq_factor\": \(s.lowFrequencyFactor), \"original_max_position_embeddings\": \(s.originalContext), \"rope_type\": \"llama3\"}"))
            }
            return fields
        },
        ggufExport: { config in
            let perLayer = config.hasPerLayerShapes
            var rule = GGUFExportRule(architecture: perLayer ? "deci" : "llama", rotaryLayout: .interleaved, perLayerArrays: perLayer)
            if config.slidingWindow != nil {
                rule.notes.append("llama.cpp runs Mistral's GGUF as 'llama' without its sliding window: windows longer than \(config.slidingWindow!) tokens attend further than the model was trained to")
            }
            return rule
        },
        exampleSwitches: { config in
            config.ropeScaling = Llama3RopeScaling(factor: 8, lowFrequencyFactor: 1, highFrequencyFactor: 4, originalContext: 16)
            config.ropeFrequencyFactors = config.ropeScaling!.frequencyFactors(headDim: config.headDim, theta: Double(config.ropeTheta))
        })
}
