/// Where the calibration windows of CFSP (CFSP.md, section 1) start in the tokenized text:
/// `start = randint(0, n_tokens - S - 1)` per window with CPython's generator seeded by
/// `random.seed(seed)`, the draw of the reference code, so both pick the same windows.
public enum CalibrationWindows {
    /// `count` window starts for `windowLength`-token windows in a text of `tokenCount` tokens.
    /// Throws `DataError.tooFewTokens` unless `tokenCount > windowLength`, and
    /// `OperationCancelled` once `isCancelled` says so (checked every few thousand draws).
    public static func starts(tokenCount: Int, windowLength: Int, count: Int, seed: Int,
                              isCancelled: () -> Bool = { false }) throws -> [Int] {
        guard windowLength > 0 else { throw DataError.invalidWindowParameters(reason: "the window length must be positive (got \(windowLength))") }
        guard count >= 0 else { throw DataError.invalidWindowParameters(reason: "the window count must not be negative (got \(count))") }
        guard tokenCount > windowLength else { throw DataError.tooFewTokens(tokenCount: tokenCount, windowLength: windowLength) }
        var generator = CPythonRandom(seed: seed)
        var starts: [Int] = []
        starts.reserveCapacity(count)
        for i in 0..<count {
            if i & 0xFFF == 0, isCancelled() { throw OperationCancelled() }
            starts.append(try generator.randint(0, tokenCount - windowLength - 1))
        }
        return starts
    }

    /// The windows themselves: `tokens[start ..< start + windowLength]` for each start.
    public static func windows<Token>(of tokens: [Token], windowLength: Int, count: Int, seed: Int,
                                      isCancelled: () -> Bool = { false }) throws -> [[Token]] {
        let starts = try starts(tokenCount: tokens.count, windowLength: windowLength, count: count, seed: seed,
                                isCancelled: isCancelled)
        var windows: [[Token]] = []
        windows.reserveCapacity(starts.count)
        for (i, start) in starts.enumerated() {
            if i & 0xFFF == 0, isCancelled() { throw OperationCancelled() }
            windows.append(Array(tokens[start..<(start + windowLength)]))
        }
        return windows
    }
}
