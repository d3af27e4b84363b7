import Core
import Foundation
import Kernels
import Testing
import TestSupport

@Suite struct PruningTests {
    static func calibrated(_ model: LlamaModel, threads: Int = 2) throws -> CalibrationStatistics {
        var rng = TestRandom(seed: 99)
        let windows = (0..<4).map { _ in (0..<16).map { _ in Int32(rng.next() % UInt64(model.config.vocabSize)) } }
        return try Calibrator().calibrate(model: model, windows: windows, pool: ThreadPool(threads: threads))
    }

    static func tinyModel(seed: UInt64 = 17) throws -> LlamaModel {
        var config = LlamaConfig.tiny(layers: 3, hidden: 32, ffn: 64, vocab: 60)
        config.intermediateSizes = [64, 48, 64]
        return try LlamaModel.random(config: config, seed: seed)
    }

    @Test func statisticsMatchANaiveRecount() throws {
        let model = try Self.tinyModel()
        let stats = try Self.calibrated(model)
        #expect(stats.windows == 4 && stats.tokens == 64 && stats.windowSize == 16)
        #expect(stats.blocks.map(\.width) == [64, 48, 64])
        // Every token's angular distance lies in [0, 1], so the sum lies in [0, tokens].
        #expect(stats.blocks.allSatisfy { $0.angularSum > 0 && $0.angularSum < 64 })
        #expect(stats.blocks.allSatisfy { $0.activationSquareSum.allSatisfy { $0 > 0 } })
        // Energy is the per-window mean of squared activations; variance is never negative.
        let e = stats.activationEnergy(block: 1)
        #expect(zip(e, stats.blocks[1].activationSquareSum).allSatisfy { abs($0 * 4 - $1) < 1e-9 * max(1, $1) })
        #expect(stats.activationVariance(block: 2).allSatisfy { $0 >= 0 })
    }

    @Test func neuronSumsEqualANaiveRowOrderRecountBitForBit() throws {
        // Widths across the accumulator's 64-column chunks: a full chunk plus a ragged one.
        var config = LlamaConfig.tiny(layers: 2, hidden: 32, ffn: 130, vocab: 60)
        config.intermediateSizes = [130, 64]
        let model = try LlamaModel.random(config: config, seed: 29)
        var rng = TestRandom(seed: 3)
        let windows = (0..<3).map { _ in (0..<21).map { _ in Int32(rng.next() % UInt64(config.vocabSize)) } }
        let stats = try Calibrator(gram: false).calibrate(model: model, windows: windows, pool: ThreadPool(threads: 2))
        let z = try ActivationRecorder.record(model, windows: windows)
        for (l, width) in config.intermediateSizes.enumerated() {
            var sums = [Double](repeating: 0, count: width), squares = sums
            for w in 0..<windows.count {  // per window in token order, then added: the documented order
                var windowSums = [Double](repeating: 0, count: width), windowSquares = windowSums
                for row in z[l][(w * 21)..<((w + 1) * 21)] {
                    for j in 0..<width { windowSums[j] += row[j]; windowSquares[j] += row[j] * row[j] }
                }
                for j in 0..<width { sums[j] += windowSums[j]; squares[j] += windowSquares[j] }
            }
            #expect(stats.blocks[l].activationSum == sums, "block \(l)")
            #expect(stats.blocks[l].activationSquareSum == squares, "block \(l)")
        }
    }

    @Test func statisticsRoundTripThroughJSON() throws {
        let stats = try Self.calibrated(try Self.tinyModel())
        let data = try JSONEncoder().encode(stats)
        #expect(try JSONDecoder().decode(CalibrationStatistics.self, from: data) == stats)
    }

    @Test func cfspRefRanksExactlyAsActivation() throws {
        let model = try Self.tinyModel()
        let stats = try Self.calibrated(model)
        for p in [0.2, 0.5, 0.8] {
            let ref = try Pruner().plan(model: model, statistics: stats, options: PruningOptions(sparsity: p, method: .cfspRef))
            let act = try Pruner().plan(model: model, statistics: stats, options: PruningOptions(sparsity: p, method: .activation))
            #expect(ref.blocks.map(\.kept) == act.blocks.map(\.kept))
            var noB = PruningOptions(sparsity: p, method: .cfspRef)
            noB.downExponent = 0
            #expect(try Pruner().plan(model: model, statistics: stats, options: noB).blocks.map(\.kept)
                    == ref.blocks.map(\.kept))  // b has no effect on cfsp-ref
        }
    }

    @Test func cfspExponentsChangeTheKeptSet() throws {
        let model = try Self.tinyModel()
        let stats = try Self.calibrated(model)
        let base = try Pruner().plan(model: model, statistics: stats, options: PruningOptions(sparsity: 0.5))
        var b2 = PruningOptions(sparsity: 0.5)
        b2.downExponent = 3
        var c0 = PruningOptions(sparsity: 0.5)
        c0.activationExponent = 0
        #expect(try Pruner().plan(model: model, statistics: stats, options: b2).blocks.map(\.kept) != base.blocks.map(\.kept))
        #expect(try Pruner().plan(model: model, statistics: stats, options: c0).blocks.map(\.kept) != base.blocks.map(\.kept))
        // Same budget whatever the exponents: only which neurons, not how many.
        #expect(try Pruner().plan(model: model, statistics: stats, options: b2).blocks.map(\.keptCount)
                == base.blocks.map(\.keptCount))
    }

    @Test(arguments: PruningMethod.allCases)
    func everyMethodHitsTheBudgetAndIsDeterministicAcrossThreads(method: PruningMethod) throws {
        let model = try Self.tinyModel()
        let one = try Self.calibrated(model, threads: 1)
        let two = try Self.calibrated(model, threads: 2)
        #expect(one == two)  // bit-identical statistics
        let plan = try Pruner().plan(model: model, statistics: one, options: PruningOptions(sparsity: 0.3, method: method))
        #expect(plan.keptNeurons == Int((Double(176) * 0.7).rounded()))
        #expect(plan.blocks.allSatisfy { $0.keptCount == $0.kept.count && $0.keptCount >= 1 })
        #expect(plan == (try Pruner().plan(model: model, statistics: two, options: PruningOptions(sparsity: 0.3, method: method))))
    }

    @Test func keepingEveryNeuronReproducesTheDenseLogitsExactly() throws {
        let model = try Self.tinyModel()
        let pruned = try model.compressed(keeping: model.blocks.map { Array(0..<$0.ffnWidth) })
        let tokens: [Int32] = [4, 8, 15, 16, 23, 42]
        let pool = ThreadPool(threads: 2)
        #expect(try pruned.logits(for: tokens, pool: pool) == model.logits(for: tokens, pool: pool))
    }

    @Test func removingNeuronsWithZeroDownColumnsChangesNothing() throws {
        let model = try Self.tinyModel()
        // Zero the down-projection columns of every odd neuron, then prune exactly those.
        let blocks = model.blocks.map { block -> LlamaBlockWeights in
            var down = block.down.unpacked()
            for i in 0..<block.down.rows { for j in stride(from: 1, to: block.ffnWidth, by: 2) { down[i * block.ffnWidth + j] = 0 } }
            var b = block
            b.down = PackedWeights(rows: block.down.rows, cols: block.down.cols, values: down, precision: .f32)
            return b
        }
        let zeroed = try LlamaModel(config: model.config, embedding: model.embedding, blocks: blocks,
                                    finalNorm: model.finalNorm, outputHead: model.outputHead, precision: .f32)
        let pruned = try zeroed.compressed(keeping: blocks.map { Array(stride(from: 0, to: $0.ffnWidth, by: 2)) })
        #expect(pruned.config.intermediateSizes == [32, 24, 32])
        let tokens: [Int32] = [1, 2, 3, 5, 8, 13, 21]
        let pool = ThreadPool(threads: 1)
        let a = try zeroed.logits(for: tokens, pool: pool), b = try pruned.logits(for: tokens, pool: pool)
        let scale = a.map(abs).max()!
        #expect(zip(a, b).allSatisfy { abs($0 - $1) <= 1e-5 * scale })
    }

    @Test func flapBiasIsTheRemovedNeuronsMeanOutput() throws {
        let model = try Self.tinyModel()
        let stats = try Self.calibrated(model)
        let (pruned, plan) = try Pruner().prune(model: model, statistics: stats, options: PruningOptions(sparsity: 0.5, method: .flap))
        for l in 0..<3 {
            let down = model.blocks[l].down.unpacked()
            let width = model.blocks[l].ffnWidth
            let means = stats.blocks[l].activationSum.map { $0 / Double(stats.tokens) }
            let kept = Set(plan.blocks[l].kept)
            let bias = try #require(pruned.blocks[l].downBias)
            for i in 0..<32 {
                let want = (0..<width).filter { !kept.contains($0) }.reduce(0.0) { $0 + means[$1] * Double(down[i * width + $1]) }
                #expect(abs(Double(bias[i]) - want) <= 1e-5 * max(1, abs(want)))
            }
        }
        // Methods other than FLAP add no bias.
        let (plain, _) = try Pruner().prune(model: model, statistics: stats, options: PruningOptions(sparsity: 0.5))
        #expect(plain.blocks.allSatisfy { $0.downBias == nil })
    }

    @Test func statisticsFromAnotherModelAreRefused() throws {
        let stats = try Self.calibrated(try Self.tinyModel())
        let other = try LlamaModel.random(config: .tiny(), seed: 1)
        #expect(throws: PruningError.self) {
            try Pruner().plan(model: other, statistics: stats, options: PruningOptions(sparsity: 0.3))
        }
    }
}
