/// Bit-level conversions between f32 and the two 16-bit float formats of safetensors files.
/// Written out by hand (rather than `Float16`) so they behave the same on every platform,
/// including those without a native half type. Narrowing rounds to nearest, ties to even.
enum SafetensorsHalfConversion {
    /// bf16 is the top half of an f32: widening is exact.
    @inline(__always)
    static func floatFromBF16(_ bits: UInt16) -> Float {
        Float(bitPattern: UInt32(bits) << 16)
    }

    /// f32 -> bf16, round to nearest even; NaN stays a (quiet) NaN with its sign.
    @inline(__always)
    static func bf16FromFloat(_ value: Float) -> UInt16 {
        let bits = value.bitPattern
        if value.isNaN { return UInt16(truncatingIfNeeded: (bits >> 16) | 0x0040) }
        let lsb = (bits >> 16) & 1
        return UInt16(truncatingIfNeeded: (bits &+ 0x7FFF &+ lsb) >> 16)
    }

    /// IEEE binary16 -> f32, exact (subnormals, infinities and NaN included).
    @inline(__always)
    static func floatFromF16(_ half: UInt16) -> Float {
        let sign = UInt32(half & 0x8000) << 16
        let exponent = UInt32(half >> 10) & 0x1F
        let mantissa = UInt32(half & 0x03FF)
        switch exponent {
        case 0:
            let magnitude = Float(mantissa) * 0x1p-24
            return sign == 0 ? magnitude : -magnitude
        case 0x1F:
            return Float(bitPattern: sign | 0x7F80_0000 | (mantissa << 13))
        default:
            return Float(bitPattern: sign | ((exponent + 112) << 23) | (mantissa << 13))
        }
    }

    /// f32 -> IEEE binary16, round to nearest even; overflow gives infinity, underflow zero or
    /// a subnormal.
    @inline(__always)
    static func f16FromFloat(_ value: Float) -> UInt16 {
        let bits = value.bitPattern
        let sign = UInt16(truncatingIfNeeded: (bits >> 16) & 0x8000)
        let exponent = Int((bits >> 23) & 0xFF)
        let mantissa = bits & 0x007F_FFFF
        if exponent == 0xFF {
            // Infinity, or NaN kept quiet with the top payload bits.
            return mantissa == 0 ? sign | 0x7C00 : sign | 0x7E00 | UInt16(truncatingIfNeeded: mantissa >> 13)
        }
        let halfExponent = exponent - 112
        if halfExponent >= 0x1F { return sign | 0x7C00 }
        if halfExponent <= 0 {
            if halfExponent < -10 { return sign }
            let full = mantissa | 0x0080_0000
            let shift = UInt32(14 - halfExponent)
            let kept = full >> shift
            let remainder = full & ((1 << shift) - 1)
            let halfway: UInt32 = 1 << (shift - 1)
            let rounded = remainder > halfway || (remainder == halfway && kept & 1 == 1) ? kept + 1 : kept
            return sign | UInt16(truncatingIfNeeded: rounded)
        }
        var result = (UInt32(halfExponent) << 10) | (mantissa >> 13)
        let remainder = mantissa & 0x1FFF
        if remainder > 0x1000 || (remainder == 0x1000 && result & 1 == 1) { result += 1 }
        return sign | UInt16(truncatingIfNeeded: result)
    }
}
