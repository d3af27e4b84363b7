import Core
import Foundation
import Kernels
import Testing

/// Compensation on the real SmolLM2-135M (CFSP_MODEL): with the same kept neurons, the
/// least-squares down projection gives a lower perplexity than the plain pruned one.
@Suite("CompensationIntegration", .serialized)
struct CompensationIntegration {
    @Test(.needsWikiText) func leastSquaresLowersThePerplexityOfCFSP() throws {
        let pool = ThreadPool(threads: ThreadPool.availableProcessors)
        let loaded = try ModelLoader.load(path: GGUFIntegration.modelPath(), precision: .f32)
        let tokenizer = try #require(loaded.tokenizer)
        let validation = tokenizer.encodeDocument(try tokenizerWikiText2("validation", joinedBy: " "))
        let test = tokenizer.encodeDocument(try tokenizerWikiText2("test", joinedBy: "\n\n"))
        // 8 windows of 1024: well over the FFN width (1536) in tokens, as least squares needs.
        var sampling = CalibrationSampling()
        sampling.count = 8
        let windows = try CalibrationWindows.windows(of: validation, sampling: sampling)
        let statistics = try Calibrator().calibrate(model: loaded.model, windows: windows, pool: pool)
        var options = PruningOptions(sparsity: 0.3)
        let (compensated, plan) = try Pruner().prune(model: loaded.model, statistics: statistics, options: options, pool: pool)
        options.compensation = Compensation.none
        let (plain, plainPlan) = try Pruner().prune(model: loaded.model, statistics: statistics, options: options, pool: pool)
        #expect(plan.blocks.map(\.kept) == plainPlan.blocks.map(\.kept))
        #expect(compensated.config.intermediateSizes == plain.config.intermediateSizes)
        let evaluator = PerplexityEvaluator(windowSize: 1024, maxWindows: 2)
        let withCompensation = try evaluator.evaluate(model: compensated, tokens: test, pool: pool).perplexity
        let without = try evaluator.evaluate(model: plain, tokens: test, pool: pool).perplexity
        // PruneQualityBench with 8 calibration windows gave 37.79 -> 35.39 over the first 4 test
        // windows (6 % lower, AMD EPYC, bench/RESULTS.md); demand at least 2 % here.
        #expect(withCompensation < 0.98 * without, "compensated \(withCompensation), plain \(without)")
    }
}
