import Core
import Foundation
import Kernels
import Testing
import TestSupport

/// The real checkpoints loaded with their matrices kept in the file's encoding (precision
/// `.native`, issue 16 item 1: SmolLM2-135M's Q4_1/Q8_0/Q6_K and Gemma 3 270M's Q4_K/Q6_K/Q5_0/Q8_0)
/// against the same file dequantized to f32 at load. The issue asks for perplexity within 0.1 %;
/// the native GEMM multiplies the decoded values in the f32 path's order, so the logits are
/// the same bits and the perplexities equal.
@Suite("NativePrecisionIntegration", .serialized)
struct NativePrecisionIntegration {
    static let pool = ThreadPool(threads: ThreadPool.availableProcessors)

    private func compare(path: String, windows: Int, documentTokens: (LoadedModel) throws -> [Int32]) throws {
        let f32 = try ModelLoader.load(path: path, precision: .f32)
        let native = try ModelLoader.load(path: path, precision: .native)
        #expect(native.model.precision == .native && native.model.blocks[0].gate.precision == .native)
        #expect(native.model.embeddings.encoded != nil, "the embedding stays encoded")
        let tokens = try documentTokens(f32)
        let evaluator = PerplexityEvaluator(windowSize: 1024, maxWindows: windows)
        let reference = try evaluator.evaluate(model: f32.model, tokens: tokens, pool: Self.pool).perplexity
        let measured = try evaluator.evaluate(model: native.model, tokens: tokens, pool: Self.pool).perplexity
        #expect(abs(measured - reference) / reference <= 0.001, "native \(measured) vs f32 \(reference)")
        #expect(measured == reference, "the native GEMM computes the f32 load's bits")
        let probe = Array(tokens.prefix(7))
        #expect(try native.model.nextTokenLogits(after: probe, pool: Self.pool)
                == f32.model.nextTokenLogits(after: probe, pool: Self.pool))
    }

    @Test(.needsWikiText) func smolLM2NativeGivesTheF32Perplexity() throws {
        try compare(path: try GGUFIntegration.modelPath(), windows: 2) { loaded in
            try #require(loaded.tokenizer).encode(try tokenizerWikiText2("test", joinedBy: "\n\n"))
        }
    }

    @Test(.needsWikiText) func gemma3NativeGivesTheF32Perplexity() throws {
        try compare(path: try gemmaModelPath(), windows: 2) { loaded in
            try #require(loaded.tokenizer).encodeDocument(try tokenizerWikiText2("test", joinedBy: "\n\n"))
        }
    }
}
