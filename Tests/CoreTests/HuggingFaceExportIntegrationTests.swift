import Core
import Foundation
import Kernels
import Testing
import TestSupport

/// Texts for the tokenizer comparison: prose, digits, Unicode, whitespace runs, both models'
/// special tokens, code.
private let tokenizerTexts = [
    "The capital of France is", "In 1984, 12345 people paid $3.50 each (or 3,000.25€).",
    "naïve café — ünïcödé 日本語 中文 한국어 🙂🚀 Ελληνικά русский", "  two  spaces ", "tabs\tand\nnewlines\n\n\n   indented",
    "<|im_start|>user\nHi there<|im_end|>\n<|im_start|>assistant\n", "<start_of_turn>user\nHi<end_of_turn>\n<bos>",
    "def f(x):\n    return x ** 2  # square\n", "   ", "", "a" + String(repeating: " ", count: 17) + "b",
]

/// Calibrates on the start of WikiText-2 test and prunes 30 % (per-layer widths, or one width).
private func prune(_ loaded: LoadedModel, uniform: Bool, pool: ThreadPool) throws -> LlamaModel {
    let tokenizer = try #require(loaded.tokenizer)
    let text = String(try tokenizerWikiText2("test", joinedBy: "\n\n").prefix(20_000))
    let windows = try CalibrationWindows.windows(of: tokenizer.encodeDocument(text), windowLength: 128, count: 2, seed: 0)
    let statistics = try Calibrator().calibrate(model: loaded.model, windows: windows, pool: pool)
    var options = PruningOptions(sparsity: 0.3)
    options.uniformWidths = uniform
    return try Pruner().prune(model: loaded.model, statistics: statistics, options: options).model
}

/// The real SmolLM2-135M and Gemma 3 270M, pruned, exported as Hugging Face folders and loaded by
/// transformers as a user would (`AutoModelForCausalLM.from_pretrained(folder,
/// trust_remote_code=True)`, CPU float32): the same logits as cfsp and the same token ids as
/// cfsp's GGUF tokenizer.
@Suite("HuggingFaceExportIntegration", .serialized)
struct HuggingFaceExportIntegration {
    static let pool = ThreadPool(threads: ThreadPool.availableProcessors)

    @Test(.needsWikiText) func transformersLoadsPrunedExportsWithCfspLogitsAndIDs() throws {
        let smol = try ModelLoader.load(path: GGUFIntegration.modelPath(), precision: .f32)
        let gemma = try ModelLoader.load(path: gemmaModelPath(), precision: .f32)
        let scratch = try ScratchFolder()
        let prompt = try #require(smol.tokenizer).encodeDocument("The capital of France is Paris, and 12 × 3 = 36.")
        let gemmaPrompt = try #require(gemma.tokenizer).encodeDocument("The capital of France is Paris, and 12 × 3 = 36.")

        var cases: [(name: String, model: LlamaModel, tokenizer: any TextTokenizer, prompt: [Int32])] = []
        let smolMeta = try GGUFFile(path: GGUFIntegration.modelPath()).tokenizerMetadata()
        let gemmaMeta = try GGUFFile(path: gemmaModelPath()).tokenizerMetadata()
        var jobs: [TransformersExportReport.Job] = []
        for (name, loaded, meta, uniform, tokens) in [
            ("SmolLM2 30% per-layer", smol, smolMeta, false, prompt), ("SmolLM2 30% uniform", smol, smolMeta, true, prompt),
            ("Gemma 3 30% per-layer", gemma, gemmaMeta, false, gemmaPrompt),
        ] {
            let pruned = try prune(loaded, uniform: uniform, pool: Self.pool)
            #expect((Set(pruned.config.intermediateSizes).count == 1) == uniform, "\(name)")
            let path = scratch.file(name.replacingOccurrences(of: " ", with: "-"))
            let result = try HuggingFaceExporter.export(pruned, to: path, tokenizer: .gguf(meta))
            #expect(result.hasTokenizer && result.hasModelingFile == !uniform, "\(name)")
            cases.append((name, pruned, try #require(loaded.tokenizer), tokens))
            jobs.append(.init(folder: path, texts: uniform ? nil : tokenizerTexts, tokens: tokens))
        }
        let report = try TransformersExportReport.run(jobs)
        for ((name, model, tokenizer, tokens), result) in zip(cases, report.results) {
            #expect(result.widths == model.config.intermediateSizes, "\(name)")
            let ours = try model.logits(for: tokens, pool: Self.pool)
            let difference = maxAbsoluteDifference(ours, result.logits)
            print("\(name): max |cfsp - transformers \(report.transformersVersion)| over \(tokens.count) positions = \(difference), largest |logit| \(ours.map(abs).max() ?? 0)")
            // Measured on an AMD EPYC (Zen 5), transformers 5.24, f32 GEMMs summed in chains of 128
            // (GemmTile.chain): 6.7e-5 (SmolLM2 per-layer), 6.0e-5 (uniform), 2.6e-5 (Gemma 3
            // per-layer), largest |logit| 30-38 (one multiply-add chain over all of K gave 1.1e-4-1.2e-4).
            #expect(difference <= 1e-4, "\(name): max |cfsp - transformers| = \(difference)")
            // Against the same transformers model run in float64, which says whose rounding the gap
            // above is. Measured (AMD EPYC): cfsp 4.0e-5 / 1.15e-4 / 2.6e-5 from float64, transformers'
            // own f32 7.5e-5 / 9.9e-5 / 2.8e-5 (SmolLM2 per-layer, uniform, Gemma 3): the two f32
            // forwards round alike, about 3e-6 of the largest logit. The bound is 5e-6 of it, so a
            // real error (1e-2 and up) or the old single-chain GEMM (2.5e-4 here) fails.
            let exact = maxAbsoluteDifference(ours, result.exactLogits)
            let reference = maxAbsoluteDifference(result.logits, result.exactLogits)
            print("\(name): max |cfsp - transformers f64| = \(exact), max |transformers f32 - f64| = \(reference)")
            let largest = Double(ours.map(abs).max() ?? 0)
            #expect(exact <= 5e-6 * largest, "\(name): max |cfsp - transformers in float64| = \(exact), largest |logit| \(largest)")
            #expect(exportRelativeDifference(ours, result.logits) < 1e-5, "\(name)")
            if !result.ids.isEmpty {
                #expect(result.ids == tokenizerTexts.map(tokenizer.encode), "\(name): ids without special tokens")
                #expect(result.idsWithSpecial == tokenizerTexts.map(tokenizer.encodeDocument), "\(name): with BOS as the GGUF says")
                #expect(result.generation["eos_token_id"] == tokenizer.eosTokenID.map(Int.init))
            }
        }
    }

    /// The whole of WikiText-2 test through transformers' tokenizer of each export, against
    /// cfsp's GGUF tokenizer: the reference corpus, not just a few lines.
    @Test(.needsWikiText) func wikiTextTokenizesAlikeThroughTheExportedTokenizerJSON() throws {
        let text = try tokenizerWikiText2("test", joinedBy: "\n\n")
        let scratch = try ScratchFolder()
        var jobs: [TransformersExportReport.Job] = []
        var expected: [[Int32]] = []
        for path in [try GGUFIntegration.modelPath(), try gemmaModelPath()] {
            let meta = try GGUFFile(path: path).tokenizerMetadata()
            let folder = scratch.file((path as NSString).lastPathComponent)
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            try Data(TokenizerJSONWriter.json(for: meta)).write(to: URL(fileURLWithPath: folder + "/tokenizer.json"))
            try Data(#"{"tokenizer_class": "PreTrainedTokenizerFast"}"#.utf8)
                .write(to: URL(fileURLWithPath: folder + "/tokenizer_config.json"))
            // cfsp's own reader of the written file agrees with its GGUF tokenizer too.
            let ids = try makeTokenizer(metadata: meta).encode(text)
            #expect(try makeTokenizer(tokenizerJSON: Data(TokenizerJSONWriter.json(for: meta))).encode(text) == ids)
            expected.append(ids)
            jobs.append(.init(folder: folder, texts: [text], tokens: nil))
        }
        let report = try TransformersExportReport.run(jobs)
        for (ids, result) in zip(expected, report.results) {
            let got = try #require(result.ids.first)
            #expect(got.count == ids.count)
            #expect(got == ids, "first difference at \(zip(got, ids).enumerated().first { $0.element.0 != $0.element.1 }?.offset ?? -1)")
        }
    }
}
