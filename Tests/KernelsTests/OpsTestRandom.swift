/// Seeded SplitMix64 generator for the non-GEMM kernel tests: tiny, deterministic inputs
/// generated in-process.
struct OpsRandom {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    mutating func unit() -> Double { Double(next() >> 11) / Double(1 << 53) }

    /// Uniform in [low, high).
    mutating func uniform(_ low: Float, _ high: Float) -> Float {
        low + Float(unit()) * (high - low)
    }

    /// `count` floats uniform in [low, high).
    mutating func floats(_ count: Int, _ low: Float = -1, _ high: Float = 1) -> [Float] {
        (0..<count).map { _ in uniform(low, high) }
    }
}

/// Largest |got - want| / (absolute + relative * |want|) over all elements; <= 1 means within
/// tolerance everywhere.
func opsWorstError(_ got: [Float], _ want: [Double], absolute: Double, relative: Double) -> Double {
    var worst = 0.0
    for (g, w) in zip(got, want) {
        let error = abs(Double(g) - w) / (absolute + relative * abs(w))
        if !(error <= worst) { worst = error.isNaN ? .infinity : error }
    }
    return got.count == want.count ? worst : .infinity
}
