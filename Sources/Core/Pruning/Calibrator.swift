import Foundation
import Kernels

/// Where a calibration stands, for progress reports.
public struct CalibrationProgress: Sendable {
    /// Windows calibrated so far.
    public var windowsDone: Int
    /// Windows in all.
    public var windowsTotal: Int
    /// Tokens per second so far.
    public var tokensPerSecond: Double

    /// A progress report.
    public init(windowsDone: Int, windowsTotal: Int, tokensPerSecond: Double) {
        self.windowsDone = windowsDone
        self.windowsTotal = windowsTotal
        self.tokensPerSecond = tokensPerSecond
    }
}

/// Runs the dense model once over calibration windows and returns every statistic CFSP needs
/// (CFSP.md section 1). Memory does not grow with the number of windows.
public struct Calibrator: Sendable {
    /// Also accumulate each block's FFN Gram matrix G = sum_t z_t^T z_t, which the
    /// down-projection compensation needs (on by default, as compensation is). It costs
    /// width x (width + 1) / 2 doubles per block (SmolLM2-135M: 283 MB; Gemma 3 270M: 302 MB) and
    /// about half again the calibration time (bench/RESULTS.md); off, the statistics are a few
    /// hundred kB.
    public var gram: Bool

    /// A calibrator; `gram` as documented on the property.
    public init(gram: Bool = true) { self.gram = gram }

    /// Calibrates on `windows` (each a list of token ids). `progress` is called after each
    /// window; `isCancelled` is checked between blocks and windows (throws `OperationCancelled`).
    public func calibrate(
        model: LlamaModel, windows: [[Int32]], pool: ThreadPool,
        progress: (CalibrationProgress) -> Void = { _ in }, isCancelled: () -> Bool = { false }
    ) throws -> CalibrationStatistics {
        guard let longest = windows.map(\.count).max(), longest > 0 else {
            throw ModelError.invalidConfig("calibration needs at least one non-empty window")
        }
        let accumulator = CalibrationAccumulator(config: model.config, gram: gram, pool: pool)
        let workspace = ForwardWorkspace(model: model, tokens: longest)
        let start = Date()
        var tokensDone = 0
        for (index, window) in windows.enumerated() {
            if isCancelled() { throw OperationCancelled() }
            try model.observeBlocks(window, observer: accumulator, workspace: workspace, pool: pool,
                                    isCancelled: isCancelled)
            accumulator.finishWindow(tokens: window.count)
            tokensDone += window.count
            progress(CalibrationProgress(
                windowsDone: index + 1, windowsTotal: windows.count,
                tokensPerSecond: Double(tokensDone) / max(Date().timeIntervalSince(start), 1e-9)))
        }
        return accumulator.statistics
    }

    /// Windows of `size` tokens starting at `starts` in `tokens`, checking every bound: a window
    /// that does not fit is a data problem (`DataError.invalidWindowParameters`), not the model's.
    public static func windows(from tokens: [Int32], starts: [Int], size: Int) throws(DataError) -> [[Int32]] {
        try starts.map { start throws(DataError) in
            // Compared without `start + size`, which overflows for starts near Int.max.
            guard start >= 0, size > 0, size <= tokens.count, start <= tokens.count - size else {
                throw .invalidWindowParameters(
                    reason: "a window of \(size) tokens starting at \(start) does not fit in \(tokens.count) tokens")
            }
            return Array(tokens[start..<(start + size)])
        }
    }
}
