/// How the coarse step measures a block's importance from its input and output (CFSP.md §1).
public enum BlockMetric: String, Sendable, Codable, CaseIterable {
    /// Angular distance acos(cos(x, y)) / pi, summed over tokens (the default, as the paper).
    case angular
    /// 1 - cos(x, y), summed over tokens.
    case cosine
    /// mean_h (x - y)^2, summed over tokens.
    case mse
    /// mean_h |x - y|, summed over tokens.
    case mae

    /// The metric used when none is named: angular, as the paper.
    public static let standard = BlockMetric.angular

    /// B_l for every block: the metric summed over all calibration tokens.
    public func importance(_ statistics: CalibrationStatistics) -> [Double] {
        statistics.blocks.map { b in
            switch self {
            case .angular: return b.angularSum
            case .cosine: return b.cosineSum
            case .mse: return b.mseSum
            case .mae: return b.maeSum
            }
        }
    }
}
