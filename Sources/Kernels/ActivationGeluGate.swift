/// The gated tanh-approximated GELU of Gemma's FFN (PyTorch's `gelu(approximate="tanh")`,
/// `gelu_pytorch_tanh`): out[i] = gelu(gate[i]) * up[i], with
/// gelu(g) = 0.5 g (1 + tanh(sqrt(2/pi) (g + 0.044715 g^3))). `out` may alias `gate` or `up`
/// (each element is read before it is written).
///
/// Evaluated as g * sigmoid(2u), the same function without tanh's overflow or the cancellation
/// in 1 + tanh: finite gates never give NaN (very negative ones give -0, very large ones g;
/// +-inf gives NaN), and gelu is within about 3 ulps of the exact function over the whole f32
/// range, subnormal results included (see `GeluTanh`). Costs about twice `siluGate`.
public func geluTanhGate(gate: UnsafePointer<Float>, up: UnsafePointer<Float>, count: Int,
                         into out: UnsafeMutablePointer<Float>) {
    gatedLanes(gate: gate, up: up, count: count, into: out) { GeluTanh.value($0) }
}

/// Elementwise tanh-approximated GELU: out[i] = gelu(x[i]) as in `geluTanhGate`; `out` may
/// alias `x`.
public func geluTanh(_ x: UnsafePointer<Float>, count: Int, into out: UnsafeMutablePointer<Float>) {
    elementwiseLanes(x, count: count, into: out) { GeluTanh.value($0) }
}

/// Backward pass of `geluTanhGate` for fine-tuning: given the upstream gradient `gradOut`,
/// writes gradGate[i] = gradOut[i] * up[i] * gelu'(gate[i]) and
/// gradUp[i] = gradOut[i] * gelu(gate[i]), where, with s = sigmoid(2u) and
/// u = sqrt(2/pi) (g + 0.044715 g^3), gelu'(g) = s + g s (1 - s) 2 sqrt(2/pi) (1 + 3 * 0.044715 g^2).
/// The gradients may alias `gradOut` (not each other, nor the inputs). Finite gates give finite
/// gradients.
public func geluTanhGateBackward(gate: UnsafePointer<Float>, up: UnsafePointer<Float>,
                                 gradOut: UnsafePointer<Float>, count: Int,
                                 gradGate: UnsafeMutablePointer<Float>,
                                 gradUp: UnsafeMutablePointer<Float>) {
    gatedBackwardLanes(gate: gate, up: up, gradOut: gradOut, count: count, gradGate: gradGate, gradUp: gradUp) {
        GeluTanh.valueAndDerivative($0)
    }
}

/// Lane-wise tanh-approximated GELU and its derivative.
///
/// gelu(x) = x sigmoid(2u) with u = c (x + a x^3), c = sqrt(2/pi), a = 0.044715 (since
/// 1 + tanh(u) = 2 sigmoid(2u)). With z = -2u and e = exp(-|z|) <= 1 (never overflows):
/// sigmoid(2u) = 1 / (1 + e) when z <= 0 (x >= 0) and e / (1 + e) when z > 0, so
/// gelu(x) = x / (1 + e) or x e / (1 + e), and sigmoid(2u) (1 - sigmoid(2u)) = e / (1 + e)^2.
///
/// The result is ill-conditioned in z for negative x (one f32 ulp of z = 60 moves e^-z by
/// 400 ulps), so z is carried as an unevaluated f32 pair (hi + lo: FMA error-free products and
/// TwoSum, the constants split the same way), leaving the exponential's ~2 ulp and a few
/// roundings. x e is formed from 2^64 e, so it keeps full precision where e alone would be
/// subnormal (x near -10). |x| is clamped to 11.6 for z, where e is already 0, so nothing
/// overflows. Uses only lane-wise float arithmetic and integer shifts/adds, like `OpsExp`
/// (lane selects and compares become branches or scalar loops here).
enum GeluTanh {
    /// -2 sqrt(2/pi) as hi + lo (hi = f32 rounding of -1.5957691216057308).
    private static let scaleHigh: Float = -0x1.988454p+0
    private static let scaleLow: Float = 0x1.857936p-25
    /// 0.044715 as hi + lo.
    private static let cubicHigh: Float = 0x1.6e4e26p-5
    private static let cubicLow: Float = 0x1.a9003ep-30
    /// 64 ln 2 as hi + lo: exp(y + 64 ln 2) = 2^64 e^y.
    private static let bias64High: Float = 0x1.62e43p+5
    private static let bias64Low: Float = -0x1.05c61p-23
    /// |x| is clamped to this for z. |z(11.6)| = 129.9, so beyond it gelu is exactly x or -0
    /// in f32 (e^-129.9 is below half an ulp of 1, and |x| e^-|z| below the smallest
    /// subnormal), clamped lanes still give e = 0 and x e = 0, no product overflows, and
    /// exp(-|z| + 64 ln 2) stays in the normal range (the exponential's rare-path patch for
    /// |argument| > 170 is never taken for finite x).
    private static let clampLimit: Float = 11.6
    /// 2^-64.
    private static let unbias64: Float = 0x1p-64
    /// 2 sqrt(2/pi) and 3 * 0.044715 for the derivative (f32 roundings are enough there).
    private static let twiceC: Float = 1.595_769_1
    private static let threeA: Float = 0.134_145

    /// gelu(x) lane by lane.
    @inline(__always)
    static func value(_ x: SIMD16<Float>) -> SIMD16<Float> {
        let (e, xe, f) = terms(x)
        let numerator = (SIMD16<Float>(repeating: 1) - f) * x + f * xe
        return numerator / (SIMD16<Float>(repeating: 1) + e)
    }

    /// gelu(x) and gelu'(x) lane by lane.
    @inline(__always)
    static func valueAndDerivative(_ x: SIMD16<Float>) -> (value: SIMD16<Float>, derivative: SIMD16<Float>) {
        let one = SIMD16<Float>(repeating: 1)
        let (e, xe, f) = terms(x)
        let q = one / (one + e)
        let value = ((one - f) * x + f * xe) * q
        let sigmoid = ((one - f) + f * e) * q
        // x e (1 + 3a x^2), multiplied in an order that stays finite for any finite x (x e is
        // 0 wherever x^2 could overflow).
        let polynomial = xe + SIMD16(repeating: threeA) * xe * x * x
        let derivative = sigmoid + SIMD16(repeating: twiceC) * (q * q) * polynomial
        return (value, derivative)
    }

    /// e = exp(-|z|), x e, and f (1 where z >= +0, i.e. x <= -0; else 0) for
    /// z = -2 sqrt(2/pi) (x + a x^3).
    @inline(__always)
    private static func terms(_ input: SIMD16<Float>) -> (e: SIMD16<Float>, xe: SIMD16<Float>, f: SIMD16<Float>) {
        let zero = SIMD16<Float>()
        let one = SIMD16<Float>(repeating: 1)
        let x = clamped(input)
        // s = x^2, exact as a pair.
        let sHigh = x * x
        let sLow = (zero - sHigh).addingProduct(x, x)
        // t = a x^2.
        let aHigh = SIMD16<Float>(repeating: cubicHigh), aLow = SIMD16<Float>(repeating: cubicLow)
        let tHigh = aHigh * sHigh
        let tLow = (zero - tHigh).addingProduct(aHigh, sHigh) + (aLow * sHigh).addingProduct(aHigh, sLow)
        // w = 1 + t (TwoSum: valid whichever term is larger).
        let wHigh = one + tHigh
        let wPart = wHigh - one
        let wLow = ((one - (wHigh - wPart)) + (tHigh - wPart)) + tLow
        // m = x w.
        let mHigh = x * wHigh
        let mLow = (zero - mHigh).addingProduct(x, wHigh) + x * wLow
        // z = k m.
        let kHigh = SIMD16<Float>(repeating: scaleHigh), kLow = SIMD16<Float>(repeating: scaleLow)
        let zHigh = kHigh * mHigh
        let zLow = (zero - zHigh).addingProduct(kHigh, mHigh) + (kLow * mHigh).addingProduct(kHigh, mLow)

        // sign(zHigh) as +-1 from its sign bit; y = -|z| = -sign (zHigh + zLow), exactly.
        let signBit = (unsafeBitCast(zHigh, to: SIMD16<UInt32>.self) &>> 31) &<< 31
        let sign = unsafeBitCast(signBit &+ SIMD16(repeating: (1 as Float).bitPattern), to: SIMD16<Float>.self)
        let yHigh = zero - zHigh * sign, yLow = zero - zLow * sign
        // y + 64 ln 2, TwoSum again, then 2^64 e = exp of it.
        let bHigh = SIMD16<Float>(repeating: bias64High)
        let biased = yHigh + bHigh
        let biasPart = biased - yHigh
        let biasedLow = ((yHigh - (biased - biasPart)) + (bHigh - biasPart)) + (yLow + SIMD16(repeating: bias64Low))
        let scaledE = OpsExp.exp(biased, plusLow: biasedLow)
        let unbias = SIMD16<Float>(repeating: unbias64)
        let f = (one + sign) * SIMD16(repeating: 0.5)
        return (scaledE * unbias, x * scaledE * unbias, f)
    }

    /// x with |x| clamped to `clampLimit` (sign kept; NaN stays NaN, +-inf becomes NaN), without
    /// compares or selects: a 0/1 flag is built from the bits of |x| (as in `OpsExp`).
    @inline(__always)
    private static func clamped(_ x: SIMD16<Float>) -> SIMD16<Float> {
        let bits = unsafeBitCast(x, to: SIMD16<UInt32>.self)
        let limitBits = SIMD16<UInt32>(repeating: clampLimit.bitPattern)
        let magnitude = (bits &<< 1) &>> 1
        // All ones where |x| > limit (or NaN), else 0; then the bits of 1.0 or 0.0 from it.
        let mask = unsafeBitCast(unsafeBitCast(limitBits &- magnitude, to: SIMD16<Int32>.self) &>> 31,
                                 to: SIMD16<UInt32>.self)
        let over = unsafeBitCast((mask &>> 2) &- (mask &>> 9), to: SIMD16<Float>.self)
        let signedLimit = unsafeBitCast(((bits &>> 31) &<< 31) &+ limitBits, to: SIMD16<Float>.self)
        return (over * signedLimit).addingProduct(SIMD16<Float>(repeating: 1) - over, x)
    }
}
