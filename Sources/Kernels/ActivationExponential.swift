/// A 16-lane exponential for the softmax, SiLU, GELU and attention kernels.
///
/// Swift has no vector `exp`, and a scalar libm call per element would dominate the attention
/// kernel. Method: write x = n ln2 + r with n = round(x / ln2) (two-constant Cody-Waite split,
/// so |r| <= ln2/2 with ~1 ulp error), take e^r from its degree-7 Taylor polynomial (truncation
/// error below 5e-9 relative), and scale by 2^n as the product of two powers of two built in
/// the exponent bits (each within the normal range), so results underflow gradually to 0 and
/// overflow to +inf as f32 does. Relative error is about 2 ulp over the normal range.
///
/// Only lane-wise float arithmetic and integer add/subtract/shift are used in the common path:
/// the standard library's generic SIMD comparisons, select, min/max and bitwise and/or compile
/// to per-lane loops inside large functions. Lanes with |x| > 170 (where the result is 0 or
/// +inf anyway) and NaN lanes are patched by a rarely taken scalar loop; NaN stays NaN.
enum OpsExp {
    private static let log2e: Float = 1.442_695_04
    private static let ln2High: Float = 0.693_359_375
    private static let ln2Low: Float = -2.121_944_4e-4
    /// 1.5 * 2^23: adding it rounds a float of magnitude < 2^22 to an integer held in the low
    /// mantissa bits.
    private static let roundingMagic: Float = 12_582_912
    /// Bits of 170.0: lanes with a larger magnitude are patched (their result is 0 or +inf).
    private static let fixupLimitBits = Int32(bitPattern: (170 as Float).bitPattern)

    /// e^x lane by lane.
    @inline(__always)
    static func exp(_ x: SIMD16<Float>) -> SIMD16<Float> {
        let (r, shifted) = reduce(x)
        return scale(polynomial(r), shifted: shifted, x: x)
    }

    /// e^(x + low) lane by lane, for an argument carried as an unevaluated sum whose `low` part
    /// is tiny (|low| <= ulp(x), e.g. the rounding error of x): `low` is added to the reduced
    /// argument, so it costs one add and rounds like a single argument would. Lanes patched for
    /// |x| > 170 or NaN x (see `exp`) ignore `low`, so a non-finite `low` there is harmless.
    @inline(__always)
    static func exp(_ x: SIMD16<Float>, plusLow low: SIMD16<Float>) -> SIMD16<Float> {
        let (r, shifted) = reduce(x)
        return scale(polynomial(r + low), shifted: shifted, x: x)
    }

    /// The reduced argument r = x - n ln2 (|r| <= ln2/2) and x/ln2 + magic, which holds n in
    /// its low mantissa bits.
    @inline(__always)
    private static func reduce(_ x: SIMD16<Float>) -> (r: SIMD16<Float>, shifted: SIMD16<Float>) {
        let magic = SIMD16<Float>(repeating: roundingMagic)
        let shifted = magic.addingProduct(x, SIMD16(repeating: log2e))
        let n = shifted - magic
        var r = x.addingProduct(n, SIMD16(repeating: -ln2High))
        r = r.addingProduct(n, SIMD16(repeating: -ln2Low))
        return (r, shifted)
    }

    /// e^r from its degree-7 Taylor polynomial (Horner).
    @inline(__always)
    private static func polynomial(_ r: SIMD16<Float>) -> SIMD16<Float> {
        var p = SIMD16<Float>(repeating: 1.0 / 5040)
        p = SIMD16(repeating: 1.0 / 720).addingProduct(p, r)
        p = SIMD16(repeating: 1.0 / 120).addingProduct(p, r)
        p = SIMD16(repeating: 1.0 / 24).addingProduct(p, r)
        p = SIMD16(repeating: 1.0 / 6).addingProduct(p, r)
        p = SIMD16(repeating: 0.5).addingProduct(p, r)
        p = SIMD16(repeating: 1).addingProduct(p, r)
        p = SIMD16(repeating: 1).addingProduct(p, r)
        return p
    }

    /// p * 2^n, with the lanes where |x| > 170 or x is NaN patched to 0, +inf or NaN.
    @inline(__always)
    private static func scale(_ p: SIMD16<Float>, shifted: SIMD16<Float>, x: SIMD16<Float>) -> SIMD16<Float> {
        let magic = SIMD16<Float>(repeating: roundingMagic)
        // For |x| <= 170, n is in [-246, 246]: split it as h + (n - h) with h = n >> 1, both
        // in [-123, 123], so each factor is a normal float and the product rounds once at the
        // end (gradual underflow, overflow to +inf).
        let exponent = unsafeBitCast(shifted, to: SIMD16<Int32>.self)
            &- unsafeBitCast(magic, to: SIMD16<Int32>.self)
        let half = exponent &>> 1
        let scaleA = unsafeBitCast((half &+ 127) &<< 23, to: SIMD16<Float>.self)
        let scaleB = unsafeBitCast((exponent &- half &+ 127) &<< 23, to: SIMD16<Float>.self)
        var result = p * scaleA * scaleB

        // Lanes with |x| > 170 (n outside [-252, 254], where the two factors leave the normal
        // range) or NaN need a patch. Found with integer arithmetic on the bits: |x| as bits
        // is the sign bit shifted out, and (limit - |x| bits) is negative exactly for them.
        let magnitude = (unsafeBitCast(x, to: SIMD16<UInt32>.self) &<< 1) &>> 1
        let flags = (SIMD16<Int32>(repeating: fixupLimitBits)
            &- unsafeBitCast(magnitude, to: SIMD16<Int32>.self)) &>> 31
        let eight = flags.lowHalf &+ flags.highHalf
        let four = eight.lowHalf &+ eight.highHalf
        let two = four.lowHalf &+ four.highHalf
        if two.x &+ two.y != 0 {
            for lane in 0..<16 where flags[lane] != 0 {
                let value = x[lane]
                result[lane] = value.isNaN ? value : (value < 0 ? 0 : .infinity)
            }
        }
        return result
    }

    /// e^x for the first `count` (< 16) floats at `pointer`, through the same vector code so a
    /// row's tail rounds exactly like its body; unused lanes are -inf and come out as 0.
    @inline(__always)
    static func expTail(_ pointer: UnsafePointer<Float>, count: Int, minus shift: Float) -> SIMD16<Float> {
        var lanes = SIMD16<Float>(repeating: -.infinity)
        for i in 0..<count { lanes[i] = pointer[i] - shift }
        return exp(lanes)
    }
}
