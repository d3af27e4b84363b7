/// The tests' one seeded generator: SplitMix64, so every generated input is reproducible from its
/// seed and no test depends on global state or on the system generator.
///
/// It draws the same stream as Core's `SeededGenerator` (the library's generator for seeded models,
/// LoRA initialisation and sampling; CoreTests checks that the two agree), but lives here so the
/// Kernels and RPC tests need not build Core. Target-specific inputs (JSON values, Unicode text,
/// English-like words) are extensions in the test targets that need them.
public struct TestRandom: RandomNumberGenerator, Sendable {
    private var state: UInt64

    /// A generator whose whole stream is fixed by `seed` (any value, zero included).
    public init(seed: UInt64) { state = seed }

    /// The next 64 random bits.
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// An integer in `0..<bound` (by remainder: a bias of about bound / 2^64, far below what a
    /// test can see).
    public mutating func int(below bound: Int) -> Int {
        precondition(bound > 0, "TestRandom.int(below:) needs a positive bound")
        return Int(next() % UInt64(bound))
    }

    /// Uniform in [0, 1), from the top 53 bits.
    public mutating func unit() -> Double { Double(next() >> 11) / Double(1 << 53) }

    /// Uniform in [low, high).
    public mutating func uniform(_ low: Float, _ high: Float) -> Float {
        low + Float(unit()) * (high - low)
    }

    /// `count` values uniform in [low, high) (by default [-1, 1), a kernel's typical input).
    public mutating func floats(_ count: Int, _ low: Float = -1, _ high: Float = 1) -> [Float] {
        (0..<count).map { _ in uniform(low, high) }
    }
}
