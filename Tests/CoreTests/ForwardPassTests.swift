import Core
import Foundation
import Kernels
import Testing

@Suite struct ForwardPassTests {
    static func maxRelativeError(_ got: [Float], _ want: [[Double]]) -> Double {
        let flat = want.flatMap { $0 }
        let scale = flat.map(abs).max() ?? 1
        return zip(got, flat).map { abs(Double($0) - $1) }.max()! / scale
    }

    @Test(arguments: [RotaryLayout.rotateHalf, .interleaved], [1, 2])
    func logitsMatchTheNaiveReference(layout: RotaryLayout, threads: Int) throws {
        var config = LlamaConfig.tiny(layers: 3, hidden: 32, heads: 4, kvHeads: 2, ffn: 40, vocab: 50, ropeLayout: layout)
        config.intermediateSizes = [40, 24, 33]  // pruned-like: every block its own width
        let model = try LlamaModel.random(config: config, seed: 7)
        let tokens: [Int32] = [3, 17, 42, 0, 49, 8, 8, 21, 33]
        let got = try model.logits(for: tokens, pool: ThreadPool(threads: threads))
        let want = NaiveLlama.logits(model, tokens)
        #expect(got.count == tokens.count * config.vocabSize)
        #expect(Self.maxRelativeError(got, want) < 1e-4)
    }

    @Test func nextTokenLogitsAreTheLastRow() throws {
        let model = try LlamaModel.random(config: .tiny(), seed: 3)
        let tokens: [Int32] = [1, 2, 3, 4, 5]
        let pool = ThreadPool(threads: 2)
        let all = try model.logits(for: tokens, pool: pool)
        let last = try model.nextTokenLogits(after: tokens, pool: pool)
        let v = model.config.vocabSize
        for i in 0..<v { #expect(abs(all[(tokens.count - 1) * v + i] - last[i]) <= 1e-5 * max(1, abs(last[i]))) }
    }

    @Test func bf16WeightsStayCloseToF32() throws {
        let config = LlamaConfig.tiny()
        let f32 = try LlamaModel.random(config: config, seed: 11, precision: .f32)
        let bf16 = try LlamaModel.random(config: config, seed: 11, precision: .bf16)
        let tokens: [Int32] = [5, 9, 2, 77, 31]
        let pool = ThreadPool(threads: 1)
        let a = try f32.logits(for: tokens, pool: pool)
        let b = try bf16.logits(for: tokens, pool: pool)
        let scale = a.map(abs).max()!
        let diff = zip(a, b).map { abs($0 - $1) }.max()!
        // bf16 keeps 8 significant bits: a few parts in a hundred of the logit scale at most.
        #expect(diff / scale < 0.05)
        #expect(diff > 0)  // the bf16 path really ran
        // And bf16 matches the naive reference over its own (bf16-rounded) weights.
        #expect(Self.maxRelativeError(b, NaiveLlama.logits(bf16, tokens)) < 2e-2)
    }

    @Test func badTokensAndWindowsAreTypedErrors() throws {
        let model = try LlamaModel.random(config: .tiny(vocab: 20, context: 8), seed: 1)
        let pool = ThreadPool(threads: 1)
        #expect(throws: ModelError.tokenOutOfRange(id: 20, vocabularySize: 20)) {
            try model.logits(for: [1, 20], pool: pool)
        }
        #expect(throws: ModelError.tokenOutOfRange(id: -1, vocabularySize: 20)) {
            try model.logits(for: [-1], pool: pool)
        }
        #expect(throws: ModelError.emptyInput) { try model.logits(for: [], pool: pool) }
        #expect(throws: ModelError.windowTooLong(tokens: 9, contextLength: 8)) {
            try model.logits(for: Array(repeating: 1, count: 9), pool: pool)
        }
    }

    @Test func observerSeesEveryBlockWithItsOwnWidth() throws {
        var config = LlamaConfig.tiny(layers: 3)
        config.intermediateSizes = [48, 16, 30]
        let model = try LlamaModel.random(config: config, seed: 5)
        final class Recorder: BlockObserver {
            var seen: [(Int, Int, Float)] = []
            func observe(block: Int, tokens: Int, input: UnsafePointer<Float>, output: UnsafePointer<Float>,
                         ffnActivations: UnsafePointer<Float>) {
                seen.append((block, tokens, input[0] - output[0]))
            }
        }
        let recorder = Recorder()
        try model.observeBlocks([1, 2, 3, 4], observer: recorder, pool: ThreadPool(threads: 1))
        #expect(recorder.seen.map(\.0) == [0, 1, 2])
        #expect(recorder.seen.allSatisfy { $0.1 == 4 && $0.2 != 0 })
    }
}
