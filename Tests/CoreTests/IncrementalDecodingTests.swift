import Core
import Foundation
import Kernels
import Testing

/// The KV-cache decoder against the full-sequence forward: for every family (with every switch
/// its tiny example sets: Gemma 3's sliding windows shorter than the sequence and local rotary
/// base, Qwen2's biases, Qwen3's head norms, Llama 3's rotary scaling), the logits of position p
/// computed incrementally equal row p of `logits(for:)` over the whole sequence.
@Suite struct IncrementalDecodingTests {
    static let tokens: [Int32] = [3, 17, 42, 0, 49, 8, 8, 21, 33, 5, 60, 12, 1, 44]

    static func relativeError(_ got: ArraySlice<Float>, _ want: ArraySlice<Float>) -> Float {
        let scale = want.map(abs).max() ?? 1
        return zip(got, want).map { abs($0 - $1) }.max()! / scale
    }

    @Test(arguments: Architecture.all.map(\.name), [1, 2])
    func cachedLogitsMatchTheFullForward(family: String, threads: Int) throws {
        var config = try LlamaConfig.tiny(family: family, layers: 3, vocab: 64, context: 32)
        config.intermediateSizes = [48, 24, 40]
        let model = try LlamaModel.random(config: config, seed: 21)
        let pool = ThreadPool(threads: threads)
        let v = config.vocabSize
        let full = try model.logits(for: Self.tokens, pool: pool)
        let decoder = try IncrementalDecoder(model: model, positions: Self.tokens.count, pool: pool)
        // A prompt of 5 (the window of 3 already slides), one pair, then one token at a time.
        var rows: [Float] = try decoder.append(Array(Self.tokens[0..<5]), allPositions: true)
        rows += try decoder.append(Array(Self.tokens[5..<7]), allPositions: true)
        for t in Self.tokens[7...] { rows += try decoder.append([t]) }
        #expect(decoder.position == Self.tokens.count)
        #expect(rows.count == full.count)
        for p in Self.tokens.indices {
            let error = Self.relativeError(rows[(p * v)..<((p + 1) * v)], full[(p * v)..<((p + 1) * v)])
            #expect(error < 1e-5, "position \(p): relative error \(error)")
        }
    }

    @Test func theCacheRefusesPositionsBeyondItsCapacity() throws {
        let model = try LlamaModel.random(config: .tiny(), seed: 2)
        let decoder = try IncrementalDecoder(model: model, positions: 4, pool: ThreadPool(threads: 1))
        _ = try decoder.append([1, 2, 3])
        #expect(throws: ModelError.self) { try decoder.append([4, 5]) }
        #expect(decoder.position == 3)
        decoder.reset()
        _ = try decoder.append([1, 2, 3, 4])
        #expect(decoder.position == 4)
    }

    @Test func aCacheLongerThanTheContextIsRefused() throws {
        let model = try LlamaModel.random(config: .tiny(context: 16), seed: 2)
        #expect(throws: ModelError.self) { try IncrementalDecoder(model: model, positions: 17, pool: ThreadPool(threads: 1)) }
    }
}
