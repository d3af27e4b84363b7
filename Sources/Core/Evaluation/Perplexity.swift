import Foundation
import Kernels

/// Where a perplexity evaluation stands, for progress bars.
public struct PerplexityProgress: Sendable {
    public var windowsDone: Int
    public var windowsTotal: Int
    public var tokensPerSecond: Double
    /// Perplexity over the windows done so far.
    public var runningPerplexity: Double
}

/// The outcome of a perplexity evaluation.
public struct PerplexityResult: Sendable, Codable, Equatable {
    public var perplexity: Double
    public var meanNegativeLogLikelihood: Double
    public var windows: Int
    public var windowSize: Int
    /// Tokens predicted (windowSize - 1 per window).
    public var scoredTokens: Int
    public var seconds: Double
}

/// Perplexity as the pruning literature measures it: the token stream cut into non-overlapping
/// windows of `windowSize` tokens (the last partial window dropped), each window scored on its
/// own, perplexity = exp(mean next-token negative log-likelihood over all windows).
public struct PerplexityEvaluator: Sendable {
    public var windowSize: Int
    /// Evaluate only the first windows (nil: all).
    public var maxWindows: Int?

    public init(windowSize: Int = 1024, maxWindows: Int? = nil) {
        self.windowSize = windowSize
        self.maxWindows = maxWindows
    }

    /// The windows this evaluator would score in `tokens`.
    public func windowCount(tokens: Int) -> Int {
        let all = tokens / windowSize
        return maxWindows.map { min($0, all) } ?? all
    }

    /// Scores `model` on `tokens`. `progress` is called after every window; `isCancelled` is
    /// checked between blocks, and a cancelled run throws `OperationCancelled`.
    public func evaluate(
        model: LlamaModel, tokens: [Int32], pool: ThreadPool,
        progress: (PerplexityProgress) -> Void = { _ in }, isCancelled: () -> Bool = { false }
    ) throws -> PerplexityResult {
        guard windowSize >= 2 else { throw ModelError.invalidConfig("a perplexity window needs at least 2 tokens") }
        guard windowSize <= model.config.contextLength else {
            throw ModelError.windowTooLong(tokens: windowSize, contextLength: model.config.contextLength)
        }
        let windows = windowCount(tokens: tokens.count)
        guard windows > 0 else {
            throw ModelError.invalidConfig(
                "the text has \(tokens.count) tokens, fewer than one window of \(windowSize)")
        }
        let workspace = ForwardWorkspace(model: model, tokens: windowSize)
        let start = Date()
        var total = 0.0
        var count = 0
        for w in 0..<windows {
            if isCancelled() { throw OperationCancelled() }
            let window = Array(tokens[(w * windowSize)..<((w + 1) * windowSize)])
            let (sum, scored) = try model.windowNegativeLogLikelihood(
                window, workspace: workspace, pool: pool, isCancelled: isCancelled)
            total += sum
            count += scored
            let elapsed = Date().timeIntervalSince(start)
            progress(PerplexityProgress(
                windowsDone: w + 1, windowsTotal: windows,
                tokensPerSecond: Double((w + 1) * windowSize) / max(elapsed, 1e-9),
                runningPerplexity: exp(total / Double(count))))
        }
        let mean = total / Double(count)
        return PerplexityResult(
            perplexity: exp(mean), meanNegativeLogLikelihood: mean, windows: windows,
            windowSize: windowSize, scoredTokens: count, seconds: Date().timeIntervalSince(start))
    }
}
