import Core
import Foundation
import Kernels
import Testing
import TestSupport

extension TrainingReference {
    /// Mean per-token (1 - w) T² KL(p_teacher || p_student) + w x cross-entropy of `tokens`, the
    /// student `network.model` + adapters `p`, the teacher `teacher` as it is, in Double.
    static func distillationLoss(_ network: LoRANetwork, _ p: [Double], _ tokens: [Int32], teacher: LlamaModel,
                                 temperature t: Double, lmWeight w: Double) -> Double {
        let model = network.model
        let final = NaiveLlama.finalHidden(model, tokens) { l, part, x in
            lora(x, NaiveLlama.matrix(part.weights(in: model.blocks[l])), network.layouts[l][part.rawValue], p)
        }
        let student = NaiveLlama.linear(final, NaiveLlama.matrix(model.outputHead))
        let reference = NaiveLlama.logits(teacher, tokens)
        func logSoftmax(_ x: [Double]) -> [Double] {
            let m = x.max()!
            let lse = m + log(x.reduce(0) { $0 + exp($1 - m) })
            return x.map { $0 - lse }
        }
        var total = 0.0
        for position in 0..<(tokens.count - 1) {
            let logPT = logSoftmax(reference[position].map { $0 / t })
            let logPS = logSoftmax(student[position].map { $0 / t })
            let kl = zip(logPT, logPS).reduce(0) { $0 + exp($1.0) * ($1.0 - $1.1) }
            total += (1 - w) * t * t * kl - w * logSoftmax(student[position])[Int(tokens[position + 1])]
        }
        return total / Double(tokens.count - 1)
    }
}

/// Distillation from the dense model as the recovery objective: its gradient through the whole
/// network, the self-distillation control (zero loss and gradient), learning, and the checks
/// that a distillation run has a fitting teacher.
struct TrainingDistillationTests {
    static let config = LlamaConfig.tiny(layers: 2, hidden: 32, heads: 4, kvHeads: 2, ffn: 40, vocab: 50, context: 16)
    static let tokens: [Int32] = [3, 17, 42, 8, 8, 29, 0, 49, 12, 5]

    /// Random nonzero B so every A gradient is non-trivial too.
    static func randomizeB(_ network: LoRANetwork, seed: UInt64) {
        var rng = TestRandom(seed: seed)
        for block in network.layouts {
            for a in block { for i in 0..<(a.outputs * a.rank) { network.setParameter(a.bOffset + i, rng.uniform(-0.3, 0.3)) } }
        }
    }

    @Test(arguments: [(Float(1), Float(0)), (2, 0.3)])
    func distillationGradientsMatchFloat64FiniteDifferences(temperature: Float, lmWeight: Float) throws {
        let student = try LlamaModel.random(config: Self.config, seed: 31)
        let teacher = try LlamaModel.random(config: Self.config, seed: 32)
        let distillation = Distillation(teacher: teacher, temperature: temperature, lmWeight: lmWeight)
        let network = try LoRANetwork(model: student, ranks: [2, 3], seed: 33, maxTokens: 16, distillation: distillation)
        Self.randomizeB(network, seed: 34)
        let pool = ThreadPool(threads: 2)
        network.zeroGradients()
        let loss = try network.accumulateGradients(window: Self.tokens, pool: pool)
        let params = network.parameterValues.map(Double.init)
        let t = Double(temperature), w = Double(lmWeight)
        func reference(_ p: [Double]) -> Double {
            TrainingReference.distillationLoss(network, p, Self.tokens, teacher: teacher, temperature: t, lmWeight: w)
        }
        #expect(abs(loss - reference(params)) < 1e-4, "forward loss \(loss) against \(reference(params))")
        #expect(loss > 0.01, "two different models disagree")
        let analytic = network.gradientValues
        var diffSquares = 0.0, refSquares = 0.0, checked = 0
        for index in stride(from: 0, to: params.count, by: 5) {
            let eps = 1e-5
            var plus = params, minus = params
            plus[index] += eps
            minus[index] -= eps
            let numeric = (reference(plus) - reference(minus)) / (2 * eps)
            diffSquares += (Double(analytic[index]) - numeric) * (Double(analytic[index]) - numeric)
            refSquares += numeric * numeric
            #expect(abs(Double(analytic[index]) - numeric) < 1e-3 * abs(numeric) + 2e-5, "parameter \(index)")
            checked += 1
        }
        #expect(checked > 100)
        #expect(refSquares > 0)
        #expect((diffSquares / refSquares).squareRoot() < 1e-3, "relative error of the whole gradient")
    }

    /// The control of the recovery benchmark: distilling a model into itself starts at zero loss
    /// and zero gradient (the adapters start at B = 0), so training it changes nothing.
    @Test func distillingAModelIntoItselfGivesZeroLossAndGradient() throws {
        let model = try LlamaModel.random(config: Self.config, seed: 41)
        let network = try LoRANetwork(model: model, ranks: [3, 3], seed: 42, maxTokens: 16,
                                      distillation: Distillation(teacher: model))
        let pool = ThreadPool(threads: 2)
        network.zeroGradients()
        let loss = try network.accumulateGradients(window: Self.tokens, pool: pool)
        #expect(abs(loss) < 1e-9, "loss \(loss)")
        let largest = network.gradientValues.map { abs($0) }.max() ?? .infinity
        #expect(largest < 1e-7, "largest gradient \(largest)")
        // The same network with the LM objective has a real gradient: the zero is the objective's.
        let lm = try LoRANetwork(model: model, ranks: [3, 3], seed: 42, maxTokens: 16)
        lm.zeroGradients()
        _ = try lm.accumulateGradients(window: Self.tokens, pool: pool)
        #expect((lm.gradientValues.map { abs($0) }.max() ?? 0) > 1e-4)
    }

    @Test func distillationStepsLowerTheKLToTheTeacher() throws {
        let config = LlamaConfig.tiny(layers: 4, hidden: 32, heads: 4, kvHeads: 2, ffn: 40, vocab: 50, context: 32)
        let teacher = try LlamaModel.random(config: config, seed: 7)
        let student = try LlamaModel.random(config: config, seed: 8)
        let data = TrainingTrainerTests.windows(count: 4, length: 12, seed: 5)
        let pool = ThreadPool(threads: 2)
        var options = TrainingTrainerTests.options(steps: 30)
        options.objective = .distillation
        let result = try RecoveryTrainer(options: options).train(model: student, windows: data, teacher: teacher, pool: pool)
        // The KL of a model to the teacher: a network with no adapters scores it.
        func kl(_ model: LlamaModel) throws -> Double {
            let probe = try LoRANetwork(model: model, ranks: [0, 0, 0, 0], seed: 0, maxTokens: 12,
                                        distillation: Distillation(teacher: teacher))
            return try data.reduce(0) { $0 + (try probe.loss(window: $1, pool: pool)) } / Double(data.count)
        }
        let before = try kl(student), after = try kl(result.model)
        #expect(before > 0.05)
        #expect(after < 0.7 * before, "KL to the teacher \(before) -> \(after)")
        let first = result.lossCurve.prefix(3).reduce(0, +) / 3
        let last = result.lossCurve.suffix(3).reduce(0, +) / 3
        #expect(last < first, "training loss \(first) -> \(last)")
    }

    @Test func distillationNeedsAFittingTeacher() throws {
        let model = try LlamaModel.random(config: Self.config, seed: 1)
        let pool = ThreadPool(threads: 1)
        let data: [[Int32]] = [[1, 2, 3, 4]]
        var options = TrainingTrainerTests.options(steps: 1)
        options.objective = .distillation
        #expect(throws: FineTuneError.invalidTeacher(
            "objective 'distillation' needs a teacher model (the dense model the student was pruned from)")) {
            try RecoveryTrainer(options: options).train(model: model, windows: data, pool: pool)
        }
        #expect(throws: FineTuneError.self, "a teacher with the language-model objective would be ignored") {
            try RecoveryTrainer(options: TrainingTrainerTests.options(steps: 1)).train(
                model: model, windows: data, teacher: model, pool: pool)
        }
        let otherVocabulary = try LlamaModel.random(
            config: .tiny(layers: 2, hidden: 32, heads: 4, kvHeads: 2, ffn: 40, vocab: 60, context: 16), seed: 2)
        do {
            _ = try RecoveryTrainer(options: options).train(model: model, windows: data, teacher: otherVocabulary, pool: pool)
            Issue.record("a teacher with another vocabulary was accepted")
        } catch let error as FineTuneError {
            #expect(error.description.contains("60 tokens"))
        }
        for (temperature, weight) in [(Float(0), Float(0)), (1, 1.5), (.infinity, 0)] {
            options.distillationTemperature = temperature
            options.distillationLMWeight = weight
            #expect(throws: FineTuneError.self) { try options.validate() }
        }
    }
}
