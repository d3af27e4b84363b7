import Core
import Foundation
import Kernels
import Testing
import TestSupport

@Suite struct BudgetAllocationTests {
    static func sigmoid(_ x: Double) -> Double { 1 / (1 + exp(-x)) }

    @Test func keepRatiosFollowTheSigmoidRule() throws {
        // B = [0, 1e4, 2e4]: deviations of -1, 0, +1 after dividing by s0 = 1e4.
        let keep = try BudgetAllocation(sparsity: 0.5).keepRatios(importance: [0, 1e4, 2e4])
        let u = [Self.sigmoid(-1), 0.5, Self.sigmoid(1)]  // mean 0.5
        for (k, want) in zip(keep, u.map { 0.5 * $0 / 0.5 }) { #expect(abs(k - want) < 1e-12) }
        // The temperature sharpens the same deviations.
        let sharp = try BudgetAllocation(sparsity: 0.5, temperature: 2).keepRatios(importance: [0, 1e4, 2e4])
        #expect(abs(sharp[2] - Self.sigmoid(2)) < 1e-12)
    }

    @Test func capRuleSqueezesBelowOne() throws {
        let keep = try BudgetAllocation(sparsity: 0.2).keepRatios(importance: [0, 1e4, 2e4])
        // Uncapped, block 2 would keep 0.8 * sigmoid(1) / 0.5 = 1.17 > 1, so every deviation shrinks.
        let u = [Self.sigmoid(-1), 0.5, Self.sigmoid(1)]
        let m = 0.5
        let kappa = m * (1 / 0.8 - 1) / ((u[2] - m) * 1.05)
        let squeezed = u.map { m + ($0 - m) * kappa }
        let mean = squeezed.reduce(0, +) / 3
        for (k, s) in zip(keep, squeezed) { #expect(abs(k - 0.8 * s / mean) < 1e-12) }
        #expect(keep.max()! < 1)
        #expect(abs(keep.reduce(0, +) / 3 - 0.8) < 1e-12)  // the average keep is still 1 - p
    }

    @Test func keptCountsHitTheBudgetExactlyByLargestRemainder() throws {
        let budget = BudgetAllocation(sparsity: 0.5)
        let keep = try budget.keepRatios(importance: [0, 1e4, 2e4])  // 0.2689, 0.5, 0.7311
        // Floors 26 + 50 + 73 = 149; the one missing unit goes to the largest remainder (0.89).
        #expect(try budget.keptCounts(keepRatios: keep, widths: [100, 100, 100]) == [27, 50, 73])
    }

    @Test(arguments: [0.0, 0.1, 0.3, 0.5, 0.77, 0.95])
    func totalIsExactForAnySparsity(p: Double) throws {
        var rng = TestRandom(seed: UInt64(p * 1000))
        let importance = (0..<30).map { _ in Double(rng.next() % 20_000) }
        let widths = (0..<30).map { _ in 100 + Int(rng.next() % 1500) }
        let budget = BudgetAllocation(sparsity: p, scale: 5_000)
        let counts = try budget.keptCounts(keepRatios: try budget.keepRatios(importance: importance), widths: widths)
        #expect(counts.reduce(0, +) == Int((Double(widths.reduce(0, +)) * (1 - p)).rounded()))
        #expect(zip(counts, widths).allSatisfy { $0 >= 1 && $0 <= $1 })
    }

    @Test func alignRoundsToMultiples() throws {
        let budget = BudgetAllocation(sparsity: 0.5, align: 64)
        let keep = try budget.keepRatios(importance: [0, 1e4, 2e4])
        // In units of 64: ideal 1.08, 2, 2.92 -> floors 1, 2, 2 -> the sixth unit to block 2.
        #expect(try budget.keptCounts(keepRatios: keep, widths: [256, 256, 256]) == [64, 128, 192])
        // Never below one unit, never above the width.
        let tight = BudgetAllocation(sparsity: 0.9, align: 128)
        let counts = try tight.keptCounts(keepRatios: [0.01, 0.1, 0.19], widths: [1536, 1536, 1536])
        #expect(counts.allSatisfy { $0 % 128 == 0 && $0 >= 128 && $0 <= 1536 })
    }

    @Test func badArgumentsAreRejected() {
        #expect(throws: PruningError.self) { try BudgetAllocation(sparsity: 1).keepRatios(importance: [1]) }
        #expect(throws: PruningError.self) { try BudgetAllocation(sparsity: -0.1).keepRatios(importance: [1]) }
        #expect(throws: PruningError.self) { try BudgetAllocation(sparsity: 0.3).keepRatios(importance: []) }
        #expect(throws: PruningError.self) { try BudgetAllocation(sparsity: 0.3, align: 0).keptCounts(keepRatios: [1], widths: [8]) }
    }

    @Test func perTokenRuleIsThePapersAtThePapersSizeAndIgnoresTheAmount() throws {
        // The same per-token importances, measured over the paper's 131,072 tokens and over 8,192.
        let perToken = [0.20, 0.25, 0.31, 0.22, 0.28]
        let reference = perToken.map { $0 * BudgetRule.referenceTokens }
        let paper = BudgetAllocation(sparsity: 0.4, rule: .paper)
        let perTokenRule = BudgetAllocation(sparsity: 0.4)
        #expect(perTokenRule.rule == .perToken, "the default")
        let atReference = try paper.keepRatios(importance: reference, tokens: 131_072)
        #expect(try perTokenRule.keepRatios(importance: reference, tokens: 131_072) == atReference)
        let fewer = perToken.map { $0 * 8192 }
        let scaled = try perTokenRule.keepRatios(importance: fewer, tokens: 8192)
        #expect(zip(scaled, atReference).allSatisfy { abs($0 - $1) < 1e-12 })
        // The paper's rule flattens with fewer tokens: 16 x fewer tokens, 16 x smaller deviations.
        let flat = try paper.keepRatios(importance: fewer, tokens: 8192)
        func spread(_ x: [Double]) -> Double { x.max()! - x.min()! }
        #expect(spread(flat) < spread(atReference) / 8)
    }

    @Test func aTinyModelGetsTheSameAllocationFromAnyAmountOfCalibration() throws {
        var config = LlamaConfig.tiny(layers: 6, hidden: 32, ffn: 32, vocab: 64, context: 128)
        config.intermediateSizes = Array(repeating: 32, count: 6)
        let model = try LlamaModel.random(config: config, seed: 41)
        var rng = TestRandom(seed: 8)
        let text = (0..<40_000).map { _ in Int32(rng.next() % 64) }  // one "text" for both
        func calibrated(count: Int, size: Int) throws -> CalibrationStatistics {
            let windows = try CalibrationWindows.windows(of: text, windowLength: size, count: count, seed: 0)
            return try Calibrator(gram: false).calibrate(model: model, windows: windows, pool: ThreadPool(threads: 2))
        }
        let small = try calibrated(count: 128, size: 64)    // 8,192 tokens
        let moreWindows = try calibrated(count: 512, size: 64)  // 32,768 tokens, same window size
        let longer = try calibrated(count: 256, size: 128)  // 32,768 tokens, windows twice as long
        // s0 such that the per-token rule's largest deviation is 1.5 (a moderate allocation).
        let scaledSmall = BudgetRule.perToken.scaled(BlockMetric.angular.importance(small), tokens: small.tokens)
        let mean = scaledSmall.reduce(0, +) / Double(scaledSmall.count)
        let s0 = scaledSmall.map { abs($0 - mean) }.max()! / 1.5
        func keep(_ stats: CalibrationStatistics, _ rule: BudgetRule) throws -> [Double] {
            try BudgetAllocation(sparsity: 0.5, scale: s0, rule: rule)
                .keepRatios(importance: BlockMetric.angular.importance(stats), tokens: stats.tokens)
        }
        func spread(_ x: [Double]) -> Double { x.max()! - x.min()! }
        func distance(_ a: [Double], _ b: [Double]) -> Double { zip(a, b).map { abs($0 - $1) }.max()! }
        let base = try keep(small, .perToken)
        #expect(spread(base) > 0.2, "a real allocation, not a flat line: \(base)")
        // Per token: 4 x the windows changes the keep ratios by sampling noise only; twice as long
        // windows also move the per-token means a little (later positions attend further back).
        let more = try keep(moreWindows, .perToken), long = try keep(longer, .perToken)
        #expect(distance(base, more) < 0.05 * spread(base), "per-token: \(base) against \(more)")
        #expect(distance(base, long) < 0.15 * spread(base), "per-token: \(base) against \(long)")
        // The paper's rule: 4 x the tokens, about 4 x the spread.
        let paperSmall = try keep(small, .paper)
        for stats in [moreWindows, longer] {
            let paper = try keep(stats, .paper)
            #expect(spread(paper) > 3 * spread(paperSmall), "paper: \(paperSmall) against \(paper)")
        }
    }
}
