import Core
import Kernels
import Testing

/// LoRA+ (`FineTuneOptions.loraPlusRatio`): the B matrices learn at a multiple of the A
/// matrices' rate, and only they do.
struct TrainingLoRAPlusTests {
    @Test func rateScalesCoverExactlyTheBMatrices() throws {
        let model = try TrainingTrainerTests.tinyModel()
        let network = try LoRANetwork(model: model, ranks: [2, 3, 1, 4], seed: 0, maxTokens: 8)
        #expect(network.rateScales(bMatrices: 1) == nil, "ratio 1 needs no per-parameter scales")
        let scales = try #require(network.rateScales(bMatrices: 5))
        #expect(scales.count == network.parameterCount)
        var expected = [Float](repeating: 1, count: network.parameterCount)
        for layout in network.layouts.joined() {
            for i in 0..<(layout.rank * layout.outputs) { expected[layout.bOffset + i] = 5 }
        }
        #expect(scales == expected)
        let bCount = network.layouts.joined().reduce(0) { $0 + $1.rank * $1.outputs }
        #expect(scales.filter { $0 == 5 }.count == bCount)
    }

    /// After one AdamW step from B = 0 the A matrices have had no gradient and each B entry has
    /// moved by -rate x sign(g) (the first bias-corrected Adam step), so the merged weights'
    /// change 2 B A is exactly proportional to the B rate: ratio 3 moves them 3 times as far.
    @Test func oneStepMovesTheMergedWeightsInProportionToTheRatio() throws {
        let model = try TrainingTrainerTests.tinyModel(seed: 11)
        let data = TrainingTrainerTests.windows(count: 2, length: 12, seed: 4)
        let pool = ThreadPool(threads: 1)
        func delta(ratio: Float) throws -> [Float] {
            var options = FineTuneOptions(steps: 1, rank: 2, allocation: .uniform)
            options.sequenceLength = 12
            options.learningRate = 1e-3
            options.loraPlusRatio = ratio
            options.clipNorm = nil
            let merged = try RecoveryTrainer(options: options).train(model: model, windows: data, pool: pool).model
            return zip(merged.blocks, model.blocks).flatMap { trained, base in
                LoRATarget.allCases.flatMap { target in
                    zip(target.weights(in: trained).unpacked(), target.weights(in: base).unpacked()).map { $0 - $1 }
                }
            }
        }
        let plain = try delta(ratio: 1)
        let plus = try delta(ratio: 3)
        let largest = plain.map(abs).max() ?? 0
        #expect(largest > 1e-6, "one step changes the weights")
        for (p, q) in zip(plain, plus) {
            #expect(abs(q - 3 * p) <= 1e-3 * largest, "\(q) vs 3 x \(p)")
        }
    }

    @Test func nonPositiveOrNonFiniteRatiosAreRejected() {
        for ratio: Float in [0, -1, .infinity, .nan] {
            var options = FineTuneOptions(steps: 1)
            options.loraPlusRatio = ratio
            #expect(throws: FineTuneError.self) { try options.validate() }
        }
    }
}
