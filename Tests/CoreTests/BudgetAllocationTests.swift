import Core
import Foundation
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
}
