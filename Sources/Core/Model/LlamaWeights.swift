import Kernels

/// The weights of one decoder block, linear layers packed once for the GEMM.
///
/// The FFN width is whatever `gate.rows` says: pruned blocks differ from one another.
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

    /// Parameters in this block (norms and bias included).
    public var parameterCount: Int {
        attentionNorm.count + ffnNorm.count + (downBias?.count ?? 0)
            + [query, key, value, attentionOutput, gate, up, down].reduce(0) { $0 + $1.rows * $1.cols }
    }
}
