import Foundation

/// Per-block LoRA ranks by CFSP.md section 4: r_l = clamp(round(r * w_l / mean(w)), r_min, r_max),
/// so the mean rank stays r and the trainable parameters stay near those of uniform rank r.
public enum LoRARankAllocator {
    /// Ranks for `blockCount` blocks. `importance` holds B_l (needed for `.importance`),
    /// `keepRatios` the kept FFN fraction per block (needed for `.pruned`).
    public static func ranks(
        blockCount: Int, rank: Int, minRank: Int, maxRank: Int, allocation: RankAllocation, gamma: Double,
        importance: [Double]? = nil, keepRatios: [Double]? = nil
    ) throws(FineTuneError) -> [Int] {
        guard blockCount > 0 else { throw .allocationMismatch("the model has no blocks") }
        let weights: [Double]
        switch allocation {
        case .uniform:
            weights = Array(repeating: 1, count: blockCount)
        case .importance:
            guard let importance, importance.count == blockCount else {
                throw .allocationMismatch(
                    "importance allocation needs one block importance B_l per block (\(blockCount)), got \(importance?.count ?? 0); calibrate first or use uniform")
            }
            guard importance.allSatisfy({ $0.isFinite && $0 >= 0 }) else {
                throw .allocationMismatch("block importances must be finite and non-negative")
            }
            weights = importance.map { pow($0, gamma) }
        case .pruned:
            guard let keepRatios, keepRatios.count == blockCount else {
                throw .allocationMismatch(
                    "pruned allocation needs one keep ratio per block (\(blockCount)), got \(keepRatios?.count ?? 0)")
            }
            guard keepRatios.allSatisfy({ $0.isFinite && $0 >= 0 && $0 <= 1 }) else {
                throw .allocationMismatch("keep ratios must lie in [0, 1]")
            }
            weights = keepRatios.map { pow(1 - $0, gamma) }
        }
        let mean = weights.reduce(0, +) / Double(blockCount)
        guard mean > 0 else {
            return Array(repeating: min(max(rank, minRank), maxRank), count: blockCount)
        }
        return weights.map { w in
            let raw = (Double(rank) * w / mean).rounded()
            return min(max(Int(raw), minRank), maxRank)
        }
    }
}
