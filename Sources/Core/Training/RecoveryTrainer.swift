import Foundation
import Kernels

/// Where a fine-tuning run stands, after each optimizer step.
public struct FineTuneProgress: Sendable {
    /// Steps done (1-based).
    public var step: Int
    /// Steps the schedule plans (shrinks after step 1 when a time budget is set).
    public var totalSteps: Int
    /// Mean loss of this step's windows.
    public var loss: Double
    /// Learning rate this step used.
    public var learningRate: Float
    /// Training tokens per second so far.
    public var tokensPerSecond: Double
    /// Seconds since training started.
    public var elapsedSeconds: Double
}

/// What a fine-tuning run produced.
public struct FineTuneResult: Sendable {
    /// The base model with the adapters merged (same shapes, no extra layers).
    public var model: LlamaModel
    /// Mean loss of every completed step.
    public var lossCurve: [Double]
    /// Trainable adapter parameters.
    public var trainableParameters: Int
    /// LoRA rank of every block.
    public var ranks: [Int]
    /// Optimizer steps whose updates are in the model.
    public var stepsCompleted: Int
    /// Steps the schedule planned (after any time-budget shortening).
    public var stepsPlanned: Int
    /// True when `isCancelled` stopped the run: the model holds the adapters trained so far.
    public var cancelled: Bool
    /// True when the time budget ended the run before the planned steps.
    public var stoppedByTimeBudget: Bool
    /// Tokens of the completed steps.
    public var tokensTrained: Int
    /// Wall-clock seconds of the run, reconstruction and merge included.
    public var seconds: Double
    /// The block-output reconstruction before the steps (`FineTuneOptions.reconstructionWindows`).
    public var reconstruction: BlockReconstruction.Summary?
    /// One line saying how the run ended, for logs and RPC replies.
    public var summary: String {
        let ending = cancelled
            ? "cancelled after \(stepsCompleted) of \(stepsPlanned) steps; the adapters trained so far are merged"
            : stoppedByTimeBudget
                ? "stopped by the time budget after \(stepsCompleted) of \(stepsPlanned) steps; adapters merged"
                : "completed \(stepsCompleted) steps; adapters merged"
        return "\(ending) (\(trainableParameters) trainable parameters, final loss \(lossCurve.last.map { String(format: "%.4f", $0) } ?? "n/a"))"
    }
}

/// Recovery fine-tuning (CFSP.md section 4): LoRA on every linear layer of every block, ranks
/// spread by block importance (or uniformly), AdamW with warm-up and cosine decay, gradient
/// accumulation and clipping, then the adapters merged into the weights.
///
/// Deterministic for a seed on a fixed thread count (without a time budget, which makes the
/// schedule depend on the measured speed).
public struct RecoveryTrainer: Sendable {
    /// The run's settings.
    public var options: FineTuneOptions

    /// A trainer with `options` (checked when training starts).
    public init(options: FineTuneOptions) { self.options = options }

    /// The ranks this trainer gives `model`'s blocks. `importance` is B_l per block (calibration,
    /// `BlockMetric.importance`), `keepRatios` the pruning plan's kept fractions.
    public func ranks(for model: LlamaModel, importance: [Double]?, keepRatios: [Double]?) throws(FineTuneError) -> [Int] {
        try LoRARankAllocator.ranks(
            blockCount: model.config.numLayers, rank: options.rank, minRank: options.minRank, maxRank: options.maxRank,
            allocation: options.allocation, gamma: options.gamma, importance: importance, keepRatios: keepRatios)
    }

    /// Trains adapters on `windows` (token ids; longer windows are cut into sequence-length
    /// pieces) and returns the merged model. `teacher` is the model distillation learns from
    /// (objective `distillation` needs one; the language-model objective takes none); it runs
    /// forward on every training window, so a step costs about one more forward pass. `progress` runs after every step; `isCancelled`
    /// is checked between blocks: a cancelled run returns the adapters of its completed steps,
    /// merged, with `cancelled` set.
    public func train(
        model: LlamaModel, windows: [[Int32]], importance: [Double]? = nil, keepRatios: [Double]? = nil,
        teacher: LlamaModel? = nil, pool: ThreadPool, progress: (FineTuneProgress) -> Void = { _ in }, isCancelled: () -> Bool = { false }
    ) throws -> FineTuneResult {
        try options.validate()
        let distillation = try options.distillation(teacher: teacher)
        let pieces = try trainingPieces(windows, contextLength: model.config.contextLength)
        let start = Date()
        var model = model
        var reconstruction: BlockReconstruction.Summary? = nil
        if options.reconstructionWindows > 0 {
            guard let teacher else {
                throw FineTuneError.invalidTeacher("reconstruction needs a teacher model (the dense model the student was pruned from)")
            }
            let result = try BlockReconstruction(damping: options.reconstructionDamping).reconstruct(
                student: model, teacher: teacher, windows: Self.spread(pieces, count: options.reconstructionWindows),
                pool: pool, isCancelled: isCancelled)
            model = result.model
            reconstruction = result.summary
        }
        let trainingStart = Date()
        let ranks = try ranks(for: model, importance: importance, keepRatios: keepRatios)
        let network = try LoRANetwork(model: model, ranks: ranks, seed: options.seed,
                                      frozenPrecision: options.frozenPrecision,
                                      maxTokens: pieces.map(\.count).max() ?? 2, distillation: distillation)
        var optimizer = AdamW(count: network.parameterCount, beta1: options.beta1, beta2: options.beta2,
                              epsilon: options.adamEpsilon, weightDecay: options.weightDecay,
                              rateScale: network.rateScales(bMatrices: options.loraPlusRatio))
        var schedule = LearningRateSchedule(peak: options.learningRate, warmupSteps: options.warmupSteps,
                                            totalSteps: options.steps, minRatio: options.minLearningRateRatio)
        var order = WindowOrder(count: pieces.count, seed: options.seed)
        let windowsPerStep = options.batchSize * options.gradientAccumulation
        var lossCurve: [Double] = []
        var tokens = 0
        var cancelled = false
        var stoppedByBudget = false
        let budget = options.timeBudgetSeconds.map { StepBudget(seconds: $0, requested: options.steps) }
        var firstStepEnd = trainingStart
        step: while lossCurve.count < schedule.totalSteps {
            let step = lossCurve.count
            if let seconds = options.timeBudgetSeconds, step > 0, Date().timeIntervalSince(start) >= seconds {
                stoppedByBudget = true
                break
            }
            network.zeroGradients()
            var stepLoss = 0.0
            var stepTokens = 0
            for _ in 0..<windowsPerStep {
                let window = pieces[order.next()]
                do {
                    stepLoss += try network.accumulateGradients(
                        window: window, scale: 1 / Float(windowsPerStep), pool: pool, isCancelled: isCancelled)
                } catch is OperationCancelled {
                    cancelled = true
                    break step
                }
                stepTokens += window.count
            }
            stepLoss /= Double(windowsPerStep)
            guard stepLoss.isFinite else { throw FineTuneError.diverged(step: step + 1) }
            try clipGradients(network, step: step + 1)
            let rate = schedule.rate(at: step)
            optimizer.update(parameters: network.parameters, gradients: network.gradients, learningRate: rate)
            lossCurve.append(stepLoss)
            tokens += stepTokens
            let now = Date()
            let elapsed = now.timeIntervalSince(trainingStart)
            if step == 0 { firstStepEnd = now }
            if let budget, StepBudget.checkpoints.contains(step + 1) {
                // The first step's time includes the set-up; later plans use the steps after it.
                let secondsPerStep = step == 0 ? elapsed : now.timeIntervalSince(firstStepEnd) / Double(step)
                schedule.totalSteps = budget.plannedSteps(stepsDone: step + 1, spent: now.timeIntervalSince(start),
                                                          secondsPerStep: secondsPerStep)
            }
            progress(FineTuneProgress(step: step + 1, totalSteps: schedule.totalSteps, loss: stepLoss,
                                      learningRate: rate, tokensPerSecond: Double(tokens) / max(elapsed, 1e-9),
                                      elapsedSeconds: elapsed))
            if isCancelled() {
                cancelled = lossCurve.count < schedule.totalSteps
                break
            }
        }
        return FineTuneResult(
            model: try network.mergedModel(pool: pool), lossCurve: lossCurve,
            trainableParameters: network.parameterCount, ranks: ranks, stepsCompleted: lossCurve.count,
            stepsPlanned: schedule.totalSteps, cancelled: cancelled, stoppedByTimeBudget: stoppedByBudget,
            tokensTrained: tokens, seconds: Date().timeIntervalSince(start), reconstruction: reconstruction)
    }

    /// Scales the gradients down to the clip norm when their global L2 norm exceeds it.
    private func clipGradients(_ network: LoRANetwork, step: Int) throws {
        var squares = 0.0
        for i in 0..<network.parameterCount {
            let g = Double(network.gradients[i])
            squares += g * g
        }
        guard squares.isFinite else { throw FineTuneError.diverged(step: step) }
        guard let clip = options.clipNorm else { return }
        let norm = squares.squareRoot()
        if norm > Double(clip) {
            let factor = Float(Double(clip) / norm)
            for i in 0..<network.parameterCount { network.gradients[i] *= factor }
        }
    }

    /// `count` of `pieces` spread evenly over them (all of them when there are no more): the
    /// windows the reconstruction fits on.
    public static func spread(_ pieces: [[Int32]], count: Int) -> [[Int32]] {
        guard count < pieces.count else { return pieces }
        return (0..<count).map { pieces[$0 * pieces.count / count] }
    }

    /// The windows cut to the sequence length (pieces shorter than 2 tokens dropped).
    private func trainingPieces(_ windows: [[Int32]], contextLength: Int) throws(FineTuneError) -> [[Int32]] {
        let length = min(options.sequenceLength, contextLength)
        var pieces: [[Int32]] = []
        for window in windows {
            var start = 0
            while window.count - start >= 2 {
                let end = min(window.count, start + length)
                pieces.append(Array(window[start..<end]))
                start = end
            }
        }
        guard !pieces.isEmpty else {
            throw .invalidData("no window has the 2 tokens a next-token loss needs (\(windows.count) windows given)")
        }
        return pieces
    }
}

/// Visits window indices in seeded random order, a fresh permutation every epoch.
struct WindowOrder {
    private var generator: SeededGenerator
    private var permutation: [Int]
    private var position: Int

    init(count: Int, seed: UInt64) {
        generator = SeededGenerator(seed: seed ^ 0x5EED_0F_DA7A)
        permutation = Array(0..<count)
        position = count
    }

    mutating func next() -> Int {
        if position >= permutation.count {
            permutation.shuffle(using: &generator)
            position = 0
        }
        position += 1
        return permutation[position - 1]
    }
}
