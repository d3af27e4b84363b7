import Core
import Foundation
import Kernels

// Recovery benchmark (issue 7): prune SmolLM2 at FFN sparsity p with the default CFSP, then
// recover with importance-guided and uniform LoRA ranks at the same parameter budget, each for
// the same wall-clock budget, and compare test perplexity (first 16 windows of 1024).

func log(_ message: String) {
    FileHandle.standardError.write(Data((message + "\n").utf8))
}

func run() throws {
    let args = try BenchArguments(Array(CommandLine.arguments.dropFirst()))
    let pool = ThreadPool(threads: args.threads)
    let started = Date()
    log("loading \(args.model)")
    let loaded = try ModelLoader.load(path: args.model, precision: .f32)
    guard let tokenizer = loaded.tokenizer else { throw BenchError.data("the model file has no tokenizer") }
    let dense = loaded.model
    let validation = tokenizer.encodeDocument(try TextCorpus.loadJSONL(path: "\(args.data)/validation.jsonl", separator: " "))
    let test = tokenizer.encodeDocument(try TextCorpus.loadJSONL(path: "\(args.data)/test.jsonl", separator: "\n\n"))
    log("validation \(validation.count) tokens, test \(test.count) tokens")

    let statistics: CalibrationStatistics
    if let cache = args.statisticsCache, let data = FileManager.default.contents(atPath: cache),
       let cached = try? JSONDecoder().decode(CalibrationStatistics.self, from: data),
       cached.blocks.map(\.width) == dense.config.intermediateSizes, cached.hasGram,
       cached.windows == args.sampling.count, cached.windowSize == args.sampling.windowSize {
        statistics = cached
        log("calibration statistics from \(cache)")
    } else {
        let windows = try CalibrationWindows.windows(of: validation, sampling: args.sampling)
        statistics = try Calibrator().calibrate(model: dense, windows: windows, pool: pool) { p in
            if p.windowsDone % 16 == 0 { log("calibration \(p.windowsDone)/\(p.windowsTotal), \(Int(p.tokensPerSecond)) tok/s") }
        }
        if let cache = args.statisticsCache { try JSONEncoder().encode(statistics).write(to: URL(fileURLWithPath: cache)) }
    }
    let (pruned, plan) = try Pruner().prune(model: dense, statistics: statistics, options: PruningOptions(sparsity: args.sparsity))
    let importance = BlockMetric.angular.importance(statistics)
    let keepRatios = plan.blocks.map(\.keepRatio)

    let evaluator = PerplexityEvaluator(maxWindows: args.evalWindows)
    let densePPL = try evaluator.evaluate(model: dense, tokens: test, pool: pool).perplexity
    let prunedPPL = try evaluator.evaluate(model: pruned, tokens: test, pool: pool).perplexity
    log(String(format: "dense PPL %.2f, pruned PPL %.2f", densePPL, prunedPPL))

    // Training data: the validation stream (or --train-text) in non-overlapping windows of the sequence length.
    let training: [Int32]
    if let path = args.trainText {
        let text = path.hasSuffix(".jsonl")
            ? try TextCorpus.loadJSONL(path: path, separator: " ") : try TextCorpus.loadPlainText(path: path)
        training = tokenizer.encodeDocument(text)
        log("training text \(path): \(training.count) tokens")
    } else {
        training = validation
    }
    let trainWindows = stride(from: 0, to: training.count - args.sequenceLength + 1, by: args.sequenceLength)
        .map { Array(training[$0..<($0 + args.sequenceLength)]) }
    guard !trainWindows.isEmpty else { throw BenchError.data("the training text is shorter than one window of \(args.sequenceLength) tokens") }

    if args.reconstructionOnly {
        let chosen = RecoveryTrainer.spread(trainWindows, count: args.reconstruct)
        let result = try BlockReconstruction(damping: args.reconstructionDamping, attentionOutput: !args.reconstructionFFNOnly,
                                                      weighting: args.reconstructionWeighting).reconstruct(
            student: pruned, teacher: dense, windows: chosen, pool: pool, progress: { d, n in log("reconstructed block \(d)/\(n)") })
        let s = result.summary
        for l in s.errorBefore.indices {
            log(String(format: "block %d: %@ error %.5f -> %.5f", l, s.refitted[l].joined(separator: ","), s.errorBefore[l], s.errorAfter[l]))
        }
        let ppl = try evaluator.evaluate(model: result.model, tokens: test, pool: pool).perplexity
        log(String(format: "reconstructed PPL %.2f (pruned %.2f, dense %.2f) in %.0f s on %d windows", ppl, prunedPPL, densePPL, s.seconds, s.windows))
        return
    }

    // The teacher: the dense model itself, or a bf16 copy of it (faster forward passes).
    let denseTeacher = args.teacherPrecision == .f32
        ? dense : try ModelLoader.load(path: args.model, precision: args.teacherPrecision).model

    var rows: [RecoveryRow] = []
    for name in args.allocations {
        guard let allocation = RankAllocation(rawValue: name) else {
            throw BenchError.usage("unknown allocation '\(name)' (importance, pruned, uniform)")
        }
        var options = FineTuneOptions(steps: args.steps, rank: args.rank, allocation: allocation)
        options.batchSize = args.batch
        options.gradientAccumulation = args.accumulation
        options.sequenceLength = args.sequenceLength
        options.learningRate = args.learningRate
        options.loraPlusRatio = args.loraPlus
        options.warmupSteps = args.warmup
        options.gamma = args.gamma
        options.seed = args.seed
        options.frozenPrecision = args.frozen
        options.maxRank = max(args.rank, 4 * args.rank)
        options.timeBudgetSeconds = args.budgetMinutes * 60
        options.objective = args.objective
        options.distillationTemperature = args.temperature
        options.distillationLMWeight = args.lmWeight
        options.reconstructionWindows = args.reconstruct
        options.reconstructionDamping = args.reconstructionDamping
        // Distillation (and reconstruction) learn from the dense model, for the pruned run and for the control alike.
        let teacher = args.objective == .distillation || args.reconstruct > 0 ? denseTeacher : nil
        func recover(_ model: LlamaModel, _ label: String, _ options: FineTuneOptions) throws -> RecoveryRow {
            let result = try RecoveryTrainer(options: options).train(
                model: model, windows: trainWindows, importance: importance, keepRatios: keepRatios,
                teacher: teacher, pool: pool,
                progress: { p in
                    log(String(format: "[%@] step %d/%d loss %.4f lr %.2e %.0f tok/s %.0f s", label, p.step, p.totalSteps,
                               p.loss, p.learningRate, p.tokensPerSecond, p.elapsedSeconds))
                })
            let ppl = try evaluator.evaluate(model: result.model, tokens: test, pool: pool).perplexity
            if let r = result.reconstruction {
                log(String(format: "[%@] reconstruction %.0f s on %d windows; block error %.5f -> %.5f (mean)", label, r.seconds, r.windows,
                           r.errorBefore.reduce(0, +) / Double(r.errorBefore.count), r.errorAfter.reduce(0, +) / Double(r.errorAfter.count)))
            }
            log(String(format: "[%@] recovered PPL %.2f (%@)", label, ppl, result.summary))
            return RecoveryRow(allocation: name, result: result, perplexity: ppl)
        }
        let prunedRow = try recover(pruned, name, options)
        rows.append(prunedRow)
        if args.denseControl {
            // The control: the dense model with the same ranks for as many steps as the pruned run
            // completed (no wall-clock stop, so it gets at least the pruned run's compute).
            var control = options
            control.steps = prunedRow.result.stepsCompleted
            control.timeBudgetSeconds = nil
            var row = try recover(dense, "dense \(name)", control)
            row.model = .dense
            rows.append(row)
        }
    }

    let report = RecoveryReport(
        arguments: args, densePPL: densePPL, prunedPPL: prunedPPL, plan: plan, rows: rows,
        command: "swift run -c release RecoveryBench " + CommandLine.arguments.dropFirst().joined(separator: " "),
        totalMinutes: Date().timeIntervalSince(started) / 60)
    let markdown = report.markdown()
    print(markdown)
    if let path = args.results { try report.write(markdown, to: path) }
}

do {
    try run()
} catch {
    log("RecoveryBench: \(error)")
    exit(1)
}
