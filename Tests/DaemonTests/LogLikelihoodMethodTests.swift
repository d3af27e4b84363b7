import CFSPProtocol
import Core
import Daemon
import Foundation
import Kernels
import RPC
import Testing
import TestSupport

/// `loglikelihood` against a naive log-softmax of Core's full logits and against `evaluate`.
@Suite("The loglikelihood method over an in-process connection", .timeLimit(.minutes(5)))
struct LogLikelihoodMethodTests {
    /// log p(tokens[i + 1] | tokens[...i]) summed over the continuation's positions, and whether
    /// each continuation token is its row's first maximum, from `logits(for:)` in naive loops.
    private func naiveScore(_ model: LlamaModel, context: [Int32], continuation: [Int32]) throws -> (Double, Bool) {
        let whole = context + continuation
        let input = Array(whole.dropLast())
        let v = model.config.vocabSize
        let logits = try model.logits(for: input, pool: ThreadPool(threads: 1))
        var total = 0.0
        var greedy = true
        for (i, token) in continuation.enumerated() {
            let row = Array(logits[((context.count - 1 + i) * v)..<((context.count + i) * v)]).map(Double.init)
            let top = row.max()!
            let logSum = top + log(row.reduce(0) { $0 + exp($1 - top) })
            total += row[Int(token)] - logSum
            greedy = greedy && row.firstIndex(of: top)! == Int(token)
        }
        return (total, greedy)
    }

    @Test("each request's score is the naive log-softmax of Core's logits; the greedy continuation is flagged")
    func matchesNaiveLogSoftmax() async throws {
        let folder = try ScratchFolder()
        let path = try writeTinyModel(in: folder)
        let loaded = try ModelLoader.load(path: path)
        let tokenizer = try #require(loaded.tokenizer)
        let model = loaded.model
        let context = tokenizer.encode("the quick brown fox")
        let continuation = tokenizer.encode(" jumps over the dog")
        // The greedy continuation of the context, three tokens long.
        var greedyTokens: [Int32] = []
        for _ in 0..<3 {
            let row = try model.nextTokenLogits(after: context + greedyTokens, pool: ThreadPool(threads: 1))
            greedyTokens.append(Int32(row.indices.max { row[$0] < row[$1] || (row[$0] == row[$1] && $0 > $1) }!))
        }
        let requests = [(context, continuation), (context, greedyTokens), (Array(context.prefix(1)), Array(context.dropFirst())),
                        (context, [])]
        let daemon = try await InProcessDaemon()
        defer { daemon.close() }
        _ = try await daemon.client.send(LoadModelRequest.self, .init(path: path))
        let params = LogLikelihoodParams(model: "m1", requests: requests.map {
            ContinuationRequest(context: $0.0.map(Int.init), continuation: $0.1.map(Int.init))
        })
        var wire = try #require(params.wireJSON.objectValue)
        wire["workDoneToken"] = "ll"
        let result = try await daemon.client.sendRequest(method: "loglikelihood", params: .object(wire))
            .decode(LogLikelihoodResult.self)
        #expect(result.scores.count == requests.count)
        for (score, request) in zip(result.scores, requests) where !request.1.isEmpty {
            let (expected, greedy) = try naiveScore(model, context: request.0, continuation: request.1)
            #expect(abs(score.logLikelihood - expected) <= 1e-4 * max(1, abs(expected)), "\(score.logLikelihood) vs \(expected)")
            #expect(score.isGreedy == greedy)
            #expect(score.tokens == request.1.count && score.truncatedTokens == 0)
        }
        #expect(result.scores[1].isGreedy, "the argmax continuation is greedy")
        #expect(result.scores[3] == ContinuationScore(logLikelihood: 0, isGreedy: true, tokens: 0, truncatedTokens: 0))
        #expect(result.tokens == requests.dropLast().reduce(0) { $0 + $1.0.count + $1.1.count - 1 })

        let progress = daemon.progress("ll")
        #expect(progress.first?["title"] == "loglikelihood")
        let reports = progress.filter { $0["kind"] == "report" }
        // Reports are rate-limited (a batch of short requests may send only its first).
        let done = reports.compactMap { $0["request"]?.intValue }
        #expect(!done.isEmpty && done == done.sorted() && done.allSatisfy { (1...4).contains($0) })
        #expect(reports.allSatisfy { $0["requests"]?.intValue == 4 && $0["tokensPerSecond"] != nil })
    }

    @Test("a document after the prefix token scores what evaluate's perplexity says over the same tokens")
    func rollingWindowIsEvaluate() async throws {
        let folder = try ScratchFolder()
        let path = try writeTinyModel(in: folder)
        let daemon = try await InProcessDaemon()
        defer { daemon.close() }
        let info = try await daemon.client.send(LoadModelRequest.self, .init(path: path))
        let bos = try #require(info.bosToken ?? info.eosToken)
        let text = TestRandom(seed: 12).textValue(words: 30)
        let tokens = try await daemon.client.send(TokenizeRequest.self, .init(model: "m1", text: text)).tokens
        #expect(tokens.count + 1 <= info.config.contextLength)
        let score = try await daemon.client.send(
            LogLikelihoodRequest.self, .init(model: "m1", requests: [.init(context: [bos], continuation: tokens)]))
        let evaluation = try await daemon.client.send(
            EvaluateRequest.self, .init(model: "m1", input: TextInput(tokens: [bos] + tokens), windowSize: tokens.count + 1))
        let expected = -evaluation.meanNegativeLogLikelihood * Double(evaluation.scoredTokens)
        #expect(evaluation.scoredTokens == tokens.count)
        #expect(abs(score.scores[0].logLikelihood - expected) <= 1e-9 * abs(expected))
    }

    @Test("a context too long for the model loses its first tokens; bad requests are refused by code")
    func truncationAndErrors() async throws {
        let folder = try ScratchFolder()
        let path = try writeTinyModel(in: folder)
        let daemon = try await InProcessDaemon()
        defer { daemon.close() }
        let info = try await daemon.client.send(LoadModelRequest.self, .init(path: path))
        let limit = info.config.contextLength
        var random = TestRandom(seed: 5)
        let context = (0..<(limit + 40)).map { _ in random.int(below: info.config.vocabSize) }
        let continuation = [3, 4, 5]
        let long = try await daemon.client.send(
            LogLikelihoodRequest.self, .init(model: "m1", requests: [.init(context: context, continuation: continuation)]))
        let truncated = context.count + continuation.count - (limit + 1)
        #expect(long.scores[0].truncatedTokens == truncated)
        let cut = try await daemon.client.send(
            LogLikelihoodRequest.self,
            .init(model: "m1", requests: [.init(context: Array(context.dropFirst(truncated)), continuation: continuation)]))
        #expect(cut.scores[0].truncatedTokens == 0)
        #expect(cut.scores[0].logLikelihood == long.scores[0].logLikelihood)

        func code(_ requests: JSONValue, model: String = "m1") async -> Int? {
            await errorCode { _ = try await daemon.client.sendRequest(method: "loglikelihood", params: ["model": .string(model), "requests": requests]) }
        }
        #expect(await code([["context": [1], "continuation": .array((0...limit).map { _ in 1 })]]) == 1006)
        #expect(await code([["context": [1], "continuation": .int(info.config.vocabSize).arrayOfOne]]) == 1006)
        #expect(await code([["context": [], "continuation": [1]]]) == -32602)
        #expect(await code([]) == -32602)
        #expect(await code([["context": [1], "continuation": [1]]], model: "m9") == 1001)
    }
}

private extension JSONValue {
    /// `[self]`.
    var arrayOfOne: JSONValue { .array([self]) }
}
