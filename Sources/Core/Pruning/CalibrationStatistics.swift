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

    public init(width: Int) {
        activationSquareSum = Array(repeating: 0, count: width)
        activationSum = Array(repeating: 0, count: width)
    }

    /// FFN width this block had when it was measured.
    public var width: Int { activationSum.count }
}

/// The calibration of one model: per-block statistics plus how they were gathered. Saved to
/// and loaded from JSON, so a user calibrates once and prunes many times.
public struct CalibrationStatistics: Sendable, Codable, Equatable {
    /// Bumped when the meaning of a field changes.
    public static let formatVersion = 1
    public var formatVersion = CalibrationStatistics.formatVersion
    public var blocks: [BlockStatistics]
    /// Windows seen (N) and tokens per window (S).
    public var windows: Int = 0
    public var windowSize: Int = 0
    /// Tokens seen in all (N * S).
    public var tokens: Int = 0
    /// Hidden size of the model, to refuse statistics from another model.
    public var hiddenSize: Int

    public init(widths: [Int], hiddenSize: Int) {
        blocks = widths.map { BlockStatistics(width: $0) }
        self.hiddenSize = hiddenSize
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
