import Kernels
/// Why a buffer could not be dequantized.
public enum DequantizeError: Error, CustomStringConvertible, Equatable {
    /// `count` is not a whole number of the type's blocks.
    case notWholeBlocks(type: TensorType, count: Int, blockSize: Int)
    /// The source holds fewer bytes than `count` values need.
    case sourceTooSmall(type: TensorType, count: Int, needed: Int, available: Int)
    /// The destination has room for fewer than `count` values.
    case destinationTooSmall(count: Int, available: Int)

    public var description: String {
        switch self {
        case .notWholeBlocks(let type, let count, let blockSize):
            return "cannot dequantize \(count) values of \(type.rawValue): not a multiple of its block size \(blockSize)"
        case .sourceTooSmall(let type, let count, let needed, let available):
            return "\(count) values of \(type.rawValue) need \(needed) bytes, but only \(available) were given"
        case .destinationTooSmall(let count, let available):
            return "destination holds \(available) floats, \(count) needed"
        }
    }
}

/// Conversion of stored tensor data (dense or ggml-quantized) to f32.
public enum Dequantize {
    /// Converts the first `count` values stored as `type` in `source` to f32 in `destination`.
    ///
    /// Bit-identical to ggml's reference dequantization (and to gguf-py's `dequantize`).
    /// - Throws: `DequantizeError` if the sizes do not fit.
    public static func toFloats(
        _ source: UnsafeRawBufferPointer, type: TensorType, count: Int,
        into destination: UnsafeMutableBufferPointer<Float>
    ) throws {
        guard count >= 0, count % type.blockSize == 0 else {
            throw DequantizeError.notWholeBlocks(type: type, count: count, blockSize: type.blockSize)
        }
        let needed = type.byteCount(elements: count) ?? Int.max
        guard needed <= source.count else {
            throw DequantizeError.sourceTooSmall(type: type, count: count, needed: needed, available: source.count)
        }
        guard count <= destination.count else {
            throw DequantizeError.destinationTooSmall(count: count, available: destination.count)
        }
        guard count > 0, let src = source.baseAddress, let dst = destination.baseAddress else { return }
        switch type {
        case .f32:
            for i in 0..<count {
                dst[i] = Float(bitPattern: UInt32(littleEndian: src.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self)))
            }
        case .f16:
            for i in 0..<count {
                dst[i] = floatFromF16(UInt16(littleEndian: src.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)))
            }
        case .bf16:
            for i in 0..<count {
                dst[i] = floatFromBF16(UInt16(littleEndian: src.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)))
            }
        case .q8_0: forEachBlock(src, dst, type, count, DequantizeBlocks.q8_0)
        case .q4_0: forEachBlock(src, dst, type, count, DequantizeBlocks.q4_0)
        case .q4_1: forEachBlock(src, dst, type, count, DequantizeBlocks.q4_1)
        case .q5_0: forEachBlock(src, dst, type, count, DequantizeBlocks.q5_0)
        case .q5_1: forEachBlock(src, dst, type, count, DequantizeBlocks.q5_1)
        case .q4_K: forEachBlock(src, dst, type, count, DequantizeBlocks.q4_K)
        case .q5_K: forEachBlock(src, dst, type, count, DequantizeBlocks.q5_K)
        case .q6_K: forEachBlock(src, dst, type, count, DequantizeBlocks.q6_K)
        }
    }

    /// Converts `count` values stored as `type` in `source` to a new f32 array.
    public static func toFloats(_ source: UnsafeRawBufferPointer, type: TensorType, count: Int) throws -> [Float] {
        try [Float](unsafeUninitializedCapacity: max(count, 0)) { buffer, initialized in
            try toFloats(source, type: type, count: count, into: buffer)
            initialized = count
        }
    }

    @inline(__always)
    private static func forEachBlock(
        _ src: UnsafeRawPointer, _ dst: UnsafeMutablePointer<Float>, _ type: TensorType, _ count: Int,
        _ block: (UnsafeRawPointer, UnsafeMutablePointer<Float>) -> Void
    ) {
        for b in 0..<(count / type.blockSize) {
            block(src + b * type.bytesPerBlock, dst + b * type.blockSize)
        }
    }
}
