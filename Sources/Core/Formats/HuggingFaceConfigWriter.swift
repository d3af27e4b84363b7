/// Renders a `LlamaConfig` as the `config.json` of its family's Hugging Face class.
public enum HuggingFaceConfigWriter {
    /// The config.json text, keys sorted, two-space indented: the keys every family shares,
    /// then the family's own (`Architecture.huggingFaceFields`: model_type, architectures,
    /// activation, rotary and attention settings). `intermediate_size` is the widest block (the
    /// dense width of a pruned model); `intermediate_sizes` lists every block's width when they
    /// differ, which this project's reader (not stock transformers) understands. `torchDType` is
    /// the weights' dtype as transformers names it (`float32`, `bfloat16`…). `extraFields`
    /// (key, JSON text) are added last, replacing a field of the same key: the special token
    /// ids, and a per-layer-width export's `auto_map` (`HuggingFaceModelingFile`).
    public static func json(
        for config: LlamaConfig, torchDType: String = "float32", extraFields: [(String, String)] = []
    ) throws -> String {
        guard config.rmsNormEps.isFinite, config.rmsNormEps > 0 else {
            throw HuggingFaceError.invalidConfigValue(path: "config.json", key: "rms_norm_eps", reason: "must be a positive finite number")
        }
        guard config.ropeTheta.isFinite, config.ropeTheta > 0 else {
            throw HuggingFaceError.invalidConfigValue(path: "config.json", key: "rope_theta", reason: "must be a positive finite number")
        }
        if let scale = config.attentionScale, !(scale.isNormal && scale > 0) {
            throw HuggingFaceError.invalidConfigValue(path: "config.json", key: "query_pre_attn_scalar", reason: "the attention scale \(scale) must be a positive finite number")
        }
        if let local = config.localRopeTheta, !(local.isFinite && local > 0) {
            throw HuggingFaceError.invalidConfigValue(path: "config.json", key: "rope_local_base_freq", reason: "must be a positive finite number")
        }
        guard let widest = config.intermediateSizes.max() else {
            throw HuggingFaceError.invalidConfigValue(path: "config.json", key: "num_hidden_layers", reason: "must be at least 1")
        }
        let family = try config.family
        if config.ropeFrequencyFactors != nil && config.ropeScaling == nil {
            throw HuggingFaceError.invalidConfigValue(
                path: "config.json", key: "rope_scaling",
                reason: "the model has rotary frequency factors (GGUF rope_freqs.weight) without the Llama 3 parameters they came from, which config.json needs; export as GGUF")
        }
        var fields: [(String, String)] = [
            ("head_dim", "\(config.headDim)"),
            ("hidden_size", "\(config.hiddenSize)"),
            ("intermediate_size", "\(widest)"),
            ("max_position_embeddings", "\(config.contextLength)"),
            ("mlp_bias", "false"),
            ("num_attention_heads", "\(config.numHeads)"),
            ("num_hidden_layers", "\(config.numLayers)"),
            ("num_key_value_heads", "\(config.numKVHeads)"),
            ("rms_norm_eps", "\(config.rmsNormEps)"),
            ("rope_theta", "\(config.ropeTheta)"),
            ("tie_word_embeddings", config.tieWordEmbeddings ? "true" : "false"),
            ("torch_dtype", SafetensorsWriter.jsonString(torchDType)),
            ("vocab_size", "\(config.vocabSize)"),
        ]
        for (key, value) in family.huggingFaceFields(config) {
            fields.removeAll { $0.0 == key }
            fields.append((key, value))
        }
        if Set(config.intermediateSizes).count > 1 {
            fields.append(("intermediate_sizes", "[" + config.intermediateSizes.map(String.init).joined(separator: ", ") + "]"))
        }
        for (key, value) in extraFields {
            fields.removeAll { $0.0 == key }
            fields.append((key, value))
        }
        fields.sort { $0.0 < $1.0 }
        return "{\n" + fields.map { "  \"\($0.0)\": \($0.1)" }.joined(separator: ",\n") + "\n}\n"
    }
}
