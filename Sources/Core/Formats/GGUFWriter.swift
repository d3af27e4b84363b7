import Foundation

/// One metadata entry to write; entries are written in the order given.
public struct GGUFMetadataEntry: Sendable, Equatable {
    /// The key (`general.architecture`, `llama.block_count`, ...); unique within a file.
    public var key: String
    /// The value, stored with exactly its own type.
    public var value: GGUFValue
    /// An entry for `key`.
    public init(_ key: String, _ value: GGUFValue) {
        self.key = key
        self.value = value
    }
}

/// One tensor to write: f32 values, row-major, stored as `type`: F32, F16 or BF16 (narrowing
/// rounds to nearest even) or one of ggml's block types (`Quantize`; rows must then be a whole
/// number of blocks). The values are produced only when the writer reaches the tensor, so a
/// whole model never needs a second full copy in memory.
public struct GGUFWriterTensor {
    /// The tensor's name (`blk.0.attn_q.weight`); at most 63 bytes, as ggml requires.
    public var name: String
    /// Outermost-first shape (PyTorch order); written innermost-first as GGUF wants.
    public var shape: [Int]
    /// The stored element type.
    public var type: TensorType
    let produce: () throws -> [Float]
    /// For a tensor given by rows: its rows `range` (along all but the last dimension), row-major.
    let produceRows: ((Range<Int>) throws -> [Float])?

    /// A tensor whose values are computed when written.
    public init(name: String, shape: [Int], type: TensorType, values produce: @escaping () throws -> [Float]) {
        self.name = name
        self.shape = shape
        self.type = type
        self.produce = produce
        produceRows = nil
    }

    /// A tensor produced and encoded a chunk of rows at a time (`rows(range)` gives rows `range`,
    /// row-major), so that a large one (an 8B model's embedding is 2.1 GB as f32) never exists
    /// whole in memory. The bytes are those of the whole tensor: every encoding works row by row.
    public init(name: String, shape: [Int], type: TensorType, rows: @escaping (Range<Int>) throws -> [Float]) {
        self.name = name
        self.shape = shape
        self.type = type
        let count = shape.dropLast().reduce(1, *)
        produce = { try rows(0..<count) }
        produceRows = rows
    }

    /// A tensor with values already at hand.
    public init(name: String, shape: [Int], type: TensorType, values: [Float]) {
        self.init(name: name, shape: shape, type: type) { values }
    }
}

/// Writes GGUF version 3 files that llama.cpp, gguf-py and `GGUFFile` read: metadata of every
/// value type, a tensor table with ggml's innermost-first dimensions, and tensor data aligned to
/// `general.alignment` (32 when the metadata does not set it).
///
/// The file is written under a hidden temporary name in the destination folder and renamed
/// into place only when complete, so a failure or interruption never leaves a partial model.
public enum GGUFWriter {
    /// ggml's limit on tensor name length, terminating NUL included.
    static let maxNameBytes = 64
    /// ggml's limit on tensor dimensions.
    static let maxDimensions = 4

    /// Writes `metadata` and `tensors` to `path`.
    ///
    /// A missing folder for `path` is created, parents included. Without `overwrite`, an
    /// existing file is detected before writing starts; one created by
    /// another process during the write would still be replaced by the final rename.
    /// - Parameter overwrite: replace an existing file at `path` (otherwise that is an error).
    /// - Parameter rowChunkValues: about how many values of a tensor given by rows are produced and
    ///   encoded at once (at least one row).
    /// - Throws: `GGUFWriterError` naming the bad key or tensor, or the path that could not be
    ///   written; everything that can be checked up front is checked before a byte is written.
    public static func write(
        metadata: [GGUFMetadataEntry], tensors: [GGUFWriterTensor], to path: String, overwrite: Bool = false,
        rowChunkValues: Int = 1 << 22
    ) throws {
        let alignment = try validate(metadata: metadata)
        let sizes = try validate(tensors: tensors)
        if !overwrite && FileManager.default.fileExists(atPath: path) {
            throw GGUFWriterError.destinationExists(path: path)
        }
        let header = headerBytes(metadata: metadata, tensors: tensors, sizes: sizes, alignment: alignment)
        if let reason = WriterTemporaries.createFolder(holding: path) {
            throw GGUFWriterError.writeFailed(path: path, reason: reason)
        }
        do {
            try SafetensorsAtomicWriter.write(to: path) { sink in
                try sink.append(header)
                for (tensor, size) in zip(tensors, sizes) {
                    let rowLength = tensor.shape[tensor.shape.count - 1]
                    let rows = tensor.shape.reduce(1, *) / rowLength
                    // A tensor given by rows is written a chunk at a time; any other in one piece.
                    let chunk = tensor.produceRows == nil ? rows : max(1, rowChunkValues / rowLength)
                    var first = 0
                    while first < rows {
                        let range = first..<min(rows, first + chunk)
                        let values: [Float]
                        do {
                            values = try tensor.produceRows?(range) ?? tensor.produce()
                        } catch {
                            throw GGUFWriterError.tensorSourceFailed(name: tensor.name, reason: "\(error)")
                        }
                        guard values.count == range.count * rowLength else {
                            let what = range.count == rows ? "shape \(tensor.shape) holds" : "rows \(range) of shape \(tensor.shape) hold"
                            throw GGUFWriterError.invalidTensor(
                                name: tensor.name, reason: "\(what) \(range.count * rowLength) values but \(values.count) were given")
                        }
                        try sink.append(try encode(values, tensor, firstRow: first))
                        first = range.upperBound
                    }
                    try sink.append([UInt8](repeating: 0, count: padding(size, alignment)))
                }
            }
        } catch SafetensorsError.writeFailed(_, let reason) {
            throw GGUFWriterError.writeFailed(path: path, reason: reason)
        }
    }

    /// The alignment the metadata asks for, after checking keys and values.
    private static func validate(metadata: [GGUFMetadataEntry]) throws -> Int {
        var seen = Set<String>()
        for entry in metadata {
            guard !entry.key.isEmpty else { throw GGUFWriterError.invalidKey(entry.key, reason: "keys must not be empty") }
            guard seen.insert(entry.key).inserted else {
                throw GGUFWriterError.invalidKey(entry.key, reason: "the key appears more than once")
            }
            try GGUFWriterEncoding.checkArrays(entry.value, key: entry.key)
        }
        guard let value = metadata.first(where: { $0.key == "general.alignment" })?.value else { return 32 }
        guard let alignment = value.int else {
            throw GGUFWriterError.invalidMetadata(key: "general.alignment", reason: "must be an integer, is \(value.typeDescription)")
        }
        guard alignment > 0, alignment.nonzeroBitCount == 1, alignment <= 1 << 20 else {
            throw GGUFWriterError.invalidMetadata(key: "general.alignment", reason: "\(alignment) is not a power of two up to 1 MiB")
        }
        return alignment
    }

    /// Each tensor's stored byte count, after checking names, shapes and types.
    private static func validate(tensors: [GGUFWriterTensor]) throws -> [Int] {
        var seen = Set<String>()
        var sizes: [Int] = []
        for tensor in tensors {
            let name = tensor.name
            guard !name.isEmpty, name.utf8.count < maxNameBytes else {
                throw GGUFWriterError.invalidTensor(name: name, reason: "names must have 1 to \(maxNameBytes - 1) bytes")
            }
            guard seen.insert(name).inserted else {
                throw GGUFWriterError.invalidTensor(name: name, reason: "the name appears more than once")
            }
            guard (1...maxDimensions).contains(tensor.shape.count), tensor.shape.allSatisfy({ $0 > 0 }) else {
                throw GGUFWriterError.invalidTensor(
                    name: name, reason: "shape \(tensor.shape) must have 1 to \(maxDimensions) positive dimensions")
            }
            let rowLength = tensor.shape[tensor.shape.count - 1]
            guard rowLength % tensor.type.blockSize == 0 else {
                throw GGUFWriterError.invalidTensor(
                    name: name,
                    reason: "rows of \(rowLength) values are not a whole number of \(tensor.type.rawValue) blocks of \(tensor.type.blockSize)")
            }
            var count = 1
            for dimension in tensor.shape {
                let (product, overflow) = count.multipliedReportingOverflow(by: dimension)
                guard !overflow else { throw GGUFWriterError.invalidTensor(name: name, reason: "shape \(tensor.shape) is too large") }
                count = product
            }
            guard let bytes = tensor.type.byteCount(elements: count), bytes <= Int.max / 2 else {
                throw GGUFWriterError.invalidTensor(name: name, reason: "shape \(tensor.shape) is too large")
            }
            sizes.append(bytes)
        }
        return sizes
    }

    /// Magic, version, counts, metadata, tensor table and the padding up to the data section.
    private static func headerBytes(
        metadata: [GGUFMetadataEntry], tensors: [GGUFWriterTensor], sizes: [Int], alignment: Int
    ) -> [UInt8] {
        var out = GGUFWriterEncoding.Buffer()
        out.bytes.append(contentsOf: Array("GGUF".utf8))
        out.append(UInt32(3))
        out.append(UInt64(tensors.count))
        out.append(UInt64(metadata.count))
        for entry in metadata {
            out.append(entry.key)
            out.append(entry.value.type.rawValue)
            out.append(entry.value)
        }
        var offset = 0
        for (tensor, size) in zip(tensors, sizes) {
            out.append(tensor.name)
            out.append(UInt32(tensor.shape.count))
            for dimension in tensor.shape.reversed() { out.append(UInt64(dimension)) }
            out.append(tensor.type.ggmlTypeID)
            out.append(UInt64(offset))
            offset += size + padding(size, alignment)
        }
        out.bytes.append(contentsOf: [UInt8](repeating: 0, count: padding(out.bytes.count, alignment)))
        return out.bytes
    }

    /// The tensor's stored bytes; a value quantization cannot store is reported by row and column.
    private static func encode(_ values: [Float], _ tensor: GGUFWriterTensor, firstRow: Int) throws -> [UInt8] {
        do {
            return try Quantize.encode(values, as: tensor.type)
        } catch let error as QuantizeError {
            let rowLength = tensor.shape[tensor.shape.count - 1]
            func at(_ index: Int) -> String { "row \(firstRow + index / rowLength), column \(index % rowLength)" }
            let reason: String
            switch error {
            case let .nonFinite(type, index, value):
                reason = "the value at \(at(index)) is \(value), which \(type.rawValue) cannot store (block types hold finite values only)"
            case let .scaleOverflow(type, index, magnitude):
                reason = "the \(type.rawValue) block at \(at(index)) reaches magnitude \(magnitude), beyond the \(Quantize.largestMagnitude(type)) its f16 scale can express; store this tensor as f32"
            case .notWholeBlocks:
                reason = error.description
            }
            throw GGUFWriterError.invalidTensor(name: tensor.name, reason: reason)
        }
    }

    /// Zero bytes needed after `size` bytes to reach a multiple of `alignment`.
    static func padding(_ size: Int, _ alignment: Int) -> Int {
        (alignment - size % alignment) % alignment
    }
}
