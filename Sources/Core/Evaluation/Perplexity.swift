import Foundation
import Kernels

/// Where a perplexity evaluation stands, for progress bars.
public struct PerplexityProgress: Sendable {
    /// Windows scored so far.
    public var windowsDone: Int
    /// Windows in all.
    public var windowsTotal: Int
    /// Tokens per second so far.
    public var tokensPerSecond: Double
    /// Perplexity over the windows done so far.
    public var runningPerplexity: Double

    /// A progress report.
    public init(windowsDone: Int, windowsTotal: Int, tokensPerSecond: Double, runningPerplexity: Double) {
        self.windowsDone = windowsDone
        self.windowsTotal = windowsTotal
        self.tokensPerSecond = tokensPerSecond
        self.runningPerplexity = runningPerplexity
    }
}

/// The outcome of a perplexity evaluation.
public struct PerplexityResult: Sendable, Codable, Equatable {
    /// exp of the mean negative log-likelihood.
    public var perplexity: Double
    /// Mean next-token negative log-likelihood over the scored tokens (nats).
    public var meanNegativeLogLikelihood: Double
    /// Windows scored.
    public var windows: Int
    /// Tokens per window.
    public var windowSize: Int
    /// Tokens predicted (windowSize - 1 per window).
    public var scoredTokens: Int
    /// Wall-clock seconds of the evaluation.
    public var seconds: Double

    /// A result as an evaluation (or a client reading one back) records it.
    public init(perplexity: Double, meanNegativeLogLikelihood: Double, windows: Int, windowSize: Int,
                scoredTokens: Int, seconds: Double) {
        self.perplexity = perplexity
        self.meanNegativeLogLikelihood = meanNegativeLogLikelihood
        self.windows = windows
        self.windowSize = windowSize
        self.scoredTokens = scoredTokens
        self.seconds = seconds
    }

    /// Tokens run through the model per second (every token of every window).
    public var tokensPerSecond: Double { Double(windows * windowSize) / max(seconds, 1e-9) }
}

/// Perplexity as the pruning literature measures it: the token stream cut into non-overlapping
/// windows of `windowSize` tokens (the last partial window dropped), each window scored on its
/// own, perplexity = exp(mean next-token negative log-likelihood over all windows).
public struct PerplexityEvaluator: Sendable {
    /// Tokens per window.
    public var windowSize: Int
    /// Evaluate only the first windows (nil: all).
    public var maxWindows: Int?

    /// The window of the literature's perplexity protocol (the daemon's default, cut to the
    /// model's context when that is shorter).
    public static let defaultWindowSize = 1024

    /// The values each setting accepts.
    public enum Limits {
        /// A window predicts its tokens after the first, so it needs two.
        public static let windowSize = OptionRange.atLeast(2)
        /// At least one window.
        public static let maxWindows = OptionRange.atLeast(1)
    }

    /// An evaluator over windows of `windowSize` tokens, all of them or the first `maxWindows`.
    public init(windowSize: Int = defaultWindowSize, maxWindows: Int? = nil) {
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
        if let violation = Limits.windowSize.violation("a perplexity window (tokens)", windowSize) {
            throw ModelError.invalidConfig(violation)
        }
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
