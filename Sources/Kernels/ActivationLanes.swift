/// The one lane loop of the elementwise activations: 16 lanes at a time, the tail through a
/// zero-padded vector, so each activation (`siluGate`, `geluTanhGate`, ...) only states its
/// formula. Always inlined, so the formula is specialised into the loop.

/// out[i] = f(x[i]); `out` may alias `x`.
@inline(__always)
func elementwiseLanes(_ x: UnsafePointer<Float>, count: Int, into out: UnsafeMutablePointer<Float>,
                      _ f: (SIMD16<Float>) -> SIMD16<Float>) {
    var i = 0
    while i + 16 <= count {
        OpsSIMD.store(f(OpsSIMD.load(x + i)), out + i)
        i += 16
    }
    if i < count {
        let tail = count - i
        var g = SIMD16<Float>()
        for lane in 0..<tail { g[lane] = x[i + lane] }
        let result = f(g)
        for lane in 0..<tail { out[i + lane] = result[lane] }
    }
}

/// out[i] = act(gate[i]) * up[i]; `out` may alias `gate` or `up` (each element is read before
/// it is written).
@inline(__always)
func gatedLanes(gate: UnsafePointer<Float>, up: UnsafePointer<Float>, count: Int, into out: UnsafeMutablePointer<Float>,
                _ act: (SIMD16<Float>) -> SIMD16<Float>) {
    var i = 0
    while i + 16 <= count {
        OpsSIMD.store(act(OpsSIMD.load(gate + i)) * OpsSIMD.load(up + i), out + i)
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
        let result = act(g) * u
        for lane in 0..<tail { out[i + lane] = result[lane] }
    }
}

/// The backward pass of `gatedLanes`: gradGate[i] = gradOut[i] * up[i] * act'(gate[i]) and
/// gradUp[i] = gradOut[i] * act(gate[i]), with `valueAndDerivative` giving (act, act') per lane.
/// The gradients may alias `gradOut` (not each other, nor the inputs).
@inline(__always)
func gatedBackwardLanes(gate: UnsafePointer<Float>, up: UnsafePointer<Float>, gradOut: UnsafePointer<Float>, count: Int,
                        gradGate: UnsafeMutablePointer<Float>, gradUp: UnsafeMutablePointer<Float>,
                        _ valueAndDerivative: (SIMD16<Float>) -> (value: SIMD16<Float>, derivative: SIMD16<Float>)) {
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
        let (value, derivative) = valueAndDerivative(g)
        let gateGradient = d * u * derivative
        let upGradient = d * value
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
