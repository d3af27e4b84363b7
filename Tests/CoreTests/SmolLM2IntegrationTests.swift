import Core
import Foundation
import Kernels
import Testing

/// The real SmolLM2-135M (CFSP_MODEL) loaded through cfsp's own GGUF reader, tokenizer and
/// forward pass, checked against the figures of an independent PyTorch reference.
private let smolLM2F32: Result<LoadedModel, any Error> = Result {
    try ModelLoader.load(path: GGUFIntegration.modelPath(), precision: .f32)
}

@Suite("SmolLM2Integration", .serialized)
struct SmolLM2Integration {
    static let pool = ThreadPool(threads: ThreadPool.availableProcessors)

    static func wikiTextTest() throws -> [Int32] {
        let loaded = try smolLM2F32.get()
        return try #require(loaded.tokenizer).encode(try tokenizerWikiText2("test", joinedBy: "\n\n"))
    }

    @Test(.needsWikiText) func tokenizerFromTheGGUFGivesTheReferenceIDs() throws {
        let tokenizer = try #require(try smolLM2F32.get().tokenizer)
        #expect(tokenizer.encode("The capital of France is") == [504, 3575, 282, 4649, 314])
        #expect(tokenizer.encode("In 1984, 12345 people paid $3.50 each.")
                == [788, 216, 33, 41, 40, 36, 28, 216, 33, 34, 35, 36, 37, 701, 5940, 1885, 35, 30, 37, 32, 971, 30])
        let test = try Self.wikiTextTest()
        #expect(test.count == 304_978)
        #expect(Array(test.prefix(8)) == [1116, 446, 6356, 389, 9226, 352, 446, 38028])
    }

    @Test func nextTokenAfterTheCapitalOfFranceIsParis() throws {
        let model = try smolLM2F32.get().model
        let logits = try model.nextTokenLogits(after: [504, 3575, 282, 4649, 314], pool: Self.pool)
        let top = logits.indices.max { logits[$0] < logits[$1] }
        #expect(top == 7042)
        for (got, want) in zip(logits.prefix(4), [1.6136, -11.8719, -7.9444, -9.3469] as [Float]) {
            #expect(abs(got - want) <= 2e-3, "logit \(got) vs reference \(want)")
        }
    }

    @Test(.needsWikiText) func perplexityOfTheFirstEightWikiTextWindows() throws {
        let loaded = try smolLM2F32.get()
        let result = try PerplexityEvaluator(windowSize: 1024, maxWindows: 8)
            .evaluate(model: loaded.model, tokens: try Self.wikiTextTest(), pool: Self.pool)
        #expect(result.windows == 8)
        // Reference 29.197 (PyTorch, f32 weights); within 0.2 %.
        #expect(abs(result.perplexity - 29.197) / 29.197 < 0.002, "perplexity \(result.perplexity)")
    }

    @Test(.needsWikiText) func bf16WeightsStayNearTheF32Perplexity() throws {
        let bf16 = try ModelLoader.load(path: GGUFIntegration.modelPath(), precision: .bf16)
        let result = try PerplexityEvaluator(windowSize: 1024, maxWindows: 8)
            .evaluate(model: bf16.model, tokens: try Self.wikiTextTest(), pool: Self.pool)
        // bf16 rounding of Q4_1-derived weights moves perplexity by well under 1 %.
        #expect(abs(result.perplexity - 29.197) / 29.197 < 0.01, "bf16 perplexity \(result.perplexity)")
    }
}
