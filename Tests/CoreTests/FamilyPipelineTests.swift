import Core
import Foundation
import Kernels
import Testing
import TestSupport

/// The whole pipeline on a tiny seeded model of every family: calibrate, score and prune (per-layer
/// widths where the family's GGUF rule takes them, uniform widths otherwise), fine-tune, evaluate,
/// export both formats and reload with the same logits.
@Suite("Family pipeline")
struct FamilyPipelineTests {
    let pool = ThreadPool(threads: 2)

    @Test(arguments: Architecture.all.map(\.name))
    func calibratePruneFinetuneEvaluateExport(family: String) throws {
        let model = try ArchitectureTests.ggufCompatible(family, widths: [40, 40, 40])
        var rng = TestRandom(seed: 5)
        let stream = (0..<400).map { _ in Int32(rng.next() % 50) }
        let windows = try CalibrationWindows.windows(of: stream, windowLength: 24, count: 6, seed: 0)
        let statistics = try Calibrator().calibrate(model: model, windows: windows, pool: pool)

        // llama and qwen2 export per-layer widths (as deci); qwen3 and gemma3 need one width.
        var options = PruningOptions(sparsity: 0.3)
        options.uniformWidths = family == "qwen3" || family == "gemma3"
        options.scale = 1  // s0 = 1e4 is for 131,072 calibration tokens; these 144 would give a flat budget
        let (pruned, plan) = try Pruner().prune(model: model, statistics: statistics, options: options)
        #expect(pruned.config.intermediateSizes.reduce(0, +) == 84, "\(family): 30 % of 120 neurons removed")
        #expect(options.uniformWidths == (Set(pruned.config.intermediateSizes).count == 1))

        var tuning = FineTuneOptions(steps: 3, rank: 2, allocation: .importance)
        tuning.sequenceLength = 24
        tuning.learningRate = 1e-2
        let tuned = try RecoveryTrainer(options: tuning).train(
            model: pruned, windows: windows, importance: options.blockMetric.importance(statistics),
            keepRatios: plan.blocks.map(\.keepRatio), pool: pool)
        #expect(tuned.stepsCompleted == 3 && tuned.lossCurve.allSatisfy(\.isFinite))
        #expect(tuned.model.config == pruned.config, "the merge keeps the pruned shapes")
        let before = try PerplexityEvaluator(windowSize: 24, maxWindows: 4).evaluate(model: pruned, tokens: stream, pool: pool)
        let after = try PerplexityEvaluator(windowSize: 24, maxWindows: 4).evaluate(model: tuned.model, tokens: stream, pool: pool)
        #expect(before.perplexity.isFinite && after.perplexity.isFinite && after.perplexity != before.perplexity)

        let folder = try ScratchFolder()
        let probe = Array(stream.prefix(16))
        let expected = try tuned.model.logits(for: probe, pool: pool)
        let hf = folder.file("hf")
        try HuggingFaceExporter.export(tuned.model, to: hf)
        #expect(exportRelativeDifference(expected, try exportReloadHF(hf).logits(for: probe, pool: pool)) < 1e-5)
        let gguf = folder.file("m.gguf")
        let result = try GGUFExporter.export(tuned.model, to: gguf)
        #expect(result.architecture == (options.uniformWidths ? family : "deci"))
        #expect(exportRelativeDifference(expected, try exportReloadGGUF(gguf).logits(for: probe, pool: pool)) < 1e-5)
    }
}
