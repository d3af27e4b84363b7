#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Cosines and sines of the rotary angles pos * theta^(-2i/headDim) for every position in
/// 0..<positions and every pair i in 0..<headDim/2, computed once per window and shared by all
/// layers and heads.
///
/// Angles are computed in Double and rounded to f32 once, so long positions lose no accuracy
/// to an f32 product (Hugging Face multiplies in f32; the difference is below 1e-5 rad here).
public struct RotaryTable: Sendable {
    /// Dimensions per head (even).
    public let headDim: Int
    /// Number of positions covered: 0..<positions.
    public let positions: Int
    /// Base of the frequencies (LLaMA: 10000; SmolLM2: 100000).
    public let theta: Float
    /// cos of the angle of (position, pair) at position * headDim/2 + pair.
    let cosines: [Float]
    /// sin of the angle of (position, pair) at position * headDim/2 + pair.
    let sines: [Float]

    /// Builds the table. `headDim` must be positive and even and `positions` non-negative
    /// (model configurations are validated before this is called).
    public init(headDim: Int, positions: Int, theta: Float) {
        precondition(headDim > 0 && headDim % 2 == 0, "RotaryTable: headDim must be positive and even, got \(headDim)")
        precondition(positions >= 0, "RotaryTable: positions must be non-negative, got \(positions)")
        self.headDim = headDim
        self.positions = positions
        self.theta = theta
        let half = headDim / 2
        let frequencies = (0..<half).map { i in
            pow(Double(theta), -Double(2 * i) / Double(headDim))
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
