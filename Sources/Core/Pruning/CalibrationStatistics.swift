/// What one dense forward pass over the calibration windows measured for one block
/// (CFSP.md section 1). Sums are kept (not means) so statistics from separate runs add up.
public struct BlockStatistics: Sendable, Codable, Equatable {
    /// Sum over tokens of the angular distance d_t = acos(cos(x_t, y_t)) / pi.
    public var angularSum: Double = 0
    /// Sum over tokens of 1 - cos(x_t, y_t).
    public var cosineSum: Double = 0
    /// Sum over tokens of mean_h (x - y)^2.
    public var mseSum: Double = 0
    /// Sum over tokens of mean_h |x - y|.
    public var maeSum: Double = 0
    /// Per FFN neuron: sum over all tokens of z_tj^2.
    public var activationSquareSum: [Double]
    /// Per FFN neuron: sum over all tokens of z_tj.
    public var activationSum: [Double]
    /// G = sum over all tokens of z_t^T z_t (width x width), what the down-projection
    /// compensation needs; nil when calibrated without it or read from a format-1 file.
    public var gram: GramMatrix?

    /// Sum over tokens of the angular distance across the attention residual step (block input
    /// x vs middle m = x + attention): the depth score of the attention sublayer. nil in
    /// files of calibration format 2 and older.
    public var attentionAngularSum: Double?
    /// Sum over tokens of the angular distance across the FFN residual step (m vs the block
    /// output y): the depth score of the FFN sublayer. nil before format 3.
    public var ffnAngularSum: Double?
    /// Per input channel of the attention output projection (query heads x head size, head
    /// by head): sum over all tokens of a_tc^2, what KV groups are scored by. nil before format 3.
    public var attentionSquareSum: [Double]?
    /// The Gram matrix of the attention output projection's input, sum over tokens of
    /// a_t^T a_t (channels x channels), what the o_proj compensation of KV-group pruning needs;
    /// nil when calibrated without Gram matrices or before format 3.
    public var attentionGram: GramMatrix?

    /// Empty statistics of a block `width` neurons wide, with a zero Gram matrix when `gram`;
    /// with `attentionWidth` (the o_proj input width), empty sublayer and attention statistics too.
    public init(width: Int, gram: Bool = false, attentionWidth: Int? = nil) {
        activationSquareSum = Array(repeating: 0, count: width)
        activationSum = Array(repeating: 0, count: width)
        self.gram = gram ? GramMatrix(size: width) : nil
        if let attentionWidth {
            attentionAngularSum = 0
            ffnAngularSum = 0
            attentionSquareSum = Array(repeating: 0, count: attentionWidth)
            attentionGram = gram ? GramMatrix(size: attentionWidth) : nil
        }
    }

    /// Whether this block has the sublayer statistics attention and depth pruning need.
    public var hasSublayerStatistics: Bool {
        attentionAngularSum != nil && ffnAngularSum != nil && attentionSquareSum != nil
    }

    /// FFN width this block had when it was measured.
    public var width: Int { activationSum.count }
}

/// The calibration of one model: per-block statistics plus how they were gathered. Saved to
/// and loaded from JSON, so a user calibrates once and prunes many times.
public struct CalibrationStatistics: Sendable, Codable, Equatable {
    /// Bumped when the meaning of a field changes. 2 added the per-block Gram matrices
    /// (`gram`); format-1 files still load, without them. 3 added the sublayer statistics
    /// (angular distances across the attention and FFN residual steps, the attention output
    /// energies per channel and their Gram matrix); format-2 files still load, without them
    /// (FFN pruning works as before; attention and depth pruning ask for a new calibration).
    public static let formatVersion = 3
    public var formatVersion = CalibrationStatistics.formatVersion
    public var blocks: [BlockStatistics]
    /// Windows seen (N) and tokens per window (S).
    public var windows: Int = 0
    public var windowSize: Int = 0
    /// Tokens seen in all (N * S).
    public var tokens: Int = 0
    /// Hidden size of the model, to refuse statistics from another model.
    public var hiddenSize: Int

    /// Empty statistics for blocks of FFN widths `widths`, with zero Gram matrices when `gram`;
    /// with `attentionWidths` (each block's o_proj input width), sublayer statistics too.
    public init(widths: [Int], hiddenSize: Int, gram: Bool = false, attentionWidths: [Int]? = nil) {
        blocks = widths.indices.map { BlockStatistics(width: widths[$0], gram: gram, attentionWidth: attentionWidths?[$0]) }
        self.hiddenSize = hiddenSize
    }

    /// Whether every block has the sublayer statistics (calibration format 3).
    public var hasSublayerStatistics: Bool { blocks.allSatisfy(\.hasSublayerStatistics) }

    /// Throws the error that says why attention or depth pruning cannot use these statistics.
    public func requireSublayerStatistics(for what: String) throws(PruningError) {
        guard hasSublayerStatistics else {
            throw .statisticsMismatch(
                "\(what) needs the sublayer statistics of calibration format 3 (angular distances across each sublayer, attention output energies), and these were saved in format \(formatVersion)")
        }
    }

    /// Whether every block has its Gram matrix (what compensation needs).
    public var hasGram: Bool { blocks.allSatisfy { $0.gram?.size == $0.width } }

    /// Block l's Gram matrix, or the error that says why there is none and what to do.
    public func gram(block: Int, neededBy compensation: Compensation) throws(PruningError) -> GramMatrix {
        guard let gram = blocks[block].gram, gram.size == blocks[block].width else {
            throw .missingGram(
                "compensation '\(compensation.rawValue)' needs the FFN Gram matrices, and this calibration has none (\(formatVersion < 2 ? "it was saved in calibration format \(formatVersion), before they existed" : "it was calibrated with gram: false")); calibrate again with gram: true, or prune with compensation: none")
        }
        return gram
    }

    /// E_j = (1/N) * sum over windows and tokens of z_tj^2 (the reference's `scaler_row`).
    public func activationEnergy(block: Int) -> [Double] {
        let n = Double(max(windows, 1))
        return blocks[block].activationSquareSum.map { $0 / n }
    }

    /// A_j = sqrt(E_j).
    public func activationNorm(block: Int) -> [Double] {
        activationEnergy(block: block).map { $0.squareRoot() }
    }

    /// Per-neuron mean of z_tj over all tokens.
    public func activationMean(block: Int) -> [Double] {
        let t = Double(max(tokens, 1))
        return blocks[block].activationSum.map { $0 / t }
    }

    /// Per-neuron unbiased variance of z_tj over all tokens (FLAP's fluctuation).
    public func activationVariance(block: Int) -> [Double] {
        let t = Double(tokens)
        guard t > 1 else { return Array(repeating: 0, count: blocks[block].width) }
        let b = blocks[block]
        return zip(b.activationSquareSum, b.activationSum).map { sq, s in max(0, (sq - s * s / t) / (t - 1)) }
    }
}
