import Core
import Foundation
import Kernels
import Testing
import TestSupport

@Suite struct PerplexityTests {
    /// exp(mean NLL) from the naive reference's logits, window by window.
    static func naivePerplexity(_ model: LlamaModel, _ tokens: [Int32], window: Int) -> Double {
        var total = 0.0, count = 0
        for w in 0..<(tokens.count / window) {
            let slice = Array(tokens[(w * window)..<((w + 1) * window)])
            let logits = NaiveLlama.logits(model, slice)
            for t in 0..<(window - 1) {
                let row = logits[t]
                let m = row.max()!
                let lse = m + log(row.reduce(0) { $0 + exp($1 - m) })
                total += lse - row[Int(slice[t + 1])]
                count += 1
            }
        }
        return exp(total / Double(count))
    }

    @Test func matchesTheNaiveReferenceAndDropsThePartialWindow() throws {
        let model = try LlamaModel.random(config: .tiny(vocab: 40), seed: 21)
        var rng = TestRandom(seed: 4)
        let tokens = (0..<27).map { _ in Int32(rng.next() % 40) }  // 3 windows of 8, 3 tokens dropped
        var reports: [PerplexityProgress] = []
        let result = try PerplexityEvaluator(windowSize: 8).evaluate(
            model: model, tokens: tokens, pool: ThreadPool(threads: 2), progress: { reports.append($0) })
        #expect(result.windows == 3)
        #expect(result.scoredTokens == 21)
        #expect(reports.map(\.windowsDone) == [1, 2, 3])
        let want = Self.naivePerplexity(model, Array(tokens[0..<24]), window: 8)
        #expect(abs(result.perplexity - want) / want < 1e-5)
        #expect(abs(reports.last!.runningPerplexity - result.perplexity) < 1e-9)
    }

    @Test func maxWindowsLimitsTheWork() throws {
        let model = try LlamaModel.random(config: .tiny(vocab: 40), seed: 2)
        let tokens = (0..<64).map { Int32($0 % 40) }
        let result = try PerplexityEvaluator(windowSize: 16, maxWindows: 2).evaluate(
            model: model, tokens: tokens, pool: ThreadPool(threads: 1))
        #expect(result.windows == 2)
        let want = Self.naivePerplexity(model, Array(tokens[0..<32]), window: 16)
        #expect(abs(result.perplexity - want) / want < 1e-5)
    }

    @Test func cancellationStopsWithATypedError() throws {
        let model = try LlamaModel.random(config: .tiny(vocab: 40), seed: 2)
        let tokens = (0..<64).map { Int32($0 % 40) }
        var windows = 0
        #expect(throws: OperationCancelled.self) {
            try PerplexityEvaluator(windowSize: 16).evaluate(
                model: model, tokens: tokens, pool: ThreadPool(threads: 1),
                progress: { windows = $0.windowsDone }, isCancelled: { windows >= 1 })
        }
        #expect(windows == 1)
    }

    @Test func tooShortATextIsAnError() throws {
        let model = try LlamaModel.random(config: .tiny(vocab: 40), seed: 2)
        #expect(throws: ModelError.self) {
            try PerplexityEvaluator(windowSize: 16).evaluate(model: model, tokens: [1, 2, 3], pool: ThreadPool(threads: 1))
        }
    }
}
