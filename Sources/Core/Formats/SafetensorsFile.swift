import Kernels
/// A safetensors file, memory-mapped and validated when opened, whose tensors are converted to
/// f32 on demand. Truncated or corrupt files are rejected with a `SafetensorsError` at `init`,
/// so later reads cannot go out of bounds.
public final class SafetensorsFile: TensorSource {
    /// The path the file was opened from.
    public let path: String
    /// The header's `__metadata__` strings (empty if absent).
    public let metadata: [String: String]
    public let tensorNames: [String]

    private let mapping: MappedFile
    private let dataStart: Int
    private let entries: [String: SafetensorsEntry]

    /// Opens and validates `path`.
    public convenience init(path: String) throws {
        let mapping: MappedFile
        do {
            mapping = try MappedFile(path: path)
        } catch MappedFileError.empty {
            throw SafetensorsError.truncated(path: path, fileSize: 0, needed: 8)
        } catch {
            throw SafetensorsError.cannotOpen(path: path, reason: "\(error)")
        }
        try self.init(file: mapping)
    }

    /// Validates a file already in memory (`MappedFile`, mapped or copied); `file.path` names
    /// it in errors. What `init(path:)` does once the file is mapped.
    public init(file mapping: MappedFile) throws {
        let path = mapping.path
        let header = try SafetensorsHeader(bytes: mapping.bytes, path: path)
        self.path = path
        self.mapping = mapping
        self.metadata = header.metadata
        self.dataStart = header.dataStart
        self.tensorNames = header.entries.map(\.name)
        self.entries = Dictionary(header.entries.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
    }

    public func descriptor(_ name: String) -> TensorDescriptor? {
        guard let entry = entries[name] else { return nil }
        return TensorDescriptor(name: name, shape: entry.shape, type: entry.dtype.tensorType)
    }

    /// The stored dtype of `name`, or nil if the file has no such tensor.
    public func dtype(_ name: String) -> SafetensorsDType? {
        entries[name]?.dtype
    }

    public func floats(_ name: String) throws -> [Float] {
        guard let entry = entries[name] else { throw SafetensorsError.tensorNotFound(path: path, tensor: name) }
        let range = (dataStart + entry.dataRange.lowerBound)..<(dataStart + entry.dataRange.upperBound)
        let source = UnsafeRawBufferPointer(rebasing: mapping.bytes[range])
        let count = entry.dataRange.count / entry.dtype.byteCount
        return [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
            switch entry.dtype {
            case .f32:
                if count > 0 { UnsafeMutableRawBufferPointer(buffer).copyMemory(from: source) }
            case .f16:
                for index in 0..<count {
                    let bits = source.loadUnaligned(fromByteOffset: 2 * index, as: UInt16.self)
                    buffer[index] = floatFromF16(UInt16(littleEndian: bits))
                }
            case .bf16:
                for index in 0..<count {
                    let bits = source.loadUnaligned(fromByteOffset: 2 * index, as: UInt16.self)
                    buffer[index] = floatFromBF16(UInt16(littleEndian: bits))
                }
            }
            initialized = count
        }
    }
}
