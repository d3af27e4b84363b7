#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Cosines and sines of the rotary angles pos * theta^(-2i/headDim) / factor_i for every
/// position in 0..<positions and every pair i in 0..<headDim/2, computed once per window and
/// shared by all layers and heads. The per-pair frequency factors are Llama 3's rope scaling as
/// llama.cpp stores it (`rope_freqs.weight`, one per pair): ggml's rope divides pair i's angle
/// by freq_factors[i]; without them every factor is 1.
///
/// Angles are computed in Double and rounded to f32 once, so long positions lose no accuracy
/// to an f32 product (Hugging Face multiplies in f32; the difference is below 1e-5 rad here).
/// Building costs one cos and one sin per (position, pair): about 0.2 s for 131072 positions
/// at headDim 128, whose 64 MiB of tables are the larger cost; build it for the positions a
/// window actually uses.
public struct RotaryTable: Sendable {
    /// Dimensions per head (even).
    public let headDim: Int
    /// Number of positions covered: 0..<positions.
    public let positions: Int
    /// Base of the frequencies (LLaMA: 10000; SmolLM2: 100000).
    public let theta: Float
    /// Per-pair divisors of the frequencies (headDim/2 of them), or nil for none (all 1).
    public let frequencyFactors: [Float]?
    /// cos of the angle of (position, pair) at position * headDim/2 + pair.
    let cosines: [Float]
    /// sin of the angle of (position, pair) at position * headDim/2 + pair.
    let sines: [Float]

    /// Builds the table. `headDim` must be positive and even, `positions` non-negative, and
    /// `frequencyFactors`, when given, headDim/2 positive finite values, pair i's frequency
    /// becoming theta^(-2i/headDim) / frequencyFactors[i] (model configurations and tensors
    /// are validated before this is called). Without factors (or with all of them 1) the table
    /// is the plain one, bit for bit.
    public init(headDim: Int, positions: Int, theta: Float, frequencyFactors: [Float]? = nil) {
        precondition(headDim > 0 && headDim % 2 == 0, "RotaryTable: headDim must be positive and even, got \(headDim)")
        precondition(positions >= 0, "RotaryTable: positions must be non-negative, got \(positions)")
        let half = headDim / 2
        if let frequencyFactors {
            precondition(frequencyFactors.count == half,
                         "RotaryTable: need \(half) frequency factors (one per pair), got \(frequencyFactors.count)")
            precondition(frequencyFactors.allSatisfy { $0 > 0 && $0.isFinite },
                         "RotaryTable: frequency factors must be positive and finite")
        }
        self.headDim = headDim
        self.positions = positions
        self.theta = theta
        self.frequencyFactors = frequencyFactors
        let frequencies = (0..<half).map { i in
            pow(Double(theta), -Double(2 * i) / Double(headDim)) / Double(frequencyFactors?[i] ?? 1)
        }
        var cosines = [Float](repeating: 0, count: positions * half)
        var sines = [Float](repeating: 0, count: positions * half)
        for position in 0..<positions {
            for i in 0..<half {
                let angle = Double(position) * frequencies[i]
                cosines[position * half + i] = Float(cos(angle))
                sines[position * half + i] = Float(sin(angle))
            }
        }
        self.cosines = cosines
        self.sines = sines
    }
}
