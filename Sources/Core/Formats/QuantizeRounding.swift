/// The integer roundings ggml's quantizers use, made total: out-of-range and NaN inputs (from
/// degenerate blocks, e.g. a subnormal scale) clamp instead of trapping.
enum QuantizeRounding {
    /// Half-to-even rounding, as ggml's `nearest_int` (exact for |x| < 2^22, where it is defined).
    @inline(__always)
    static func nearest(_ x: Float) -> Int {
        guard x == x else { return 0 }
        return Int(min(max(x, -4_194_303), 4_194_303).rounded(.toNearestOrEven))
    }

    /// Half-away-from-zero rounding, as C's `roundf` (ggml's Q8_0).
    @inline(__always)
    static func away(_ x: Float) -> Int {
        guard x == x else { return 0 }
        return Int(min(max(x, -4_194_303), 4_194_303).rounded(.toNearestOrAwayFromZero))
    }

    /// Truncation toward zero, as C's float-to-int cast (ggml's legacy 32-value types add 0.5
    /// or 8.5 first).
    @inline(__always)
    static func truncate(_ x: Float) -> Int {
        guard x == x else { return 0 }
        return Int(min(max(x, -4_194_303), 4_194_303).rounded(.towardZero))
    }

    /// `value` limited to `low...high`.
    @inline(__always)
    static func clamp(_ value: Int, _ low: Int, _ high: Int) -> Int {
        min(max(value, low), high)
    }
}
