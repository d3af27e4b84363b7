import Kernels

/// The seven linear layers of a decoder block, in parameter order: what the block forward
/// multiplies by, and what carries a LoRA adapter in training.
public enum BlockLinear: Int, Sendable, Codable, CaseIterable {
    case query, key, value, attentionOutput, gate, up, down

    /// This layer's frozen weights in `block`.
    public func weights(in block: LlamaBlockWeights) -> PackedWeights {
        switch self {
        case .query: return block.query
        case .key: return block.key
        case .value: return block.value
        case .attentionOutput: return block.attentionOutput
        case .gate: return block.gate
        case .up: return block.up
        case .down: return block.down
        }
    }

    /// Replaces this layer's weights in `block`.
    func set(_ weights: PackedWeights, in block: inout LlamaBlockWeights) {
        switch self {
        case .query: block.query = weights
        case .key: block.key = weights
        case .value: block.value = weights
        case .attentionOutput: block.attentionOutput = weights
        case .gate: block.gate = weights
        case .up: block.up = weights
        case .down: block.down = weights
        }
    }
}

/// The linear layers as recovery fine-tuning names them.
public typealias LoRATarget = BlockLinear

/// Where one adapter's parameters sit in the flat parameter vector: A is rank x inputs
/// (row-major, from `aOffset`), B is outputs x rank (from `bOffset`). The adapter adds
/// scaling * x Aᵀ Bᵀ to the frozen layer's output, scaling = alpha / rank = 2 (alpha = 2 r).
public struct LoRAAdapterLayout: Sendable, Equatable {
    /// r_l of this block.
    public let rank: Int
    /// Input features of the adapted layer (columns of W).
    public let inputs: Int
    /// Output features of the adapted layer (rows of W).
    public let outputs: Int
    /// Index of A[0][0] in the flat parameter vector.
    public let aOffset: Int
    /// Index of B[0][0] in the flat parameter vector.
    public let bOffset: Int
    /// alpha / rank with alpha = 2 rank (CFSP.md section 4).
    public var scaling: Float { 2 }
    /// Parameters of A and B together.
    public var parameterCount: Int { rank * (inputs + outputs) }
}
