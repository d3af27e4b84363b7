/// Seeded xorshift64* generator for the GEMM and conversion tests: reproducible inputs without
/// Foundation or global state.
struct GemmTestRandom {
    private var state: UInt64

    init(seed: UInt64) { state = seed == 0 ? 0x9E37_79B9_7F4A_7C15 : seed }

    mutating func nextBits() -> UInt64 {
        state ^= state >> 12
        state ^= state << 25
        state ^= state >> 27
        return state &* 2_685_821_657_736_338_717
    }

    /// Uniform in [-1, 1).
    mutating func nextSigned() -> Float {
        Float(nextBits() >> 40) / Float(1 << 23) - 1
    }

    mutating func signedArray(_ count: Int) -> [Float] {
        (0..<count).map { _ in nextSigned() }
    }
}
