/// The gated SiLU of LLaMA's FFN: out[i] = silu(gate[i]) * up[i], with
/// silu(g) = g / (1 + exp(-g)). `out` may alias `gate` or `up` (each element is read before it
/// is written). Very negative gates give -0 (exp(-g) overflows to +inf), never NaN.
public func siluGate(gate: UnsafePointer<Float>, up: UnsafePointer<Float>, count: Int,
                     into out: UnsafeMutablePointer<Float>) {
    let one = SIMD16<Float>(repeating: 1)
    gatedLanes(gate: gate, up: up, count: count, into: out) { g in g / (one + OpsExp.exp(SIMD16<Float>() - g)) }
}

/// Elementwise SiLU: out[i] = x[i] / (1 + exp(-x[i])); `out` may alias `x`.
public func silu(_ x: UnsafePointer<Float>, count: Int, into out: UnsafeMutablePointer<Float>) {
    let one = SIMD16<Float>(repeating: 1)
    elementwiseLanes(x, count: count, into: out) { g in g / (one + OpsExp.exp(SIMD16<Float>() - g)) }
}

/// Backward pass of `siluGate` for fine-tuning: given the upstream gradient `gradOut`, writes
/// gradGate[i] = gradOut[i] * up[i] * silu'(gate[i]) and gradUp[i] = gradOut[i] * silu(gate[i]),
/// where silu'(g) = s (1 + g (1 - s)) with s = sigmoid(g). The gradients may alias `gradOut`
/// (not each other, nor the inputs).
public func siluGateBackward(gate: UnsafePointer<Float>, up: UnsafePointer<Float>,
                             gradOut: UnsafePointer<Float>, count: Int,
                             gradGate: UnsafeMutablePointer<Float>,
                             gradUp: UnsafeMutablePointer<Float>) {
    let one = SIMD16<Float>(repeating: 1)
    gatedBackwardLanes(gate: gate, up: up, gradOut: gradOut, count: count, gradGate: gradGate, gradUp: gradUp) { g in
        let sigmoid = one / (one + OpsExp.exp(SIMD16<Float>() - g))
        return (g * sigmoid, sigmoid * (one + g * (one - sigmoid)))
    }
}
