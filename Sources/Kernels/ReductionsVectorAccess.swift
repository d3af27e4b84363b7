/// Unaligned 16-float loads and stores and a fixed-order horizontal sum, shared by the
/// non-GEMM kernels (norms, rotary, softmax, activations, attention, reductions).
///
/// Kept in one namespace so the hot loops read as arithmetic rather than pointer casts, and so
/// every kernel reduces a vector in the same, fixed order (bit-reproducible results).
enum OpsSIMD {
    /// Reads 16 consecutive floats starting at `pointer` (no alignment needed).
    @inline(__always)
    static func load(_ pointer: UnsafePointer<Float>) -> SIMD16<Float> {
        UnsafeRawPointer(pointer).loadUnaligned(as: SIMD16<Float>.self)
    }

    /// Reads 16 consecutive floats starting at `pointer` (no alignment needed).
    @inline(__always)
    static func load(_ pointer: UnsafeMutablePointer<Float>) -> SIMD16<Float> {
        UnsafeRawPointer(pointer).loadUnaligned(as: SIMD16<Float>.self)
    }

    /// Reads 8 consecutive floats starting at `pointer` (no alignment needed).
    @inline(__always)
    static func load8(_ pointer: UnsafePointer<Float>) -> SIMD8<Float> {
        UnsafeRawPointer(pointer).loadUnaligned(as: SIMD8<Float>.self)
    }

    /// Writes 16 consecutive floats starting at `pointer` (no alignment needed).
    @inline(__always)
    static func store(_ value: SIMD16<Float>, _ pointer: UnsafeMutablePointer<Float>) {
        UnsafeMutableRawPointer(pointer).storeBytes(of: value, as: SIMD16<Float>.self)
    }

    /// Sum of the 16 lanes as a pairwise tree (halves added until one lane is left).
    @inline(__always)
    static func sum(_ value: SIMD16<Float>) -> Float {
        let eight = value.lowHalf + value.highHalf
        let four = eight.lowHalf + eight.highHalf
        let two = four.lowHalf + four.highHalf
        return two.x + two.y
    }

    /// Sum of the 8 lanes as a pairwise tree.
    @inline(__always)
    static func sum(_ value: SIMD8<Double>) -> Double {
        let four = value.lowHalf + value.highHalf
        let two = four.lowHalf + four.highHalf
        return two.x + two.y
    }

    /// Widens 8 floats to doubles (exact).
    @inline(__always)
    static func widen(_ value: SIMD8<Float>) -> SIMD8<Double> {
        SIMD8<Double>(value)
    }
}
