import Core
import Foundation
import Kernels
import Testing
import TestSupport

/// The real Gemma 3 270M (Q4_K_M GGUF, `gemmaModelPath()`: `CFSP_GEMMA_MODEL` or scripts/fetch-gemma.sh)
/// through cfsp's reader, forward pass, pruning and exports, against transformers 5.x on the
/// same file dequantized to f32 (the figures below; `bench/reference/gemma3_acceptance.py`
/// reproduces them).
enum Gemma3Checkpoint {
    /// "The capital of France is", no special tokens.
    static let capitalOfFrance: [Int32] = [818, 5279, 529, 7001, 563]
}

private let gemma3Loaded: Result<LoadedModel, any Error> = Result {
    try ModelLoader.load(path: try gemmaModelPath(), precision: .f32)
}
private let gemma3: Result<LlamaModel, any Error> = gemma3Loaded.map(\.model)

@Suite("Gemma3Integration", .serialized)
struct Gemma3Integration {
    static let pool = ThreadPool(threads: ThreadPool.availableProcessors)

    @Test func configIsGemma3() throws {
        let c = try gemma3.get().config
        #expect(c.architecture == "gemma3")
        #expect(c.numLayers == 18 && c.hiddenSize == 640 && c.numHeads == 4 && c.numKVHeads == 1 && c.headDim == 256)
        #expect(c.intermediateSizes == Array(repeating: 2048, count: 18) && c.vocabSize == 262_144)
        #expect(c.slidingWindow == 512 && c.localRopeTheta == 10_000 && c.ropeTheta == 1_000_000)
        #expect(c.slidingWindowLayers.enumerated().allSatisfy { $0.element == (($0.offset + 1) % 6 != 0) })
        #expect(c.queryKeyNorm && c.sandwichNorms && c.activation == .geluTanh && c.tieWordEmbeddings)
        #expect(c.ropeLayout == .rotateHalf)
    }

    @Test func logitsAfterTheCapitalOfFrance() throws {
        let logits = try gemma3.get().nextTokenLogits(after: Gemma3Checkpoint.capitalOfFrance, pool: Self.pool)
        #expect(logits.indices.max { logits[$0] < logits[$1] } == 7001)
        for (got, want) in zip(logits.prefix(4), [-13.5678, 14.901, 2.7618, -13.6085] as [Float]) {
            #expect(abs(got - want) <= 2e-3, "logit \(got) vs reference \(want)")
        }
    }

    /// WikiText-2 test as cfsp reads it by default (`encodeDocument`: Gemma's tokenizer says
    /// add_bos_token, so one BOS before the stream), and as raw ids.
    static func wikiText() throws -> (document: [Int32], raw: [Int32]) {
        let tokenizer = try #require(try gemma3Loaded.get().tokenizer)
        let text = try tokenizerWikiText2("test", joinedBy: "\n\n")
        return (tokenizer.encodeDocument(text), tokenizer.encode(text))
    }

    @Test(.needsWikiText) func perplexityOfTheFirstFourWindowsWithAndWithoutBOS() throws {
        let (document, raw) = try Self.wikiText()
        #expect(document.count == raw.count + 1 && document.first == 2, "the default adds one BOS (id 2)")
        let evaluator = PerplexityEvaluator(windowSize: 1024, maxWindows: 4)
        let withBOS = try evaluator.evaluate(model: try gemma3.get(), tokens: document, pool: Self.pool).perplexity
        let withoutBOS = try evaluator.evaluate(model: try gemma3.get(), tokens: raw, pool: Self.pool).perplexity
        // transformers 5.x, f32 dequantized weights: 32.057 with one BOS, 36.134 without.
        #expect(abs(withBOS - 32.057) / 32.057 < 0.002, "with BOS \(withBOS)")
        #expect(abs(withoutBOS - 36.134) / 36.134 < 0.002, "without BOS \(withoutBOS)")
    }

    /// Calibrate, prune with one width for every block, export both formats, reload: the same logits.
    @Test(.needsWikiText) func prunedModelExportsAndReloadsWithTheSameLogits() throws {
        let model = try gemma3.get()
        let (document, _) = try Self.wikiText()
        let windows = try CalibrationWindows.windows(of: document, windowLength: 256, count: 2, seed: 0)
        let statistics = try Calibrator().calibrate(model: model, windows: windows, pool: Self.pool)
        var options = PruningOptions(sparsity: 0.3)
        options.uniformWidths = true
        let (pruned, plan) = try Pruner().prune(model: model, statistics: statistics, options: options)
        // One width: 2048 x 0.7 = 1433.6 rounded to cfsp's default multiple of 64 (22 units).
        #expect(PruningMethod.deployAlign == 64 && plan.options.align == 64)
        #expect(Set(pruned.config.intermediateSizes) == [1408], "one width: 2048 x 0.7 rounded to a multiple of 64")
        #expect(plan.blocks.allSatisfy { $0.keptCount == 1408 })
        let folder = try ScratchFolder()
        let prompt = Array(document.prefix(40))
        let expected = try pruned.logits(for: prompt, pool: Self.pool)

        let ggufPath = folder.file("pruned.gguf")
        let source = try GGUFFile(path: try gemmaModelPath())
        let result = try GGUFExporter.export(pruned, to: ggufPath, precision: .f32, source: source)
        #expect(result.architecture == "gemma3" && result.hasTokenizer)
        let fromGGUF = try ModelLoader.load(path: ggufPath)
        #expect(fromGGUF.model.config == pruned.config)
        #expect(exportRelativeDifference(expected, try fromGGUF.model.logits(for: prompt, pool: Self.pool)) < 1e-5)

        let hfPath = folder.file("pruned-hf")
        try HuggingFaceExporter.export(pruned, to: hfPath)
        let fromHF = try exportReloadHF(hfPath)
        #expect(fromHF.config.architecture == "gemma3")
        #expect(exportRelativeDifference(expected, try fromHF.logits(for: prompt, pool: Self.pool)) < 1e-5)

        // The same pruning with per-layer widths is refused as GGUF, naming the remedy.
        let perLayer = try Pruner().prune(model: model, statistics: statistics, options: PruningOptions(sparsity: 0.3)).model
        let error = caughtError { try GGUFExporter.export(perLayer, to: folder.file("x.gguf"), source: source) }
        #expect(String(describing: error ?? ExportError.unsupportedModel("none")).contains("uniformWidths"))
    }
}
