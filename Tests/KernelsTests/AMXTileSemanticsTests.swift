@testable import Kernels
import Testing

/// One TDPBF16PS on the emulated unit: accumulator tile `c` (16 x 16 f32) += A (16 rows x 16
/// pairs) x B (16 pairs x 16 columns), each given as row-major u32 words, through load / store
/// with strides wider than a row (the words between rows hold garbage that must be skipped).
private func emulatedDot(c: [Float], a: [UInt32], b: [UInt32]) -> [Float] {
    let unit = EmulatedBF16Tiles()
    unit.configure()
    let stride = 24  // words per row in memory: 16 used, 8 of garbage
    func spread(_ words: [UInt32]) -> [UInt32] {
        var memory = [UInt32](repeating: 0xDEAD_BEEF, count: 16 * stride)
        for row in 0..<16 { for column in 0..<16 { memory[row * stride + column] = words[row * 16 + column] } }
        return memory
    }
    let cMemory = spread(c.map(\.bitPattern)), aMemory = spread(a), bMemory = spread(b)
    cMemory.withUnsafeBytes { unit.load(AMXTile.accumulator(1, 1), from: $0.baseAddress!, stride: stride * 4) }
    aMemory.withUnsafeBytes { unit.load(AMXTile.a(1), from: $0.baseAddress!, stride: stride * 4) }
    bMemory.withUnsafeBytes { unit.load(AMXTile.b(0), from: $0.baseAddress!, stride: stride * 4) }
    unit.dotProduct(AMXTile.accumulator(1, 1), AMXTile.a(1), AMXTile.b(0))
    var out = [UInt32](repeating: 0xDEAD_BEEF, count: 16 * stride)
    out.withUnsafeMutableBytes { unit.store(AMXTile.accumulator(1, 1), to: $0.baseAddress!, stride: stride * 4) }
    for row in 0..<16 { for column in 16..<stride { #expect(out[row * stride + column] == 0xDEAD_BEEF) } }
    return (0..<256).map { Float(bitPattern: out[($0 / 16) * stride + $0 % 16]) }
}

/// bf16 pair word from two f32 values that are exactly representable in bf16.
private func pair(_ even: Float, _ odd: Float) -> UInt32 {
    precondition(floatFromBF16(bf16Bits(even)) == even && floatFromBF16(bf16Bits(odd)) == odd)
    return UInt32(bf16Bits(even)) | UInt32(bf16Bits(odd)) << 16
}

/// A with row 0 = `pairs` (the rest zero), B with column 0 = all (1, 1) pairs: C[0][0] is then
/// the dot product of row 0's bf16 values with ones, everything else stays 0.
private func rowWithOnes(_ pairs: [UInt32], c00: Float = 0) -> Float {
    var a = [UInt32](repeating: 0, count: 256)
    for (k, word) in pairs.enumerated() { a[k] = word }
    var b = [UInt32](repeating: 0, count: 256)
    for k in 0..<16 { b[k * 16] = pair(1, 1) }
    var c = [Float](repeating: 0, count: 256)
    c[0] = c00
    let result = emulatedDot(c: c, a: a, b: b)
    #expect(result[1...].allSatisfy { $0 == 0 })
    return result[0]
}

@Suite("TDPBF16PS emulation semantics")
struct AMXTileSemanticsTests {
    @Test("even and odd halves accumulate separately over the 16 pairs, then meet once (Intel SDM order)")
    func pairSumOrder() {
        // Pairs (2^24, 1), (-2^24, 1). SDM: even = 2^24 - 2^24 = 0, odd = 1 + 1 = 2, C = 0 + 2 = 2.
        // Pair by pair into C (vdpbf16ps-like): 2^24 + 1 rounds to 2^24 (tie to even), -2^24
        // gives 0, + 1 gives 1: a different answer, so this pins down the order.
        #expect(rowWithOnes([pair(0x1p24, 1), pair(-0x1p24, 1)]) == 2)
        // The halves meet before C: C = 2^24, even = 1, odd = 1 -> 2^24 + (1 + 1) = 2^24 + 2,
        // where adding each product to C in turn would round twice back to 2^24.
        #expect(rowWithOnes([pair(1, 1)], c00: 0x1p24) == 0x1p24 + 2)
    }

    @Test("subnormal bf16 inputs read as zero (DAZ)")
    func denormalInputsAreZero() {
        // bf16 0x0001 is 2^-133 (subnormal); times 2^100 it would be a normal 2^-33.
        let tiny = UInt32(0x0001), big = UInt32(bf16Bits(0x1p100))
        var a = [UInt32](repeating: 0, count: 256)
        var b = [UInt32](repeating: 0, count: 256)
        a[0] = tiny | tiny << 16
        b[0] = big | big << 16
        #expect(emulatedDot(c: .init(repeating: 0, count: 256), a: a, b: b)[0] == 0)
        // The same through a normal input gives the product, so the zero above is DAZ's doing.
        a[0] = pair(0x1p-126, 0)
        #expect(emulatedDot(c: .init(repeating: 0, count: 256), a: a, b: b)[0] == 0x1p-26)
        // A subnormal accumulator reads as zero too: 2^-130 + 2^-126 would be 1.0625 * 2^-126.
        #expect(rowWithOnes([pair(0x1p-126, 0)], c00: 0x1p-130) == 0x1p-126)
    }

    @Test("subnormal results flush to zero (FTZ), keeping the sign")
    func denormalResultsFlush() {
        // Pair 0 = (a, b); the other 15 pairs of B's column 0 are (-0, -0), so their products are
        // -0 and cannot turn a -0 sum into +0.
        func single(a: UInt32, b: UInt32, c00: Float) -> Float {
            var aTile = [UInt32](repeating: 0, count: 256), bTile = [UInt32](repeating: 0, count: 256)
            var c = [Float](repeating: 0, count: 256)
            aTile[0] = a
            bTile[0] = b
            for k in 1..<16 { bTile[k * 16] = pair(-0.0, -0.0) }
            c[0] = c00
            return emulatedDot(c: c, a: aTile, b: bTile)[0]
        }
        // 2^-70 * 2^-70 = 2^-140: an f32 subnormal, flushed (IEEE would keep 2^-140).
        #expect(single(a: pair(0x1p-70, 0), b: pair(0x1p-70, 0), c00: 0) == 0)
        // Both halves -2^-140, flushed to -0: -0 + -0 into C = -0 stays -0 (a +0 would not).
        let negative = single(a: pair(0x1p-70, 0x1p-70), b: pair(-0x1p-70, -0x1p-70), c00: -0.0)
        #expect(negative == 0 && negative.sign == .minus)
        // C = 2^-125 plus the pair sum -1.5 * 2^-126 is 2^-127, subnormal: flushed.
        #expect(rowWithOnes([pair(-0x1.8p-126, 0)], c00: 0x1p-125) == 0)
        // The same path without a subnormal: 2^-125 - 2^-126 = 2^-126 stays.
        #expect(rowWithOnes([pair(-0x1p-126, 0)], c00: 0x1p-125) == 0x1p-126)
    }

    @Test("sums round to nearest, ties to even")
    func roundToNearestEven() {
        // 1 + 2^-24 is halfway between 1 and 1 + 2^-23: ties to 1 (even mantissa).
        #expect(rowWithOnes([pair(0x1p-24, 0)], c00: 1) == 1)
        // 1 + 3 * 2^-24 is halfway between 1 + 2^-23 and 1 + 2^-22: ties to 1 + 2^-22.
        #expect(rowWithOnes([pair(0x1p-24, 0x1p-23)], c00: 1) == 1 + 0x1p-22)
    }

    @Test("every row and column of a tile sees the right pairs (A row m, B column n)")
    func fullTile() {
        // Small integers: every sum exact, so the emulation must equal the textbook product.
        var a = [UInt32](repeating: 0, count: 256), b = [UInt32](repeating: 0, count: 256)
        func value(_ x: Int) -> Float { Float(x % 7 - 3) }
        for m in 0..<16 { for k in 0..<16 { a[m * 16 + k] = pair(value(m + 2 * k), value(3 * m + 2 * k + 1)) } }
        for k in 0..<16 { for n in 0..<16 { b[k * 16 + n] = pair(value(5 * n + k), value(n + 4 * k + 1)) } }
        let c = (0..<256).map { Float($0 % 5) }
        let result = emulatedDot(c: c, a: a, b: b)
        for m in 0..<16 {
            for n in 0..<16 {
                var sum = c[m * 16 + n]
                for k in 0..<16 {
                    sum += value(m + 2 * k) * value(5 * n + k) + value(3 * m + 2 * k + 1) * value(n + 4 * k + 1)
                }
                #expect(result[m * 16 + n] == sum, "m=\(m) n=\(n)")
            }
        }
    }
}
