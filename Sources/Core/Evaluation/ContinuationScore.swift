import Foundation
import Kernels

/// How likely a model finds a continuation after a context: what lm-evaluation-harness's
/// `loglikelihood` requests ask (multiple-choice tasks compare the choices' log-likelihoods;
/// `loglikelihood_rolling` sums them over disjoint windows of a document).
public struct ContinuationScore: Sendable, Equatable {
    /// Sum over the continuation's tokens of log p(token | everything before it), natural log.
    public var logLikelihood: Double
    /// Whether every continuation token is the model's most likely next token there (greedy
    /// decoding from the context would produce the continuation; ties go to the lower id, as
    /// torch's argmax).
    public var isGreedy: Bool
    /// Tokens scored: the continuation's length.
    public var tokens: Int
    /// Context tokens left out from the start so that context + continuation fit the context
    /// length (as lm-eval's HF model truncates: the last contextLength + 1 tokens are kept).
    public var truncatedTokens: Int

    /// A score as the scorer (or a client reading one back) records it.
    public init(logLikelihood: Double, isGreedy: Bool, tokens: Int, truncatedTokens: Int) {
        self.logLikelihood = logLikelihood
        self.isGreedy = isGreedy
        self.tokens = tokens
        self.truncatedTokens = truncatedTokens
    }
}

extension LlamaModel {
    /// The tokens one continuation score runs through the blocks: context + continuation without
    /// its last token, cut from the left to the context length.
    public func continuationInputLength(context: Int, continuation: Int) -> Int {
        min(context + continuation, config.contextLength + 1) - 1
    }

    /// Scores `continuation` after `context` with one forward pass over context + continuation
    /// (its last token left out): the log-softmax of the rows that predict the continuation's
    /// tokens, in Double. The output head runs only on those rows, in chunks, so the pass never
    /// holds more than 128 x vocab logits.
    ///
    /// - Parameters:
    ///   - context: at least one token (lm-eval puts the BOS or EOS there for an empty context).
    ///   - continuation: the tokens to score; empty scores 0 and counts as greedy.
    ///   - workspace: buffers for at least `continuationInputLength` tokens.
    /// - Throws: `ModelError.emptyInput` for an empty context, `.windowTooLong` for a
    ///   continuation longer than the context length, `.tokenOutOfRange` for an id outside the
    ///   vocabulary, `OperationCancelled` when `isCancelled` turns true between blocks.
    public func continuationScore(
        context: [Int32], continuation: [Int32], workspace: ForwardWorkspace, pool: ThreadPool,
        isCancelled: () -> Bool = { false }
    ) throws -> ContinuationScore {
        guard !context.isEmpty else { throw ModelError.emptyInput }
        if continuation.isEmpty {
            try validate(tokens: context)
            return ContinuationScore(logLikelihood: 0, isGreedy: true, tokens: 0, truncatedTokens: 0)
        }
        guard continuation.count <= config.contextLength else {
            throw ModelError.windowTooLong(tokens: continuation.count + 1, contextLength: config.contextLength)
        }
        let whole = context + continuation
        let inputLength = continuationInputLength(context: context.count, continuation: continuation.count)
        let truncated = whole.count - 1 - inputLength
        let input = Array(whole[truncated..<(whole.count - 1)])
        try runBlocks(input, workspace: workspace, pool: pool, isCancelled: isCancelled)

        // Row r of the input predicts whole[truncated + r + 1]; the continuation starts at
        // row input.count - continuation.count.
        let v = config.vocabSize, h = config.hiddenSize
        let firstRow = input.count - continuation.count
        let chunk = min(128, continuation.count)
        var logits = [Float](repeating: 0, count: chunk * v)
        var logProbabilities = [Double](repeating: 0, count: chunk)
        var greedy = [Bool](repeating: false, count: chunk)
        var total = 0.0
        var allGreedy = true
        var done = 0
        while done < continuation.count {
            let rows = min(chunk, continuation.count - done)
            let n = workspace.normed
            logits.withUnsafeMutableBufferPointer { lb in
                let l = lb.baseAddress!
                matmul(n + (firstRow + done) * h, rows: rows, lda: h, weights: outputHead, into: l, ldc: v, pool: pool)
                logProbabilities.withUnsafeMutableBufferPointer { pb in
                    greedy.withUnsafeMutableBufferPointer { gb in
                        pool.parallelFor(rows) { r in
                            let row = l + r * v
                            let target = Int(continuation[done + r])
                            pb[r] = Double(row[target]) - logSumExp(row, count: v)
                            var best = 0
                            for i in 1..<v where row[i] > row[best] { best = i }
                            gb[r] = best == target
                        }
                    }
                }
            }
            for r in 0..<rows {
                total += logProbabilities[r]
                allGreedy = allGreedy && greedy[r]
            }
            done += rows
        }
        return ContinuationScore(logLikelihood: total, isGreedy: allGreedy, tokens: continuation.count,
                                 truncatedTokens: truncated)
    }
}
