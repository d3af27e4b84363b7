import Kernels

/// The rows of a matrix as a model file encodes them (ggml's quantized blocks, f16 or bf16),
/// read in place from the memory-mapped file, or from an owned copy once pruning has kept some
/// rows: what a `.native` load hands the GEMM (`EncodedRows`). Decoding is `Dequantize`'s,
/// bit-identical to ggml's reference, so a native model computes what its f32 load computes.
///
/// A mapped matrix keeps its file mapped: the file must not be truncated or rewritten while
/// the model is loaded (as with llama.cpp's default mmap loading).
public struct EncodedTensorRows: EncodedRows {
    /// The encoding of every row.
    public let type: TensorType
    public let rows: Int
    public let cols: Int
    /// Bytes per encoded row (whole blocks).
    public let rowBytes: Int
    private let storage: EncodedBytes

    /// Rows stored at `bytes` (`rows` x `rowBytes` bytes), kept alive by `owner` (the mapped file).
    /// - Throws: `DequantizeError` if a row of `cols` values is not whole blocks of `type`, or
    ///   the buffer is too small.
    init(type: TensorType, rows: Int, cols: Int, bytes: UnsafeRawBufferPointer, owner: AnyObject) throws {
        guard cols % type.blockSize == 0 else {
            throw DequantizeError.notWholeBlocks(type: type, count: cols, blockSize: type.blockSize)
        }
        let rowBytes = type.byteCount(elements: cols) ?? Int.max
        let (needed, overflow) = rows.multipliedReportingOverflow(by: rowBytes)
        guard !overflow, needed <= bytes.count else {
            throw DequantizeError.sourceTooSmall(type: type, count: rows * cols, needed: overflow ? Int.max : needed,
                                                 available: bytes.count)
        }
        self.type = type
        self.rows = rows
        self.cols = cols
        self.rowBytes = rowBytes
        storage = EncodedBytes(base: bytes.baseAddress, count: needed, owner: owner)
    }

    private init(type: TensorType, rows: Int, cols: Int, rowBytes: Int, storage: EncodedBytes) {
        self.type = type
        self.rows = rows
        self.cols = cols
        self.rowBytes = rowBytes
        self.storage = storage
    }

    public var storageBytes: Int { rows * rowBytes }

    public var encodingName: String { type.rawValue }

    public func decode(rows range: Range<Int>, into destination: UnsafeMutablePointer<Float>) {
        precondition(range.lowerBound >= 0 && range.upperBound <= rows, "EncodedTensorRows.decode: rows \(range) out of 0..<\(rows)")
        guard let base = storage.base, cols > 0 else { return }
        for (i, row) in range.enumerated() {
            let source = UnsafeRawBufferPointer(start: base + row * rowBytes, count: rowBytes)
            let target = UnsafeMutableBufferPointer(start: destination + i * cols, count: cols)
            // The sizes were checked at init: this cannot throw.
            try! Dequantize.toFloats(source, type: type, count: cols, into: target)
        }
    }

    public func keepingRows(_ indices: [Int]) -> any EncodedRows {
        let count = indices.count * rowBytes
        let copy = UnsafeMutableRawPointer.allocate(byteCount: max(1, count), alignment: 64)
        if let base = storage.base {
            for (i, row) in indices.enumerated() {
                precondition(row >= 0 && row < rows, "EncodedTensorRows.keepingRows: \(row) out of 0..<\(rows)")
                (copy + i * rowBytes).copyMemory(from: base + row * rowBytes, byteCount: rowBytes)
            }
        }
        let owned = EncodedBytes(owning: copy, count: count)
        return EncodedTensorRows(type: type, rows: indices.count, cols: cols, rowBytes: rowBytes, storage: owned)
    }
}

/// Read-only bytes of encoded rows: a range of a mapped file (kept alive through `owner`) or a
/// copy this object owns and frees.
final class EncodedBytes: @unchecked Sendable {
    // Safety of @unchecked Sendable: the bytes are never written after init.
    let base: UnsafeRawPointer?
    let count: Int
    private let owner: AnyObject?
    private let owned: UnsafeMutableRawPointer?

    init(base: UnsafeRawPointer?, count: Int, owner: AnyObject) {
        self.base = base
        self.count = count
        self.owner = owner
        owned = nil
    }

    init(owning pointer: UnsafeMutableRawPointer, count: Int) {
        base = UnsafeRawPointer(pointer)
        self.count = count
        owner = nil
        owned = pointer
    }

    deinit { owned?.deallocate() }
}
