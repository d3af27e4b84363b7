import Core
import Foundation
import Kernels
import Testing
import TestSupport

/// The recovery trainer end to end on tiny seeded models: rank rule, determinism, learning,
/// cancellation, time budget and option checks.
struct TrainingTrainerTests {
    static func tinyModel(seed: UInt64 = 7) throws -> LlamaModel {
        try LlamaModel.random(config: .tiny(layers: 4, hidden: 32, heads: 4, kvHeads: 2, ffn: 40, vocab: 50, context: 32),
                              seed: seed)
    }

    static func windows(count: Int, length: Int, seed: UInt64) -> [[Int32]] {
        var rng = TestRandom(seed: seed)
        return (0..<count).map { _ in (0..<length).map { _ in Int32(rng.next() % 50) } }
    }

    @Test func rankRuleFollowsCFSPSectionFour() throws {
        let importance = [1.0, 2, 3, 2]
        #expect(try LoRARankAllocator.ranks(blockCount: 4, rank: 8, minRank: 1, maxRank: 64, allocation: .importance,
                                            gamma: 1, importance: importance) == [4, 8, 12, 8])
        #expect(try LoRARankAllocator.ranks(blockCount: 4, rank: 8, minRank: 1, maxRank: 10, allocation: .importance,
                                            gamma: 1, importance: importance) == [4, 8, 10, 8])
        // gamma 2: w = 1, 4, 9, 4 (mean 4.5) -> 8/4.5 * w.
        #expect(try LoRARankAllocator.ranks(blockCount: 4, rank: 8, minRank: 1, maxRank: 64, allocation: .importance,
                                            gamma: 2, importance: importance) == [2, 7, 16, 7])
        #expect(try LoRARankAllocator.ranks(blockCount: 4, rank: 8, minRank: 1, maxRank: 64, allocation: .pruned,
                                            gamma: 1, keepRatios: [0.5, 0.75, 1, 0.75]) == [16, 8, 1, 8])
        #expect(try LoRARankAllocator.ranks(blockCount: 3, rank: 5, minRank: 1, maxRank: 64, allocation: .uniform,
                                            gamma: 1) == [5, 5, 5])
        #expect(throws: FineTuneError.self) {
            try LoRARankAllocator.ranks(blockCount: 4, rank: 8, minRank: 1, maxRank: 64, allocation: .importance,
                                        gamma: 1, importance: [1, 2])
        }
        #expect(throws: FineTuneError.self) {
            try LoRARankAllocator.ranks(blockCount: 2, rank: 8, minRank: 1, maxRank: 64, allocation: .pruned,
                                        gamma: 1, keepRatios: [0.5, 1.5])
        }
    }

    @Test func importanceRanksKeepTheUniformParameterCount() throws {
        let model = try Self.tinyModel()
        let ranks = try LoRARankAllocator.ranks(blockCount: 4, rank: 8, minRank: 1, maxRank: 64, allocation: .importance,
                                                gamma: 1, importance: [1, 2, 3, 2])
        let guided = try LoRANetwork(model: model, ranks: ranks, seed: 0, maxTokens: 8)
        let uniform = try LoRANetwork(model: model, ranks: [8, 8, 8, 8], seed: 0, maxTokens: 8)
        #expect(guided.parameterCount == uniform.parameterCount)
        // 8 x (q 32+32, k 32+16, v 32+16, o 32+32, gate 32+40, up 32+40, down 40+32) per block.
        #expect(uniform.parameterCount == 4 * 8 * (64 + 48 + 48 + 64 + 72 + 72 + 72))
    }

    static func options(steps: Int) -> FineTuneOptions {
        var options = FineTuneOptions(steps: steps, rank: 4, allocation: .uniform)
        options.batchSize = 2
        options.gradientAccumulation = 2
        options.sequenceLength = 12
        options.learningRate = 1e-2
        options.warmupSteps = 2
        options.seed = 42
        return options
    }

    @Test func sameSeedSameThreadsGivesBitIdenticalRuns() throws {
        let model = try Self.tinyModel()
        let data = Self.windows(count: 6, length: 24, seed: 3)
        let pool = ThreadPool(threads: 2)
        let trainer = RecoveryTrainer(options: Self.options(steps: 6))
        let first = try trainer.train(model: model, windows: data, pool: pool)
        let second = try trainer.train(model: model, windows: data, pool: pool)
        #expect(first.lossCurve.count == 6)
        #expect(first.lossCurve == second.lossCurve)
        let probe: [Int32] = [1, 2, 3, 4, 5, 6, 7]
        #expect(try first.model.logits(for: probe, pool: pool) == second.model.logits(for: probe, pool: pool))
        var other = Self.options(steps: 6)
        other.seed = 43
        let third = try RecoveryTrainer(options: other).train(model: model, windows: data, pool: pool)
        #expect(third.lossCurve != first.lossCurve, "the seed matters")
    }

    @Test func trainingLowersTheLossAndTheMergedModelKeepsItsShapes() throws {
        let model = try Self.tinyModel(seed: 9)
        let data = Self.windows(count: 2, length: 12, seed: 5)
        let pool = ThreadPool(threads: 2)
        var options = Self.options(steps: 40)
        options.batchSize = 1
        options.gradientAccumulation = 1
        let result = try RecoveryTrainer(options: options).train(
            model: model, windows: data, importance: [1, 1, 2, 4], pool: pool)
        let first = result.lossCurve.prefix(2).reduce(0, +) / 2
        let last = result.lossCurve.suffix(2).reduce(0, +) / 2
        #expect(last < first - 0.5, "loss \(first) -> \(last)")
        #expect(result.model.config == model.config)
        #expect(result.model.parameterCount == model.parameterCount)
        #expect(result.trainableParameters > 0)
        #expect(!result.cancelled)
        // The merged model scores the training text better than the base model.
        let ws = ForwardWorkspace(model: model, tokens: 12)
        let before = try model.windowNegativeLogLikelihood(data[0], workspace: ws, pool: pool).sum
        let after = try result.model.windowNegativeLogLikelihood(data[0], workspace: ws, pool: pool).sum
        #expect(after < before)
    }

    @Test func cancellationKeepsTheStepsDoneAndSaysSo() throws {
        let model = try Self.tinyModel()
        let data = Self.windows(count: 4, length: 12, seed: 8)
        let pool = ThreadPool(threads: 1)
        var reports: [FineTuneProgress] = []
        let result = try RecoveryTrainer(options: Self.options(steps: 50)).train(
            model: model, windows: data, pool: pool, progress: { reports.append($0) },
            isCancelled: { reports.count >= 3 })
        #expect(result.cancelled)
        #expect(result.stepsCompleted == 3)
        #expect(result.lossCurve.count == 3)
        #expect(result.summary.contains("cancelled after 3 of 50 steps"))
        #expect(reports.map(\.step) == [1, 2, 3])
        #expect(reports.allSatisfy { $0.tokensPerSecond > 0 && $0.learningRate > 0 })
        let probe: [Int32] = [3, 1, 4, 1, 5]
        #expect(try result.model.logits(for: probe, pool: pool) != model.logits(for: probe, pool: pool),
                "the adapters of the completed steps are merged")
    }

    @Test func timeBudgetShortensTheSchedule() throws {
        let model = try Self.tinyModel()
        var options = Self.options(steps: 1000)
        options.timeBudgetSeconds = 1e-6
        let result = try RecoveryTrainer(options: options).train(
            model: model, windows: Self.windows(count: 2, length: 12, seed: 1), pool: ThreadPool(threads: 1))
        #expect(result.stepsCompleted == 1)
        #expect(result.stepsPlanned == 1)
    }

    @Test("a time budget plans the steps the rest of it affords: never more than asked, never fewer than done")
    func stepBudgetPlansFromTheTimedSteps() {
        let budget = StepBudget(seconds: 100, requested: 50)
        // First step 10 s (set-up included): 1 + 90 / 10.
        #expect(budget.plannedSteps(stepsDone: 1, spent: 10, secondsPerStep: 10) == 10)
        // Later steps take 2 s: 5 done at 18 s, 82 s left afford 41 more, 46 in all.
        #expect(budget.plannedSteps(stepsDone: 5, spent: 18, secondsPerStep: 2) == 46)
        #expect(budget.plannedSteps(stepsDone: 5, spent: 18, secondsPerStep: 1) == 50, "capped at the steps asked for")
        #expect(budget.plannedSteps(stepsDone: 9, spent: 120, secondsPerStep: 2) == 9, "a spent budget ends the run")
        #expect(StepBudget(seconds: 1e308, requested: Int.max).plannedSteps(stepsDone: 1, spent: 1, secondsPerStep: 1e-300) == Int.max)
        #expect(StepBudget.checkpoints.contains(1), "the first plan comes after the first step")
    }

    @Test func scheduleWarmsUpThenDecays() {
        let schedule = LearningRateSchedule(peak: 1, warmupSteps: 4, totalSteps: 14, minRatio: 0.1)
        #expect(schedule.rate(at: 0) == 0.25)
        #expect(schedule.rate(at: 3) == 1)
        #expect(abs(schedule.rate(at: 9) - 0.55) < 1e-6)
        #expect(abs(schedule.rate(at: 14) - 0.1) < 1e-6)
    }

    @Test func invalidOptionsAndDataAreRejected() throws {
        let model = try Self.tinyModel()
        let pool = ThreadPool(threads: 1)
        var bad = Self.options(steps: 0)
        #expect(throws: FineTuneError.self) { try RecoveryTrainer(options: bad).train(model: model, windows: [[1, 2, 3]], pool: pool) }
        bad = Self.options(steps: 2)
        bad.rank = 100
        #expect(throws: FineTuneError.self) { try RecoveryTrainer(options: bad).train(model: model, windows: [[1, 2, 3]], pool: pool) }
        #expect(throws: FineTuneError.self) {
            try RecoveryTrainer(options: Self.options(steps: 2)).train(model: model, windows: [[1]], pool: pool)
        }
        #expect(throws: (any Error).self) {
            try RecoveryTrainer(options: Self.options(steps: 2)).train(model: model, windows: [[1, 99]], pool: pool)
        }
        var guided = Self.options(steps: 2)
        guided.allocation = .importance
        #expect(throws: FineTuneError.self) {
            try RecoveryTrainer(options: guided).train(model: model, windows: [[1, 2, 3]], pool: pool)
        }
        #expect(FineTuneError.invalidOption("x").description.contains("x"))
    }
}
