import Core
import Foundation
import Kernels
import Testing

/// The real Gemma 3 270M (Q4_K_M GGUF, `CFSP_GEMMA_MODEL`, fetched by scripts/fetch-gemma.sh)
/// through cfsp's reader, forward pass, pruning and exports, against transformers 5.x on the
/// same file dequantized to f32 (the figures below; `bench/reference/gemma3_acceptance.py`
/// reproduces them).
enum Gemma3Checkpoint {
    struct Missing: Error, CustomStringConvertible {
        var description: String { "CFSP_GEMMA_MODEL is not set: run scripts/fetch-gemma.sh and export its path (scripts/test.sh does)" }
    }

    static func path() throws -> String {
        guard let path = ProcessInfo.processInfo.environment["CFSP_GEMMA_MODEL"], !path.isEmpty else { throw Missing() }
        return path
    }

    /// "The capital of France is", no special tokens.
    static let capitalOfFrance: [Int32] = [818, 5279, 529, 7001, 563]
    static let bos: Int32 = 2
}

private let gemma3: Result<LlamaModel, any Error> = Result {
    try LlamaModel(gguf: try GGUFFile(path: try Gemma3Checkpoint.path()), precision: .f32)
}

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
}
