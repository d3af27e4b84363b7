/// The parts of a decoder block stored as separate tensors.
public enum BlockTensor: String, Sendable, CaseIterable {
    case attentionNorm, query, key, value, attentionOutput, ffnNorm, gate, up, down, downBias
}

/// How a file format names a LLaMA model's tensors, so one loader serves GGUF and Hugging Face.
public struct TensorNaming: Sendable {
    public var tokenEmbedding: String
    public var finalNorm: String
    public var outputHead: String
    private var blockName: @Sendable (Int, BlockTensor) -> String

    public init(tokenEmbedding: String, finalNorm: String, outputHead: String,
                block: @escaping @Sendable (Int, BlockTensor) -> String) {
        self.tokenEmbedding = tokenEmbedding
        self.finalNorm = finalNorm
        self.outputHead = outputHead
        self.blockName = block
    }

    /// The name of `part` in block `index`.
    public func block(_ index: Int, _ part: BlockTensor) -> String { blockName(index, part) }

    /// llama.cpp's names (`blk.N.ffn_gate.weight`, ...).
    public static let gguf = TensorNaming(
        tokenEmbedding: "token_embd.weight", finalNorm: "output_norm.weight", outputHead: "output.weight"
    ) { index, part in
        let suffix: String
        switch part {
        case .attentionNorm: suffix = "attn_norm.weight"
        case .query: suffix = "attn_q.weight"
        case .key: suffix = "attn_k.weight"
        case .value: suffix = "attn_v.weight"
        case .attentionOutput: suffix = "attn_output.weight"
        case .ffnNorm: suffix = "ffn_norm.weight"
        case .gate: suffix = "ffn_gate.weight"
        case .up: suffix = "ffn_up.weight"
        case .down: suffix = "ffn_down.weight"
        case .downBias: suffix = "ffn_down.bias"
        }
        return "blk.\(index).\(suffix)"
    }

    /// Hugging Face transformers' names (`model.layers.N.mlp.gate_proj.weight`, ...).
    public static let huggingFace = TensorNaming(
        tokenEmbedding: "model.embed_tokens.weight", finalNorm: "model.norm.weight", outputHead: "lm_head.weight"
    ) { index, part in
        let suffix: String
        switch part {
        case .attentionNorm: suffix = "input_layernorm.weight"
        case .query: suffix = "self_attn.q_proj.weight"
        case .key: suffix = "self_attn.k_proj.weight"
        case .value: suffix = "self_attn.v_proj.weight"
        case .attentionOutput: suffix = "self_attn.o_proj.weight"
        case .ffnNorm: suffix = "post_attention_layernorm.weight"
        case .gate: suffix = "mlp.gate_proj.weight"
        case .up: suffix = "mlp.up_proj.weight"
        case .down: suffix = "mlp.down_proj.weight"
        case .downBias: suffix = "mlp.down_proj.bias"
        }
        return "model.layers.\(index).\(suffix)"
    }
}
