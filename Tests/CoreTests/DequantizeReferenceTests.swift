import Core
import Foundation
import Testing
import TestSupport

/// Folder with `quant.gguf` and the gguf package's reference dequantizations, written once.
private let dequantFixtures = Result<ScratchFolder, any Error> {
    let dir = try ScratchFolder.forTheWholeRun(prefix: "cfsp-dequant-fixtures")
    try GGUFPython.run(["dequant", dir.path])
    return dir
}

@Suite("Dequantization against gguf.quants")
struct DequantizeReferenceTests {
    /// Each type's values must be bit-identical to gguf-py's: the same f32 operations in the
    /// same order, no fused multiply-add (f16 NaNs only need to stay NaN).
    @Test(arguments: TensorType.allCases)
    func matchesGGUFPackage(type: TensorType) throws {
        let dir = try dequantFixtures.get()
        let file = try GGUFFile(path: dir.file("quant.gguf"))
        let name = type.rawValue.uppercased()
        let reference = try GGUFPython.floats(at: dir.fileURL("\(name).f32"))
        let descriptor = try #require(file.descriptor(name))
        #expect(descriptor.type == type)
        #expect(descriptor.elementCount == reference.count)
        let values = try file.floats(name)
        #expect(values.count == reference.count)
        let mismatches = zip(values, reference).enumerated().filter { !sameFloat($0.element.0, $0.element.1) }
        #expect(mismatches.isEmpty, "first mismatches (index, ours, gguf): \(mismatches.prefix(5).map { ($0.offset, $0.element.0, $0.element.1) })")
        // Real scales were written, so the blocks are not trivially zero.
        #expect(values.contains { $0 != 0 && $0.isFinite })
    }

    @Test func rawBytesAreTheStoredBlocks() throws {
        let dir = try dequantFixtures.get()
        let file = try GGUFFile(path: dir.file("quant.gguf"))
        let info = try #require(file.tensorInfo("Q4_K"))
        #expect(info.shape == [3, 512])
        let raw = try file.rawBytes("Q4_K")
        #expect(raw.count == 3 * 2 * 144)
        // Dequantizing the copied bytes gives what floats() gives.
        let fromRaw = try raw.withUnsafeBytes { try Dequantize.toFloats($0, type: .q4_K, count: 3 * 512) }
        #expect(fromRaw == (try file.floats("Q4_K")))
    }
}

@Suite("Dequantization edge cases")
struct DequantizeEdgeCaseTests {
    @Test func halfConversionSpecialValues() throws {
        let halves: [UInt16] = [0x0000, 0x8000, 0x0001, 0x03FF, 0x0400, 0x3C00, 0xC000, 0x7BFF, 0x7C00, 0xFC00]
        let expected: [Float] = [0, -0.0, 0x1p-24, 1023 * 0x1p-24, 0x1p-14, 1, -2, 65504, .infinity, -.infinity]
        let bytes = halves.flatMap { le($0) }
        let values = try bytes.withUnsafeBytes { try Dequantize.toFloats($0, type: .f16, count: halves.count) }
        #expect(values.map(\.bitPattern) == expected.map(\.bitPattern))
        let nan = try le(UInt16(0x7E00)).withUnsafeBytes { try Dequantize.toFloats($0, type: .f16, count: 1) }
        #expect(nan[0].isNaN)
    }

    @Test func q8_0BlockByHand() throws {
        // d = 0.5 (f16 0x3800), quants -128, -1, 0, 1, 127, then zeros.
        var block = le(UInt16(0x3800))
        var quants = [Int8](repeating: 0, count: 32)
        quants[0] = -128; quants[1] = -1; quants[3] = 1; quants[4] = 127
        block += quants.map { UInt8(bitPattern: $0) }
        let values = try block.withUnsafeBytes { try Dequantize.toFloats($0, type: .q8_0, count: 32) }
        #expect(Array(values.prefix(5)) == [-64, -0.5, 0, 0.5, 63.5])
        #expect(values.dropFirst(5).allSatisfy { $0 == 0 })
    }

    @Test func q4_1BlockByHand() throws {
        // d = 2, m = -1; byte i holds low nibble i % 16 (value i) and high nibble 15 - i (value i + 16).
        var block = le(UInt16(0x4000)) + le(UInt16(0xBC00))
        block += (0..<16).map { UInt8($0 % 16) | UInt8(15 - $0) << 4 }
        let values = try block.withUnsafeBytes { try Dequantize.toFloats($0, type: .q4_1, count: 32) }
        var expected: [Float] = []
        for i in 0..<16 { expected.append(Float(2 * i - 1)) }
        for i in 0..<16 { expected.append(Float(2 * (15 - i) - 1)) }
        #expect(values == expected)
    }

    @Test func q5_0BlockByHand() throws {
        // d = 0.5; value i has low nibble i % 16 (byte i % 16, low for i < 16, high otherwise) and
        // fifth bit set for odd i, so q = i % 16 + 16 * (i % 2) and value = 0.5 * (q - 16).
        var block = le(UInt16(0x3800)) + le(UInt32(0xAAAA_AAAA))
        block += (0..<16).map { UInt8($0) | UInt8($0) << 4 }
        let values = try block.withUnsafeBytes { try Dequantize.toFloats($0, type: .q5_0, count: 32) }
        let expected: [Float] = (0..<32).map { (i: Int) -> Float in
            let q: Int = i % 16 + 16 * (i % 2)
            return 0.5 * Float(q - 16)
        }
        #expect(values == expected)
    }

    @Test func q5_1BlockByHand() throws {
        // d = 2, m = -1; only the upper 16 values have their fifth bit: value = 2 * q - 1.
        var block = le(UInt16(0x4000)) + le(UInt16(0xBC00)) + le(UInt32(0xFFFF_0000))
        block += (0..<16).map { UInt8($0) | UInt8(15 - $0) << 4 }
        let values = try block.withUnsafeBytes { try Dequantize.toFloats($0, type: .q5_1, count: 32) }
        var expected: [Float] = []
        for i in 0..<16 { expected.append(Float(2 * i - 1)) }
        for i in 0..<16 { expected.append(Float(2 * (31 - i) - 1)) }
        #expect(values == expected)
    }

    @Test func sizeErrors() throws {
        let bytes = [UInt8](repeating: 0, count: 34)
        #expect(throws: DequantizeError.notWholeBlocks(type: .q8_0, count: 31, blockSize: 32)) {
            try bytes.withUnsafeBytes { try Dequantize.toFloats($0, type: .q8_0, count: 31) }
        }
        #expect(throws: DequantizeError.sourceTooSmall(type: .q8_0, count: 64, needed: 68, available: 34)) {
            try bytes.withUnsafeBytes { try Dequantize.toFloats($0, type: .q8_0, count: 64) }
        }
        var small = [Float](repeating: 0, count: 8)
        #expect(throws: DequantizeError.destinationTooSmall(count: 32, available: 8)) {
            try bytes.withUnsafeBytes { src in
                try small.withUnsafeMutableBufferPointer { try Dequantize.toFloats(src, type: .q8_0, count: 32, into: $0) }
            }
        }
    }
}
