import Dispatch
import Kernels

/// Conversion of f32 values to stored tensor data: the dense types, and ggml's block types in
/// the layouts `Dequantize` reads back.
///
/// Block types are encoded as ggml's reference quantizers encode them without an importance
/// matrix (round to nearest for the 32-value types, the scale/min searches of
/// `QuantizeKSearch` for the K-quants), so the bytes match llama.cpp's `llama-quantize`.
public enum Quantize {
    /// `values` stored as `type`, little-endian.
    ///
    /// f16 and bf16 round to nearest even (NaN and infinities are kept). Block types need a
    /// whole number of blocks and finite values: a NaN or infinity has no block encoding.
    /// - Throws: `QuantizeError` naming the value or block that cannot be stored.
    public static func encode(_ values: [Float], as type: TensorType) throws -> [UInt8] {
        try values.withUnsafeBufferPointer { try encode($0, as: type, choice: .search) }
    }

    /// `encode`, with the K-quants' scale choice selectable (the round-to-nearest baseline
    /// exists only to measure what the search gains).
    package static func encode(_ values: UnsafeBufferPointer<Float>, as type: TensorType, choice: KQuantScaleChoice) throws -> [UInt8] {
        switch type {
        case .f32:
            return [UInt8](unsafeUninitializedCapacity: 4 * values.count) { out, initialized in
                for (i, value) in values.enumerated() {
                    UnsafeMutableRawPointer(out.baseAddress!).storeBytes(of: value.bitPattern.littleEndian, toByteOffset: 4 * i, as: UInt32.self)
                }
                initialized = 4 * values.count
            }
        case .f16: return halves(values, f16Bits)
        case .bf16: return halves(values, bf16Bits)
        case .q8_0: return try blocks(values, type) { x, p in QuantizeBlocks.q8_0(x, p) }
        case .q4_0: return try blocks(values, type) { x, p in QuantizeBlocks.q4_0(x, p) }
        case .q4_1: return try blocks(values, type) { x, p in QuantizeBlocks.q4_1(x, p) }
        case .q5_0: return try blocks(values, type) { x, p in QuantizeBlocks.q5_0(x, p) }
        case .q5_1: return try blocks(values, type) { x, p in QuantizeBlocks.q5_1(x, p) }
        case .q4_K: return try blocks(values, type) { x, p in QuantizeKBlocks.q4_K(x, p, choice: choice) }
        case .q5_K: return try blocks(values, type) { x, p in QuantizeKBlocks.q5_K(x, p, choice: choice) }
        case .q6_K: return try blocks(values, type) { x, p in QuantizeKBlocks.q6_K(x, p, choice: choice) }
        }
    }

    private static func halves(_ values: UnsafeBufferPointer<Float>, _ convert: (Float) -> UInt16) -> [UInt8] {
        [UInt8](unsafeUninitializedCapacity: 2 * values.count) { out, initialized in
            for (i, value) in values.enumerated() {
                UnsafeMutableRawPointer(out.baseAddress!).storeBytes(of: convert(value).littleEndian, toByteOffset: 2 * i, as: UInt16.self)
            }
            initialized = 2 * values.count
        }
    }

    /// Byte offsets of a block's f16 scales (checked for overflow after encoding).
    private static func halfOffsets(_ type: TensorType) -> [Int] {
        switch type {
        case .q8_0, .q4_0, .q5_0: [0]
        case .q4_1, .q5_1, .q4_K, .q5_K: [0, 2]
        case .q6_K: [208]
        case .f32, .f16, .bf16: []
        }
    }

    /// The largest magnitude a block of `type` can hold: beyond it the f16 block scale (or,
    /// for Q4_1/Q5_1, the f16 minimum) would overflow, or Q6_K's squared-value weights would
    /// lose the value altogether.
    public static func largestMagnitude(_ type: TensorType) -> Float {
        let half: Float = 65504
        switch type {
        case .q8_0: return 127 * half
        case .q4_0: return 8 * half
        case .q5_0: return 16 * half
        case .q4_1, .q5_1: return half
        case .q4_K, .q5_K: return 63 * half
        case .q6_K: return 31 * 128 * half
        case .f32, .f16, .bf16: return .greatestFiniteMagnitude
        }
    }

    /// Blocks encoded in parallel chunks (each block depends only on its own values, so the
    /// bytes do not depend on the split).
    private static func blocks(
        _ values: UnsafeBufferPointer<Float>, _ type: TensorType,
        _ encodeBlock: @escaping @Sendable (UnsafePointer<Float>, UnsafeMutableRawPointer) -> Void
    ) throws -> [UInt8] {
        let size = type.blockSize
        guard values.count % size == 0 else {
            throw QuantizeError.notWholeBlocks(type: type, count: values.count, blockSize: size)
        }
        if let index = values.firstIndex(where: { !$0.isFinite }) {
            throw QuantizeError.nonFinite(type: type, index: index, value: values[index])
        }
        let count = values.count / size
        guard count > 0, let start = values.baseAddress else { return [] }
        // Safety: every chunk reads its own blocks' values and writes only its own blocks'
        // bytes and its own overflow slot; concurrentPerform returns after all chunks finish.
        nonisolated(unsafe) let source = start
        let stride = type.bytesPerBlock
        let offsets = halfOffsets(type)
        let largest = largestMagnitude(type)
        let blocksPerChunk = 64
        let chunks = (count + blocksPerChunk - 1) / blocksPerChunk
        // The first block of each chunk whose scale would overflow, or -1.
        var overflow = [Int](repeating: -1, count: chunks)
        let bytes = [UInt8](unsafeUninitializedCapacity: count * stride) { out, initialized in
            nonisolated(unsafe) let base = UnsafeMutableRawPointer(out.baseAddress!)
            overflow.withUnsafeMutableBufferPointer { slots in
                nonisolated(unsafe) let overflowed = slots
                DispatchQueue.concurrentPerform(iterations: chunks) { chunk in
                    for block in (chunk * blocksPerChunk)..<min(count, (chunk + 1) * blocksPerChunk) {
                        let x = source + block * size
                        var amax: Float = 0
                        for i in 0..<size { amax = max(amax, abs(x[i])) }
                        guard amax <= largest else {
                            if overflowed[chunk] < 0 { overflowed[chunk] = block }
                            continue
                        }
                        let p = base + block * stride
                        encodeBlock(x, p)
                        let infinite = offsets.contains { UInt16(littleEndian: p.loadUnaligned(fromByteOffset: $0, as: UInt16.self)) & 0x7C00 == 0x7C00 }
                        if infinite && overflowed[chunk] < 0 { overflowed[chunk] = block }
                    }
                }
            }
            initialized = count * stride
        }
        if let block = overflow.first(where: { $0 >= 0 }) {
            let magnitude = values[(block * size)..<((block + 1) * size)].map(abs).max() ?? 0
            throw QuantizeError.scaleOverflow(type: type, index: block * size, magnitude: magnitude)
        }
        return bytes
    }
}
