/// The gated SiLU of LLaMA's FFN: out[i] = silu(gate[i]) * up[i], with
/// silu(g) = g / (1 + exp(-g)). `out` may alias `gate` or `up` (each element is read before it
/// is written). Very negative gates give -0 (exp(-g) overflows to +inf), never NaN.
public func siluGate(gate: UnsafePointer<Float>, up: UnsafePointer<Float>, count: Int,
                     into out: UnsafeMutablePointer<Float>) {
    let one = SIMD16<Float>(repeating: 1)
    var i = 0
    while i + 16 <= count {
        let g = OpsSIMD.load(gate + i)
        let activated = g / (one + OpsExp.exp(SIMD16<Float>() - g))
        OpsSIMD.store(activated * OpsSIMD.load(up + i), out + i)
        i += 16
    }
    if i < count {
        let tail = count - i
        var g = SIMD16<Float>()
        var u = SIMD16<Float>()
        for lane in 0..<tail {
            g[lane] = gate[i + lane]
            u[lane] = up[i + lane]
        }
        let result = g / (one + OpsExp.exp(SIMD16<Float>() - g)) * u
        for lane in 0..<tail { out[i + lane] = result[lane] }
    }
}

/// Elementwise SiLU: out[i] = x[i] / (1 + exp(-x[i])); `out` may alias `x`.
public func silu(_ x: UnsafePointer<Float>, count: Int, into out: UnsafeMutablePointer<Float>) {
    let one = SIMD16<Float>(repeating: 1)
    var i = 0
    while i + 16 <= count {
        let g = OpsSIMD.load(x + i)
        OpsSIMD.store(g / (one + OpsExp.exp(SIMD16<Float>() - g)), out + i)
        i += 16
    }
    if i < count {
        let tail = count - i
        var g = SIMD16<Float>()
        for lane in 0..<tail { g[lane] = x[i + lane] }
        let result = g / (one + OpsExp.exp(SIMD16<Float>() - g))
        for lane in 0..<tail { out[i + lane] = result[lane] }
    }
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
    var i = 0
    while i < count {
        let lanes = Swift.min(16, count - i)
        var g = SIMD16<Float>(), u = SIMD16<Float>(), d = SIMD16<Float>()
        if lanes == 16 {
            g = OpsSIMD.load(gate + i)
            u = OpsSIMD.load(up + i)
            d = OpsSIMD.load(gradOut + i)
        } else {
            for lane in 0..<lanes {
                g[lane] = gate[i + lane]
                u[lane] = up[i + lane]
                d[lane] = gradOut[i + lane]
            }
        }
        let sigmoid = one / (one + OpsExp.exp(SIMD16<Float>() - g))
        let derivative = sigmoid * (one + g * (one - sigmoid))
        let gateGradient = d * u * derivative
        let upGradient = d * (g * sigmoid)
        if lanes == 16 {
            OpsSIMD.store(gateGradient, gradGate + i)
            OpsSIMD.store(upGradient, gradUp + i)
        } else {
            for lane in 0..<lanes {
                gradGate[i + lane] = gateGradient[lane]
                gradUp[i + lane] = upGradient[lane]
            }
        }
        i += lanes
    }
}
