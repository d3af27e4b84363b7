// Scalar and bulk conversions between f32 and the two 16-bit float formats found in model files
// (IEEE binary16 "f16" and bfloat16 "bf16"). Implemented with integer bit manipulation, so they
// behave the same on every target (no dependence on Float16 availability or F16C).

#if CFSP_AVX512BF16
import CVectorISA
#endif

/// The bfloat16 bit pattern nearest to `x`: round-to-nearest-even on the 16 dropped mantissa
/// bits; a NaN stays a (quiet) NaN with its sign, infinities stay infinities, and finite values
/// too large for bf16 round to infinity exactly as IEEE rounding prescribes.
@inlinable
public func bf16Bits(_ x: Float) -> UInt16 {
    let bits = x.bitPattern
    if bits & 0x7FFF_FFFF > 0x7F80_0000 {
        // NaN: keep sign and top payload bits, force the quiet bit so it cannot become infinity.
        return UInt16(truncatingIfNeeded: bits >> 16) | 0x0040
    }
    let lsb = (bits >> 16) & 1
    return UInt16(truncatingIfNeeded: (bits &+ 0x7FFF &+ lsb) >> 16)
}

/// The f32 value of a bfloat16 bit pattern (exact: bf16 is the top half of an f32).
@inlinable
public func floatFromBF16(_ bits: UInt16) -> Float {
    Float(bitPattern: UInt32(bits) << 16)
}

/// The IEEE binary16 bit pattern nearest to `x` (round-to-nearest-even), producing f16
/// subnormals for tiny values, ±infinity on overflow, and a quiet NaN for NaN.
@inlinable
public func f16Bits(_ x: Float) -> UInt16 {
    let bits = x.bitPattern
    let sign = UInt16(truncatingIfNeeded: (bits >> 16) & 0x8000)
    let exponent = Int((bits >> 23) & 0xFF)
    let mantissa = bits & 0x7F_FFFF
    if exponent == 0xFF {
        if mantissa == 0 { return sign | 0x7C00 }
        return sign | 0x7E00 | UInt16(truncatingIfNeeded: mantissa >> 13)
    }
    let halfExponent = exponent - 127 + 15
    if halfExponent >= 0x1F { return sign | 0x7C00 }
    if halfExponent >= 1 {
        // Normal range: drop 13 mantissa bits with round-to-nearest-even; a carry out of the
        // mantissa correctly bumps the exponent (up to infinity).
        var result = UInt32(halfExponent) << 10 | mantissa >> 13
        let dropped = mantissa & 0x1FFF
        if dropped > 0x1000 || (dropped == 0x1000 && result & 1 == 1) { result += 1 }
        return sign | UInt16(truncatingIfNeeded: result)
    }
    // Subnormal (or zero) f16: value = full mantissa * 2^(exponent - 150), unit 2^-24.
    let shift = 14 - halfExponent
    if shift > 24 { return sign }
    let full = mantissa | 0x80_0000
    var result = full >> UInt32(shift)
    let dropped = full & ((1 << UInt32(shift)) - 1)
    let half = UInt32(1) << UInt32(shift - 1)
    if dropped > half || (dropped == half && result & 1 == 1) { result += 1 }
    return sign | UInt16(truncatingIfNeeded: result)
}

/// The f32 value of an IEEE binary16 bit pattern (exact, including subnormals, ±inf and NaN).
@inlinable
public func floatFromF16(_ bits: UInt16) -> Float {
    let sign = UInt32(bits & 0x8000) << 16
    let exponent = UInt32((bits >> 10) & 0x1F)
    let mantissa = UInt32(bits & 0x3FF)
    if exponent == 0x1F {
        return Float(bitPattern: sign | 0x7F80_0000 | mantissa << 13)
    }
    if exponent == 0 {
        // Zero or subnormal: mantissa * 2^-24, exact in f32.
        let magnitude = Float(mantissa) * 0x1p-24
        return sign == 0 ? magnitude : -magnitude
    }
    return Float(bitPattern: sign | (exponent + 112) << 23 | mantissa << 13)
}

/// Widens `count` f16 values to f32 (e.g. f16 tensors of a GGUF or safetensors file).
public func convertF16ToF32(_ src: UnsafePointer<UInt16>, _ dst: UnsafeMutablePointer<Float>, count: Int) {
    for index in 0..<max(0, count) { dst[index] = floatFromF16(src[index]) }
}

/// Widens `count` bf16 values to f32 (exact), vectorized.
public func convertBF16ToF32(_ src: UnsafePointer<UInt16>, _ dst: UnsafeMutablePointer<Float>, count: Int) {
    let count = max(0, count)
    var index = 0
    while index + 16 <= count {
        let halves = UnsafeRawPointer(src + index).loadUnaligned(as: SIMD16<UInt16>.self)
        let widened = SIMD16<UInt32>(truncatingIfNeeded: halves) &<< 16
        UnsafeMutableRawPointer(dst + index).storeBytes(of: widened, as: SIMD16<UInt32>.self)
        index += 16
    }
    while index < count {
        dst[index] = floatFromBF16(src[index])
        index += 1
    }
}

/// Narrows `count` f32 values to bf16 with round-to-nearest-even (NaN stays NaN), vectorized.
public func convertF32ToBF16(_ src: UnsafePointer<Float>, _ dst: UnsafeMutablePointer<UInt16>, count: Int) {
    let count = max(0, count)
    var index = 0
    while index + 16 <= count {
        let bits = UnsafeRawPointer(src + index).loadUnaligned(as: SIMD16<UInt32>.self)
        let rounded = roundedBF16Lanes(bits)
        UnsafeMutableRawPointer(dst + index).storeBytes(
            of: SIMD16<UInt16>(truncatingIfNeeded: rounded), as: SIMD16<UInt16>.self)
        index += 16
    }
    while index < count {
        dst[index] = bf16Bits(src[index])
        index += 1
    }
}

/// Narrows `count` f32 values to f16 with round-to-nearest-even (subnormals, inf, NaN kept).
public func convertF32ToF16(_ src: UnsafePointer<Float>, _ dst: UnsafeMutablePointer<UInt16>, count: Int) {
    for index in 0..<max(0, count) { dst[index] = f16Bits(src[index]) }
}

/// `bf16Bits` on 16 lanes at once: each lane holds an f32 bit pattern on input and the
/// rounded bf16 bit pattern (in its low 16 bits) on output.
@inline(__always)
@usableFromInline
func roundedBF16Lanes(_ bits: SIMD16<UInt32>) -> SIMD16<UInt32> {
    let lsb = (bits &>> 16) & 1
    let rounded = (bits &+ 0x7FFF &+ lsb) &>> 16
    let quietNaN = (bits &>> 16) | 0x0040
    // All-ones where the lane is NaN (magnitude above infinity's bits), via an arithmetic shift
    // of the sign of 0x7F800000 - magnitude: SIMD comparisons compile to per-lane loops.
    // (Bit casts, not `init(truncatingIfNeeded:)`: that one stays an out-of-line call per vector.)
    let difference = unsafeBitCast(0x7F80_0000 &- (bits & 0x7FFF_FFFF), to: SIMD16<Int32>.self)
    let isNaN = unsafeBitCast(difference &>> 31, to: SIMD16<UInt32>.self)
    return (rounded & ~isNaN) | (quietNaN & isNaN)
}

/// Packs 32 consecutive f32 values into 16 bf16 pairs, lane i = bf16(v[2i]) | bf16(v[2i+1]) << 16,
/// the operand layout of vdpbf16ps.
@inline(__always)
@usableFromInline
func bf16PairLanes(_ source: UnsafePointer<Float>) -> SIMD16<UInt32> {
    let low = roundedBF16Lanes(UnsafeRawPointer(source).loadUnaligned(as: SIMD16<UInt32>.self))
    let high = roundedBF16Lanes(UnsafeRawPointer(source + 16).loadUnaligned(as: SIMD16<UInt32>.self))
    #if CFSP_AVX512BF16
    // One vpermt2w gathers the 32 low halves; the portable narrowing below compiles to two
    // out-of-line calls per 32 values (bench/README.md, "Where calibration's time goes").
    return cfsp_low_halves(low, high)
    #else
    // Each 64-bit lane of `low` holds (v[2i], v[2i+1]) as two u32 with 16 significant bits.
    let lowPairs = unsafeBitCast(low, to: SIMD8<UInt64>.self)
    let highPairs = unsafeBitCast(high, to: SIMD8<UInt64>.self)
    let packedLow = SIMD8<UInt32>(truncatingIfNeeded: (lowPairs & 0xFFFF) | ((lowPairs &>> 16) & 0xFFFF_0000))
    let packedHigh = SIMD8<UInt32>(truncatingIfNeeded: (highPairs & 0xFFFF) | ((highPairs &>> 16) & 0xFFFF_0000))
    return SIMD16(lowHalf: packedLow, highHalf: packedHigh)
    #endif
}
