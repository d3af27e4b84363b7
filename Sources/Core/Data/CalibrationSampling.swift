/// How calibration windows are drawn from a text (CFSP.md section 1): N windows of S tokens at
/// starts drawn with a seeded generator. The defaults are the paper's and are written here
/// only; the daemon's `calibrate` params, the CLI and the benchmarks read them.
public struct CalibrationSampling: Sendable, Codable, Equatable {
    /// N: windows drawn at random.
    public var count: Int = 128
    /// S: tokens per window.
    public var windowSize: Int = 1024
    /// Seed of the draw (Python's `random.seed`, as the reference code).
    public var seed: Int = 0

    /// The paper's sampling: 128 windows of 1024 tokens, seed 0.
    public init() {}

    /// The values each member accepts.
    public enum Limits {
        /// At least one window.
        public static let count = OptionRange.atLeast(1)
        /// At least one token per window.
        public static let windowSize = OptionRange.atLeast(1)
    }
}

extension CalibrationWindows {
    /// The windows `sampling` draws from `tokens` (see `windows(of:windowLength:count:seed:)`).
    public static func windows<Token>(of tokens: [Token], sampling: CalibrationSampling,
                                      isCancelled: () -> Bool = { false }) throws -> [[Token]] {
        try windows(of: tokens, windowLength: sampling.windowSize, count: sampling.count, seed: sampling.seed,
                    isCancelled: isCancelled)
    }
}
