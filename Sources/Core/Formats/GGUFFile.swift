/// One entry of a GGUF file's tensor table, resolved and bounds-checked.
public struct GGUFTensorInfo: Sendable, Equatable {
    /// The tensor's name (`blk.0.attn_q.weight`).
    public var name: String
    /// Outermost-first shape (GGUF stores dimensions innermost first; this is reversed).
    public var shape: [Int]
    /// The stored element type.
    public var type: TensorType
    /// Absolute byte offset of the tensor's data in the file.
    public var fileOffset: Int
    /// Number of stored bytes.
    public var byteCount: Int

    /// The format-neutral descriptor.
    public var descriptor: TensorDescriptor { TensorDescriptor(name: name, shape: shape, type: type) }
}

/// A GGUF model file (versions 2 and 3), memory-mapped: metadata and tensor table are parsed
/// up front and checked against the file size; tensor data is read only when asked for.
public struct GGUFFile: TensorSource {
    /// Metadata arrays nested deeper than this are treated as corruption.
    static let maxNesting = 8
    /// Tensors with more dimensions than this are treated as corruption (ggml allows 4).
    static let maxDimensions = 8

    /// The mapped file; kept alive as long as any copy of this value.
    public let file: MappedFile
    /// Format version (2 or 3).
    public let version: UInt32
    /// Every metadata key and value.
    public let metadata: [String: GGUFValue]
    /// Metadata keys in file order.
    public let metadataKeys: [String]
    /// The tensor table in file order.
    public let tensors: [GGUFTensorInfo]
    /// Alignment of tensor data (`general.alignment`, default 32).
    public let alignment: Int
    /// Absolute offset of the data section.
    public let dataOffset: Int
    private let tensorIndex: [String: Int]

    /// Opens and parses the GGUF file at `path`.
    /// - Throws: `MappedFileError` if the file cannot be mapped, `GGUFError` if it is not a
    ///   valid, supported GGUF file.
    public init(path: String) throws {
        try self.init(file: MappedFile(path: path))
    }

    /// Parses an already mapped GGUF file.
    public init(file: MappedFile) throws {
        self.file = file
        var reader = GGUFByteReader(file.bytes)
        try reader.require(4, for: "the magic number")
        let magic = Array(file.bytes[0..<4])
        guard magic == Array("GGUF".utf8) else { throw GGUFError.badMagic(found: magic) }
        _ = try reader.read(UInt32.self, "the magic number")
        let version = try reader.read(UInt32.self, "the version")
        guard version == 2 || version == 3 else {
            if version.byteSwapped == 2 || version.byteSwapped == 3 { throw GGUFError.bigEndian }
            throw GGUFError.unsupportedVersion(version)
        }
        self.version = version
        // Each tensor-table entry takes at least 8 + 4 + 4 + 8 bytes, each key-value pair 8 + 4.
        let tensorCount = try reader.readCount(minBytesEach: 24, "the tensor count")
        let keyCount = try reader.readCount(minBytesEach: 12, "the metadata count")

        var metadata: [String: GGUFValue] = [:]
        var keys: [String] = []
        keys.reserveCapacity(keyCount)
        for index in 0..<keyCount {
            let key = try reader.readString("metadata key #\(index)")
            let typeID = try reader.read(UInt32.self, "the value type of '\(key)'")
            let value = try Self.readValue(&reader, typeID: typeID, key: key, depth: 0)
            guard metadata.updateValue(value, forKey: key) == nil else { throw GGUFError.duplicateKey(key) }
            keys.append(key)
        }
        self.metadata = metadata
        self.metadataKeys = keys

        var alignment = 32
        if let value = metadata["general.alignment"] {
            guard let a = value.int else {
                throw GGUFError.metadataTypeMismatch(key: "general.alignment", expected: "an integer", found: value.typeDescription)
            }
            guard a > 0, a.nonzeroBitCount == 1, a <= 1 << 20 else {
                throw GGUFError.invalidMetadata(key: "general.alignment", reason: "\(a) is not a power of two (up to 1 MiB)")
            }
            alignment = a
        }
        self.alignment = alignment

        struct RawEntry { var name: String; var shape: [Int]; var type: TensorType; var offset: UInt64; var bytes: Int }
        var entries: [RawEntry] = []
        entries.reserveCapacity(tensorCount)
        for index in 0..<tensorCount {
            let name = try reader.readString("the name of tensor #\(index)")
            let rank = try reader.read(UInt32.self, "the rank of tensor '\(name)'")
            guard rank >= 1, rank <= Self.maxDimensions else {
                throw GGUFError.invalidTensorShape(tensor: name, dims: [])
            }
            var dims: [UInt64] = []
            for axis in 0..<Int(rank) {
                dims.append(try reader.read(UInt64.self, "dimension \(axis) of tensor '\(name)'"))
            }
            let typeID = try reader.read(UInt32.self, "the type of tensor '\(name)'")
            let offset = try reader.read(UInt64.self, "the data offset of tensor '\(name)'")
            guard let type = TensorType(ggmlTypeID: typeID) else {
                if let typeName = GGMLTypeNames.name(of: typeID) {
                    throw GGUFError.unsupportedTensorType(tensor: name, typeID: typeID, typeName: typeName)
                }
                throw GGUFError.unknownTensorType(tensor: name, typeID: typeID)
            }
            var count = 1
            for d in dims {
                guard d <= UInt64(Int.max), d > 0 else { throw GGUFError.invalidTensorShape(tensor: name, dims: dims) }
                let (product, overflow) = count.multipliedReportingOverflow(by: Int(d))
                guard !overflow else { throw GGUFError.invalidTensorShape(tensor: name, dims: dims) }
                count = product
            }
            guard Int(dims[0]) % type.blockSize == 0, let bytes = type.byteCount(elements: count) else {
                throw GGUFError.rowNotBlockAligned(tensor: name, rowLength: Int(dims[0]), blockSize: type.blockSize)
            }
            entries.append(RawEntry(name: name, shape: dims.reversed().map { Int($0) }, type: type, offset: offset, bytes: bytes))
        }

        let headerEnd = reader.offset
        let (padded, _) = headerEnd.addingReportingOverflow(alignment - 1)
        let dataOffset = padded / alignment * alignment
        self.dataOffset = dataOffset
        let fileSize = file.count

        var tensors: [GGUFTensorInfo] = []
        var index: [String: Int] = [:]
        tensors.reserveCapacity(entries.count)
        for entry in entries {
            guard entry.offset % UInt64(alignment) == 0 else {
                throw GGUFError.misalignedTensorData(tensor: entry.name, offset: Int(clamping: entry.offset), alignment: alignment)
            }
            let start = entry.offset <= UInt64(Int.max - dataOffset) ? dataOffset + Int(entry.offset) : Int.max
            let (end, overflow) = start.addingReportingOverflow(entry.bytes)
            guard !overflow, end <= fileSize else {
                throw GGUFError.tensorDataOutOfBounds(tensor: entry.name, start: start, end: overflow ? Int.max : end, fileSize: fileSize)
            }
            guard index.updateValue(tensors.count, forKey: entry.name) == nil else {
                throw GGUFError.duplicateTensor(entry.name)
            }
            tensors.append(GGUFTensorInfo(name: entry.name, shape: entry.shape, type: entry.type, fileOffset: start, byteCount: entry.bytes))
        }
        self.tensors = tensors
        self.tensorIndex = index
    }

    private static func readValue(_ reader: inout GGUFByteReader, typeID: UInt32, key: String, depth: Int) throws -> GGUFValue {
        guard let type = GGUFValueType(rawValue: typeID) else {
            throw GGUFError.invalidValueType(key: key, typeID: typeID)
        }
        let what = "the value of '\(key)'"
        switch type {
        case .uint8: return .uint8(try reader.read(UInt8.self, what))
        case .int8: return .int8(try reader.read(Int8.self, what))
        case .uint16: return .uint16(try reader.read(UInt16.self, what))
        case .int16: return .int16(try reader.read(Int16.self, what))
        case .uint32: return .uint32(try reader.read(UInt32.self, what))
        case .int32: return .int32(try reader.read(Int32.self, what))
        case .uint64: return .uint64(try reader.read(UInt64.self, what))
        case .int64: return .int64(try reader.read(Int64.self, what))
        case .float32: return .float32(try reader.readFloat(what))
        case .float64: return .float64(try reader.readDouble(what))
        case .bool: return .bool(try reader.read(UInt8.self, what) != 0)
        case .string: return .string(try reader.readString(what))
        case .array:
            guard depth < maxNesting else { throw GGUFError.nestingTooDeep(key: key, limit: maxNesting) }
            let elementID = try reader.read(UInt32.self, "the element type of '\(key)'")
            guard let elementType = GGUFValueType(rawValue: elementID) else {
                throw GGUFError.invalidValueType(key: key, typeID: elementID)
            }
            let count = try reader.readCount(minBytesEach: minimumSize(of: elementType), "the elements of '\(key)'")
            var items: [GGUFValue] = []
            items.reserveCapacity(count)
            for _ in 0..<count {
                items.append(try readValue(&reader, typeID: elementID, key: key, depth: depth + 1))
            }
            return .array(elementType, items)
        }
    }

    /// The fewest bytes one value of `type` can take, to reject absurd counts before allocating.
    private static func minimumSize(of type: GGUFValueType) -> Int {
        switch type {
        case .uint8, .int8, .bool: 1
        case .uint16, .int16: 2
        case .uint32, .int32, .float32: 4
        case .uint64, .int64, .float64, .string: 8
        case .array: 12
        }
    }

    // MARK: - Tensors

    /// Every tensor's name, in file order.
    public var tensorNames: [String] { tensors.map(\.name) }

    /// The table entry of `name`, or nil if the file has no such tensor.
    public func tensorInfo(_ name: String) -> GGUFTensorInfo? {
        tensorIndex[name].map { tensors[$0] }
    }

    /// The descriptor of `name`, or nil if the file has no such tensor.
    public func descriptor(_ name: String) -> TensorDescriptor? {
        tensorInfo(name)?.descriptor
    }

    /// Calls `body` with the tensor's stored bytes (no copy; valid only inside `body`).
    /// - Throws: `GGUFError.tensorNotFound` if there is no such tensor.
    public func withRawBytes<R>(_ name: String, _ body: (UnsafeRawBufferPointer) throws -> R) throws -> R {
        guard let info = tensorInfo(name) else { throw GGUFError.tensorNotFound(name) }
        return try withExtendedLifetime(file) { try body(storedBytes(info)) }
    }

    /// A copy of the tensor's stored bytes (quantized blocks as they are in the file).
    public func rawBytes(_ name: String) throws -> [UInt8] {
        try withRawBytes(name) { Array($0) }
    }

    /// The tensor's values as f32, row-major outermost-first, dequantized if needed.
    /// - Throws: `GGUFError.tensorNotFound` if there is no such tensor.
    public func floats(_ name: String) throws -> [Float] {
        guard let info = tensorInfo(name) else { throw GGUFError.tensorNotFound(name) }
        let count = info.shape.reduce(1, *)
        return try withRawBytes(name) { try Dequantize.toFloats($0, type: info.type, count: count) }
    }

    /// Rows `indices` of the tensor, each dequantized from its own blocks in the mapped file
    /// (a ggml row is always whole blocks), so a lookup touches only those rows' pages.
    /// - Throws: `GGUFError.tensorNotFound`, or `GGUFError.inconsistentModel` for an index
    ///   outside the tensor.
    public func rows(_ name: String, _ indices: [Int]) throws -> [Float] {
        guard let info = tensorInfo(name) else { throw GGUFError.tensorNotFound(name) }
        guard let count = info.shape.first, count > 0 else { return try floats(name) }
        let length = info.shape.dropFirst().reduce(1, *)
        guard let rowBytes = info.type.byteCount(elements: length) else { return try floats(name) }
        var out: [Float] = []
        out.reserveCapacity(indices.count * length)
        try withRawBytes(name) { bytes in
            for row in indices {
                guard row >= 0, row < count else {
                    throw GGUFError.inconsistentModel("row \(row) of \(name) is outside its \(count) rows")
                }
                let slice = UnsafeRawBufferPointer(rebasing: bytes[(row * rowBytes)..<((row + 1) * rowBytes)])
                out += try Dequantize.toFloats(slice, type: info.type, count: length)
            }
        }
        return out
    }

    /// The matrix `name` as the file encodes it, in place in the mapping (nil for f32 tensors and
    /// for tensors of one dimension); its rows are the outermost dimensions, row-major. The rows
    /// are whole blocks, as ggml requires.
    /// - Throws: `GGUFError.tensorNotFound`, or `DequantizeError` for a tensor whose rows are
    ///   not whole blocks (a corrupt file).
    public func encodedRows(_ name: String) throws -> EncodedTensorRows? {
        guard let info = tensorInfo(name) else { throw GGUFError.tensorNotFound(name) }
        guard info.type != .f32, info.shape.count >= 2, let cols = info.shape.last else { return nil }
        return try EncodedTensorRows(type: info.type, rows: info.shape.dropLast().reduce(1, *), cols: cols,
                                     bytes: storedBytes(info), owner: file)
    }

    /// The tensor's bytes in the mapping (valid while `file` lives).
    private func storedBytes(_ info: GGUFTensorInfo) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: file.bytes[info.fileOffset..<(info.fileOffset + info.byteCount)])
    }

    /// Drops the tensor's pages from resident memory (`MappedFile.releasePages`).
    public func releaseStorage(_ name: String) {
        guard let info = tensorInfo(name) else { return }
        file.releasePages(info.fileOffset..<(info.fileOffset + info.byteCount))
    }

    // MARK: - Metadata

    /// `general.architecture`, if present.
    public var architecture: String? { metadata["general.architecture"]?.string }
}
