/// A 16-lane exponential for the softmax, SiLU and attention kernels.
///
/// Swift has no vector `exp`, and a scalar libm call per element would dominate the attention
/// kernel. Method: write x = n ln2 + r with n = round(x / ln2) (two-constant Cody-Waite split,
/// so r is exact to ~1 ulp and |r| <= ln2/2), take e^r from its degree-7 Taylor polynomial
/// (truncation error below 5e-9 relative), and scale by 2^n built directly in the exponent bits.
/// Relative error stays within about 2 ulp over the normal range.
///
/// Edge behaviour: results below the smallest normal float (x < -87.3) flush to 0 (so -inf
/// gives 0); x > 88.72 gives +inf; x in (88.37, 88.72] saturates near 2.4e38; NaN stays NaN.
enum OpsExp {
    private static let log2e: Float = 1.442_695_04
    private static let ln2High: Float = 0.693_359_375
    private static let ln2Low: Float = -2.121_944_4e-4
    /// 1.5 * 2^23: adding it rounds a float of magnitude < 2^22 to an integer held in the low
    /// mantissa bits.
    private static let roundingMagic: Float = 12_582_912
    private static let lowest: Float = -87.3
    private static let highestScaled: Float = 88.37
    private static let overflow: Float = 88.722_83

    /// e^x lane by lane.
    @inline(__always)
    static func exp(_ x: SIMD16<Float>) -> SIMD16<Float> {
        let clamped = pointwiseMin(pointwiseMax(x, SIMD16(repeating: lowest)),
                                   SIMD16(repeating: highestScaled))
        let magic = SIMD16<Float>(repeating: roundingMagic)
        let shifted = magic.addingProduct(clamped, SIMD16(repeating: log2e))
        let n = shifted - magic
        var r = clamped.addingProduct(n, SIMD16(repeating: -ln2High))
        r = r.addingProduct(n, SIMD16(repeating: -ln2Low))

        var p = SIMD16<Float>(repeating: 1.0 / 5040)
        p = SIMD16(repeating: 1.0 / 720).addingProduct(p, r)
        p = SIMD16(repeating: 1.0 / 120).addingProduct(p, r)
        p = SIMD16(repeating: 1.0 / 24).addingProduct(p, r)
        p = SIMD16(repeating: 1.0 / 6).addingProduct(p, r)
        p = SIMD16(repeating: 0.5).addingProduct(p, r)
        p = SIMD16(repeating: 1).addingProduct(p, r)
        p = SIMD16(repeating: 1).addingProduct(p, r)

        let exponent = unsafeBitCast(shifted, to: SIMD16<Int32>.self)
            &- unsafeBitCast(magic, to: SIMD16<Int32>.self)
        let scale = unsafeBitCast((exponent &+ 127) &<< 23, to: SIMD16<Float>.self)
        var result = p * scale
        result.replace(with: 0, where: x .< SIMD16(repeating: lowest))
        result.replace(with: .infinity, where: x .> SIMD16(repeating: overflow))
        result.replace(with: x, where: x .!= x)
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
