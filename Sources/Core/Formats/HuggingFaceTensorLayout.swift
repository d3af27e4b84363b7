/// The tensor names and shapes a LLaMA-family Hugging Face checkpoint has for a given config
/// (PyTorch `[out, in]` order), and the check that a set of tensors matches them.
public enum HuggingFaceTensorLayout {
    /// Every tensor the model needs with its expected shape, in checkpoint order:
    /// embeddings, each block's attention, MLP and norms, final norm, then `lm_head.weight`
    /// unless the embeddings are tied.
    public static func expectedTensors(for config: LlamaConfig) -> [(name: String, shape: [Int])] {
        let hidden = config.hiddenSize
        let queryWidth = config.numHeads * config.headDim
        let keyValueWidth = config.numKVHeads * config.headDim
        var tensors: [(name: String, shape: [Int])] = [("model.embed_tokens.weight", [config.vocabSize, hidden])]
        for (layer, width) in config.intermediateSizes.enumerated() {
            let prefix = "model.layers.\(layer)."
            tensors += [
                (prefix + "self_attn.q_proj.weight", [queryWidth, hidden]),
                (prefix + "self_attn.k_proj.weight", [keyValueWidth, hidden]),
                (prefix + "self_attn.v_proj.weight", [keyValueWidth, hidden]),
                (prefix + "self_attn.o_proj.weight", [hidden, queryWidth]),
                (prefix + "mlp.gate_proj.weight", [width, hidden]),
                (prefix + "mlp.up_proj.weight", [width, hidden]),
                (prefix + "mlp.down_proj.weight", [hidden, width]),
                (prefix + "input_layernorm.weight", [hidden]),
                (prefix + "post_attention_layernorm.weight", [hidden]),
            ]
        }
        tensors.append(("model.norm.weight", [hidden]))
        if !config.tieWordEmbeddings { tensors.append(("lm_head.weight", [config.vocabSize, hidden])) }
        return tensors
    }

    /// Throws `HuggingFaceError.missingTensor` or `.shapeMismatch` (naming the tensor, the
    /// expected and the actual shape) for the first tensor of `config` that `shapeOf` lacks or
    /// gets wrong.
    public static func validate(_ config: LlamaConfig, shapeOf: (String) -> [Int]?) throws {
        for (name, expected) in expectedTensors(for: config) {
            guard let actual = shapeOf(name) else { throw HuggingFaceError.missingTensor(tensor: name) }
            guard actual == expected else { throw HuggingFaceError.shapeMismatch(tensor: name, expected: expected, actual: actual) }
        }
    }
}
