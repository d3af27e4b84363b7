@testable import Kernels
import Testing
import TestSupport

/// The bf16 pair packing that feeds vdpbf16ps (activations of the bf16 GEMM, attention's bf16
/// operands): lane i of a packed row holds bf16(v[2i]) | bf16(v[2i+1]) << 16. The vector path
/// (vpermt2w where AVX512-BF16 is compiled in, the portable narrowing elsewhere) must give the
/// scalar conversion's bits for every pattern, NaN and subnormals included.
@Suite("bf16 pair packing")
struct BF16PairPackingTests {
    @Test("packed rows equal scalar bf16Bits pairs on random bit patterns, odd widths, padded strides")
    func packingMatchesScalar() {
        var random = TestRandom(seed: 77)
        for count in [1, 31, 32, 33, 64, 95, 576] {
            let rows = 3, lda = count + 5, ldPairs = (count + 1) / 2 + 2
            let values = (0..<(rows * lda)).map { _ in Float(bitPattern: UInt32(truncatingIfNeeded: random.next())) }
            var packed = [UInt32](repeating: 0xDEAD_BEEF, count: rows * ldPairs)
            values.withUnsafeBufferPointer { source in
                packed.withUnsafeMutableBufferPointer { destination in
                    packRowsAsBF16Pairs(source.baseAddress!, lda: lda, rows: rows, count: count,
                                        into: destination.baseAddress!, ldPairs: ldPairs)
                }
            }
            for row in 0..<rows {
                for pair in 0..<((count + 1) / 2) {
                    let low = UInt32(bf16Bits(values[row * lda + 2 * pair]))
                    let high = 2 * pair + 1 < count ? UInt32(bf16Bits(values[row * lda + 2 * pair + 1])) : 0
                    #expect(packed[row * ldPairs + pair] == low | high << 16, "count \(count) row \(row) pair \(pair)")
                }
                // Lanes past the row's pairs are left alone.
                for pair in ((count + 1) / 2)..<ldPairs { #expect(packed[row * ldPairs + pair] == 0xDEAD_BEEF) }
            }
        }
    }

    @Test("special values keep their bf16 patterns through the packing")
    func packingSpecials() {
        let specials: [Float] = [.nan, -.nan, .infinity, -.infinity, .greatestFiniteMagnitude, -0.0, 0,
                                 Float(bitPattern: 0x0000_0001), Float(bitPattern: 0x0001_8000),
                                 Float(bitPattern: 0x7F80_0001), Float(bitPattern: 0x3F80_8000), 1]
        let values = (0..<64).map { specials[$0 % specials.count] }
        var packed = [UInt32](repeating: 0, count: 32)
        values.withUnsafeBufferPointer { source in
            packed.withUnsafeMutableBufferPointer { destination in
                packRowsAsBF16Pairs(source.baseAddress!, lda: 64, rows: 1, count: 64,
                                    into: destination.baseAddress!, ldPairs: 32)
            }
        }
        for pair in 0..<32 {
            #expect(packed[pair] == UInt32(bf16Bits(values[2 * pair])) | UInt32(bf16Bits(values[2 * pair + 1])) << 16)
        }
    }
}
