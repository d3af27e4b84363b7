import Kernels

/// The weights of one decoder block, linear layers packed once for the GEMM.
///
/// The FFN width is whatever `gate.rows` says: pruned blocks differ from one another. The
/// optional parts exist exactly when the config's switches say so (`BlockTensor.parts(of:)`).
public struct LlamaBlockWeights: Sendable {
    public var attentionNorm: [Float]
    public var query: PackedWeights
    public var key: PackedWeights
    public var value: PackedWeights
    public var attentionOutput: PackedWeights
    public var ffnNorm: [Float]
    /// [I, H]
    public var gate: PackedWeights
    /// [I, H]
    public var up: PackedWeights
    /// [H, I]
    public var down: PackedWeights
    /// Bias added after the down projection (FLAP folds removed neurons' mean output into it).
    public var downBias: [Float]?
    /// Q/K/V biases (`LlamaConfig.attentionBias`).
    public var queryBias: [Float]?
    public var keyBias: [Float]?
    public var valueBias: [Float]?
    /// Per-head RMSNorm weights of queries and keys, [headDim] (`queryKeyNorm`).
    public var queryNorm: [Float]?
    public var keyNorm: [Float]?
    /// RMSNorm of the attention output and of the FFN output (`sandwichNorms`).
    public var postAttentionNorm: [Float]?
    public var postFFNNorm: [Float]?

    /// This block's FFN width (intermediate neurons).
    public var ffnWidth: Int { gate.rows }

    public init(
        attentionNorm: [Float], query: PackedWeights, key: PackedWeights, value: PackedWeights,
        attentionOutput: PackedWeights, ffnNorm: [Float], gate: PackedWeights, up: PackedWeights,
        down: PackedWeights, downBias: [Float]? = nil
    ) {
        self.attentionNorm = attentionNorm
        self.query = query
        self.key = key
        self.value = value
        self.attentionOutput = attentionOutput
        self.ffnNorm = ffnNorm
        self.gate = gate
        self.up = up
        self.down = down
        self.downBias = downBias
    }

    /// The matrix stored as `part`, if `part` is a projection.
    public func matrix(_ part: BlockTensor) -> PackedWeights? {
        switch part {
        case .query: return query
        case .key: return key
        case .value: return value
        case .attentionOutput: return attentionOutput
        case .gate: return gate
        case .up: return up
        case .down: return down
        default: return nil
        }
    }

    /// The vector stored as `part` (a norm or a bias), if the block has it.
    public func vector(_ part: BlockTensor) -> [Float]? {
        switch part {
        case .attentionNorm: return attentionNorm
        case .ffnNorm: return ffnNorm
        case .downBias: return downBias
        case .queryBias: return queryBias
        case .keyBias: return keyBias
        case .valueBias: return valueBias
        case .queryNorm: return queryNorm
        case .keyNorm: return keyNorm
        case .postAttentionNorm: return postAttentionNorm
        case .postFFNNorm: return postFFNNorm
        default: return nil
        }
    }

    /// Sets the vector `part` (a norm or a bias); projections are ignored.
    public mutating func setVector(_ part: BlockTensor, _ values: [Float]?) {
        switch part {
        case .attentionNorm: attentionNorm = values ?? []
        case .ffnNorm: ffnNorm = values ?? []
        case .downBias: downBias = values
        case .queryBias: queryBias = values
        case .keyBias: keyBias = values
        case .valueBias: valueBias = values
        case .queryNorm: queryNorm = values
        case .keyNorm: keyNorm = values
        case .postAttentionNorm: postAttentionNorm = values
        case .postFFNNorm: postFFNNorm = values
        default: break
        }
    }

    /// Parameters in this block (norms and biases included).
    public var parameterCount: Int {
        BlockTensor.allCases.reduce(0) { total, part in
            total + (matrix(part).map { $0.rows * $0.cols } ?? vector(part)?.count ?? 0)
        }
    }
}
