import Foundation

/// AdamW (decoupled weight decay) over a flat parameter vector, with bias-corrected moments.
/// Deterministic: one sequential pass in index order.
struct AdamW {
    let beta1: Float, beta2: Float, epsilon: Float, weightDecay: Float
    private(set) var step = 0
    private var firstMoment: [Float]
    private var secondMoment: [Float]
    /// Per-parameter multiple of the step's rate (nil: 1 everywhere).
    private let rateScale: [Float]?

    /// An optimizer for `count` parameters; `rateScale[i]` multiplies the learning rate of
    /// parameter i (nil: every parameter gets the step's rate).
    init(count: Int, beta1: Float, beta2: Float, epsilon: Float, weightDecay: Float, rateScale: [Float]? = nil) {
        precondition(rateScale.map { $0.count == count } ?? true, "one rate scale per parameter")
        self.rateScale = rateScale
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.weightDecay = weightDecay
        firstMoment = Array(repeating: 0, count: count)
        secondMoment = Array(repeating: 0, count: count)
    }

    /// One update of `parameters` from `gradients` (already scaled and clipped) at rate `lr`.
    mutating func update(parameters: UnsafeMutablePointer<Float>, gradients: UnsafePointer<Float>, learningRate lr: Float) {
        step += 1
        let correction1 = 1 - Float(pow(Double(beta1), Double(step)))
        let correction2 = 1 - Float(pow(Double(beta2), Double(step)))
        let (b1, b2, eps, decay) = (beta1, beta2, epsilon, weightDecay)
        firstMoment.withUnsafeMutableBufferPointer { m in
            secondMoment.withUnsafeMutableBufferPointer { v in
                for i in 0..<m.count {
                    let g = gradients[i]
                    m[i] = b1 * m[i] + (1 - b1) * g
                    v[i] = b2 * v[i] + (1 - b2) * g * g
                    let mHat = m[i] / correction1
                    let vHat = v[i] / correction2
                    let rate = rateScale.map { lr * $0[i] } ?? lr
                    parameters[i] -= rate * (mHat / (vHat.squareRoot() + eps) + decay * parameters[i])
                }
            }
        }
    }
}

/// Linear warm-up to the peak rate, then a cosine decay to `minRatio` x peak at `totalSteps`.
public struct LearningRateSchedule: Sendable, Equatable {
    /// Rate at the end of the warm-up.
    public var peak: Float
    /// Steps of linear warm-up.
    public var warmupSteps: Int
    /// Steps at which the cosine reaches its floor.
    public var totalSteps: Int
    /// The floor, as a fraction of the peak.
    public var minRatio: Float

    /// A schedule from its four numbers.
    public init(peak: Float, warmupSteps: Int, totalSteps: Int, minRatio: Float) {
        self.peak = peak
        self.warmupSteps = warmupSteps
        self.totalSteps = totalSteps
        self.minRatio = minRatio
    }

    /// The rate of 0-based step `step`.
    public func rate(at step: Int) -> Float {
        if step < warmupSteps { return peak * Float(step + 1) / Float(warmupSteps) }
        let span = max(1, totalSteps - warmupSteps)
        let progress = min(1, Double(step - warmupSteps) / Double(span))
        let cosine = Float(0.5 * (1 + cos(Double.pi * progress)))
        return peak * (minRatio + (1 - minRatio) * cosine)
    }
}
