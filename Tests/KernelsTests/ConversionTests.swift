import Kernels
import Testing
import TestSupport

/// f32 <-> bf16 / f16 conversions: rounding ties, specials, subnormals, and exhaustive 16-bit sweeps.
@Suite("Conversions")
struct ConversionTests {
    @Test("bf16 rounds to nearest, ties to even")
    func bf16Ties() {
        // 1 + 2^-8 lies exactly between bf16 neighbours 1 and 1 + 2^-7: the even one (1) wins.
        #expect(bf16Bits(Float(bitPattern: 0x3F80_8000)) == 0x3F80)
        // 1 + 3 * 2^-8 lies between 1 + 2^-7 (odd) and 1 + 2^-6 (even): rounds up.
        #expect(bf16Bits(Float(bitPattern: 0x3F81_8000)) == 0x3F82)
        // Just above / below the tie.
        #expect(bf16Bits(Float(bitPattern: 0x3F80_8001)) == 0x3F81)
        #expect(bf16Bits(Float(bitPattern: 0x3F81_7FFF)) == 0x3F81)
        #expect(bf16Bits(-1.0) == 0xBF80)
        #expect(floatFromBF16(0x4049) == Float(bitPattern: 0x4049_0000))
    }

    @Test("bf16 keeps NaN, infinities and overflows to infinity")
    func bf16Specials() {
        #expect(floatFromBF16(bf16Bits(.nan)).isNaN)
        // A NaN whose payload sits only in the dropped bits must not turn into infinity.
        #expect(floatFromBF16(bf16Bits(Float(bitPattern: 0x7F80_0001))).isNaN)
        #expect(floatFromBF16(bf16Bits(Float(bitPattern: 0xFF80_0001))).isNaN)
        #expect(bf16Bits(.infinity) == 0x7F80)
        #expect(bf16Bits(-.infinity) == 0xFF80)
        #expect(bf16Bits(.greatestFiniteMagnitude) == 0x7F80)
        #expect(bf16Bits(Float(bitPattern: 0x0000_0001)) == 0x0000)
        #expect(bf16Bits(Float(bitPattern: 0x0001_8000)) == 0x0002)
        #expect(bf16Bits(-0.0) == 0x8000)
    }

    @Test("bf16: all 65536 patterns widen exactly and narrow back to themselves (NaN stays NaN)")
    func bf16Exhaustive() {
        let all = (0...0xFFFF).map { UInt16($0) }
        var widened = [Float](repeating: 0, count: all.count)
        convertBF16ToF32(all, &widened, count: all.count)
        var narrowed = [UInt16](repeating: 0, count: all.count)
        convertF32ToBF16(widened, &narrowed, count: all.count)
        var mismatches = 0
        for bits in all {
            let value = widened[Int(bits)]
            if value.bitPattern != UInt32(bits) << 16 { mismatches += 1 }
            if value.isNaN {
                if !floatFromBF16(narrowed[Int(bits)]).isNaN { mismatches += 1 }
            } else if narrowed[Int(bits)] != bits || bf16Bits(value) != bits {
                mismatches += 1
            }
        }
        #expect(mismatches == 0)
    }

    @Test("bulk f32 -> bf16 equals the scalar conversion on random bit patterns, odd length")
    func bf16BulkMatchesScalar() {
        var random = TestRandom(seed: 2024)
        let count = 4099
        let values = (0..<count).map { _ in Float(bitPattern: UInt32(truncatingIfNeeded: random.next())) }
        var bulk = [UInt16](repeating: 0, count: count)
        convertF32ToBF16(values, &bulk, count: count)
        let scalar = values.map(bf16Bits)
        #expect(bulk == scalar)
        #expect(values.contains { $0.isNaN }, "the sample should exercise NaN inputs")
    }

    @Test("bf16 narrowing is the nearest value on random inputs (independent check in Double)")
    func bf16Nearest() {
        var random = TestRandom(seed: 7)
        for _ in 0..<10_000 {
            let x = Float(bitPattern: UInt32(truncatingIfNeeded: random.next()) & 0x7F7F_FFFF)
            // Infinity stands for 2^128, the next bf16 step above the largest finite value.
            let result = floatFromBF16(bf16Bits(x))
            let rounded = result.isInfinite ? 0x1p128 : Double(result)
            let down = Double(Float(bitPattern: x.bitPattern & 0xFFFF_0000))
            let up = down + Double(sign: .plus, exponent: max(Int(x.exponent), -126) - 7, significand: 1)
            let best = min(abs(Double(x) - down), abs(Double(x) - up))
            #expect(abs(Double(x) - rounded) == best, "x = \(x)")
        }
    }

    @Test("f16 rounds to nearest, ties to even, with overflow and subnormals")
    func f16Rounding() {
        #expect(f16Bits(1.0) == 0x3C00)
        #expect(f16Bits(1 + 0x1p-11) == 0x3C00)          // tie -> even (1.0)
        #expect(f16Bits(1 + 3 * 0x1p-11) == 0x3C02)      // tie -> even (up)
        #expect(f16Bits(1 + 0x1p-11 + 0x1p-20) == 0x3C01)
        #expect(f16Bits(65504) == 0x7BFF)
        #expect(f16Bits(65519) == 0x7BFF)
        #expect(f16Bits(65520) == 0x7C00)                // halfway to 2^16 rounds to infinity
        #expect(f16Bits(-1e10) == 0xFC00)
        #expect(f16Bits(0x1p-14) == 0x0400)              // smallest normal
        #expect(f16Bits(0x1p-24) == 0x0001)              // smallest subnormal
        #expect(f16Bits(0x1p-25) == 0x0000)              // tie between 0 and 2^-24 -> 0
        #expect(f16Bits(1.5 * 0x1p-25) == 0x0001)
        #expect(f16Bits(3 * 0x1p-25) == 0x0002)          // tie between 1 and 2 units -> 2
        #expect(f16Bits(0x1p-14 - 0x1p-25) == 0x0400)    // rounds up into the normal range
        #expect(f16Bits(-0.0) == 0x8000)
        #expect(f16Bits(Float(bitPattern: 0x0000_0001)) == 0x0000)
        #expect(f16Bits(.infinity) == 0x7C00)
        #expect(floatFromF16(f16Bits(.nan)).isNaN)
        #expect(floatFromF16(f16Bits(Float(bitPattern: 0x7F80_0001))).isNaN)
    }

    @Test("f16: all 65536 patterns widen exactly and round-trip (NaN stays NaN)")
    func f16Exhaustive() {
        let all = (0...0xFFFF).map { UInt16($0) }
        var widened = [Float](repeating: 0, count: all.count)
        convertF16ToF32(all, &widened, count: all.count)
        var narrowed = [UInt16](repeating: 0, count: all.count)
        convertF32ToF16(widened, &narrowed, count: all.count)
        var mismatches = 0
        for bits in all {
            let value = widened[Int(bits)]
            if value.bitPattern != floatFromF16(bits).bitPattern { mismatches += 1 }
            // Independent value: sign * 2^(e-15) * (1 + m/1024), or m * 2^-24 for subnormals.
            let exponent = Int(bits >> 10) & 0x1F, mantissa = Double(bits & 0x3FF)
            let sign: Double = bits & 0x8000 == 0 ? 1 : -1
            if exponent == 0x1F {
                if mantissa == 0 { if value != Float(sign) * .infinity { mismatches += 1 } }
                else if !value.isNaN { mismatches += 1 }
            } else {
                let expected = exponent == 0
                    ? sign * mantissa * 0x1p-24
                    : sign * (1 + mantissa / 1024) * Double(sign: .plus, exponent: exponent - 15, significand: 1)
                if Double(value) != expected || value.sign != (sign < 0 ? .minus : .plus) { mismatches += 1 }
            }
            if value.isNaN {
                if !floatFromF16(narrowed[Int(bits)]).isNaN { mismatches += 1 }
            } else if narrowed[Int(bits)] != bits {
                mismatches += 1
            }
        }
        #expect(mismatches == 0)
    }

    #if os(Linux) || arch(arm64)
    @Test("f16 narrowing agrees with the standard library's Float16 on random and edge values")
    func f16MatchesFloat16() {
        var random = TestRandom(seed: 99)
        var mismatches = 0
        for index in 0..<50_000 {
            let bits = UInt32(truncatingIfNeeded: random.next())
            // Half the samples in f16's range (exponents around 2^-26 ... 2^16), where rounding matters.
            let x = index % 2 == 0
                ? Float(bitPattern: bits)
                : Float(bitPattern: (bits & 0x807F_FFFF) | (UInt32(101 + index % 42) << 23))
            if x.isNaN { continue }
            if f16Bits(x) != Float16(x).bitPattern { mismatches += 1 }
        }
        #expect(mismatches == 0)
    }
    #endif
}
