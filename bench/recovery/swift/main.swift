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

    // Training data: the validation stream in non-overlapping windows of the sequence length.
    let trainWindows = stride(from: 0, to: validation.count - args.sequenceLength + 1, by: args.sequenceLength)
        .map { Array(validation[$0..<($0 + args.sequenceLength)]) }

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
        options.warmupSteps = args.warmup
        options.gamma = args.gamma
        options.seed = args.seed
        options.frozenPrecision = args.frozen
        options.maxRank = max(args.rank, 4 * args.rank)
        options.timeBudgetSeconds = args.budgetMinutes * 60
        let result = try RecoveryTrainer(options: options).train(
            model: pruned, windows: trainWindows, importance: importance, keepRatios: keepRatios, pool: pool,
            progress: { p in
                log(String(format: "[%@] step %d/%d loss %.4f lr %.2e %.0f tok/s %.0f s", name, p.step, p.totalSteps,
                           p.loss, p.learningRate, p.tokensPerSecond, p.elapsedSeconds))
            })
        let ppl = try evaluator.evaluate(model: result.model, tokens: test, pool: pool).perplexity
        log(String(format: "[%@] recovered PPL %.2f (%@)", name, ppl, result.summary))
        rows.append(RecoveryRow(allocation: name, result: result, perplexity: ppl))
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
