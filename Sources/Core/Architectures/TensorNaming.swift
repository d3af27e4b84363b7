/// The parts of a decoder block stored as separate tensors. Which exist depends on the
/// family's switches (`LlamaConfig.attentionBias`, `queryKeyNorm`, `sandwichNorms`).
public enum BlockTensor: String, Sendable, CaseIterable {
    case attentionNorm, query, key, value, attentionOutput, ffnNorm, gate, up, down, downBias
    case queryBias, keyBias, valueBias, queryNorm, keyNorm, postAttentionNorm, postFFNNorm
}

/// How a file format names a model's tensors, so one loader serves GGUF and Hugging Face and
/// every family: a table from part to name, which a family may override part by part.
public struct TensorNaming: Sendable {
    public var tokenEmbedding: String
    public var finalNorm: String
    public var outputHead: String
    /// llama.cpp's `rope_freqs.weight` (Llama 3 rotary factors); nil where the format has none.
    public var ropeFrequencies: String?
    private var prefix: @Sendable (Int) -> String
    private var suffixes: [BlockTensor: String]

    public init(tokenEmbedding: String, finalNorm: String, outputHead: String, ropeFrequencies: String? = nil,
                prefix: @escaping @Sendable (Int) -> String, suffixes: [BlockTensor: String]) {
        self.tokenEmbedding = tokenEmbedding
        self.finalNorm = finalNorm
        self.outputHead = outputHead
        self.ropeFrequencies = ropeFrequencies
        self.prefix = prefix
        self.suffixes = suffixes
    }

    /// The name of `part` in block `index`.
    public func block(_ index: Int, _ part: BlockTensor) -> String { prefix(index) + (suffixes[part] ?? part.rawValue) }

    /// The same table with some parts renamed (a family whose names differ).
    public func renaming(_ changes: [BlockTensor: String]) -> TensorNaming {
        var copy = self
        copy.suffixes.merge(changes) { $1 }
        return copy
    }

    /// llama.cpp's names (`blk.N.ffn_gate.weight`, ...), shared by every architecture it runs.
    public static let gguf = TensorNaming(
        tokenEmbedding: "token_embd.weight", finalNorm: "output_norm.weight", outputHead: "output.weight",
        ropeFrequencies: "rope_freqs.weight", prefix: { "blk.\($0)." },
        suffixes: [
            .attentionNorm: "attn_norm.weight", .query: "attn_q.weight", .key: "attn_k.weight",
            .value: "attn_v.weight", .attentionOutput: "attn_output.weight", .ffnNorm: "ffn_norm.weight",
            .gate: "ffn_gate.weight", .up: "ffn_up.weight", .down: "ffn_down.weight", .downBias: "ffn_down.bias",
            .queryBias: "attn_q.bias", .keyBias: "attn_k.bias", .valueBias: "attn_v.bias",
            .queryNorm: "attn_q_norm.weight", .keyNorm: "attn_k_norm.weight",
            .postAttentionNorm: "post_attention_norm.weight", .postFFNNorm: "post_ffw_norm.weight",
        ])

    /// Hugging Face transformers' LLaMA/Qwen names (`model.layers.N.mlp.gate_proj.weight`, ...).
    public static let huggingFace = TensorNaming(
        tokenEmbedding: "model.embed_tokens.weight", finalNorm: "model.norm.weight", outputHead: "lm_head.weight",
        prefix: { "model.layers.\($0)." },
        suffixes: [
            .attentionNorm: "input_layernorm.weight", .query: "self_attn.q_proj.weight",
            .key: "self_attn.k_proj.weight", .value: "self_attn.v_proj.weight",
            .attentionOutput: "self_attn.o_proj.weight", .ffnNorm: "post_attention_layernorm.weight",
            .gate: "mlp.gate_proj.weight", .up: "mlp.up_proj.weight", .down: "mlp.down_proj.weight",
            .downBias: "mlp.down_proj.bias", .queryBias: "self_attn.q_proj.bias", .keyBias: "self_attn.k_proj.bias",
            .valueBias: "self_attn.v_proj.bias", .queryNorm: "self_attn.q_norm.weight",
            .keyNorm: "self_attn.k_norm.weight", .postAttentionNorm: "post_attention_norm.weight",
            .postFFNNorm: "post_feedforward_layernorm.weight",
        ])
}
