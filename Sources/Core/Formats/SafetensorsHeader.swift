import Foundation

/// One tensor as a safetensors header describes it, after validation: `dataRange` is relative
/// to the start of the data section and matches dtype size times element count.
struct SafetensorsEntry: Sendable {
    let name: String
    let dtype: SafetensorsDType
    let shape: [Int]
    let dataRange: Range<Int>
}

/// The parsed and checked header of a safetensors file: 8-byte little-endian length, then that
/// many bytes of JSON mapping tensor names to `{dtype, shape, data_offsets}`, plus optional
/// string `__metadata__`.
struct SafetensorsHeader: Sendable {
    /// The format's own limit on the header size.
    static let maximumLength: UInt64 = 100_000_000

    /// Tensors in file order (by data offset).
    let entries: [SafetensorsEntry]
    let metadata: [String: String]
    /// Offset of the data section from the start of the file.
    let dataStart: Int

    /// Parses and validates the header of a file of `fileSize` bytes whose bytes are `bytes`.
    init(bytes: UnsafeRawBufferPointer, path: String) throws {
        let fileSize = bytes.count
        guard fileSize >= 8 else { throw SafetensorsError.truncated(path: path, fileSize: fileSize, needed: 8) }
        var length: UInt64 = 0
        for index in 0..<8 { length |= UInt64(bytes[index]) << (8 * UInt64(index)) }
        guard length <= Self.maximumLength else { throw SafetensorsError.headerTooLarge(path: path, length: length) }
        let headerEnd = 8 + Int(length)
        guard headerEnd <= fileSize else {
            throw SafetensorsError.truncated(path: path, fileSize: fileSize, needed: headerEnd)
        }
        let json = Data(bytes[8..<headerEnd])
        let object: Any
        do {
            object = try JSONSerialization.jsonObject(with: json, options: [])
        } catch {
            throw SafetensorsError.invalidHeaderJSON(path: path, reason: "the header is not valid JSON (\(ErrorText.words(error)))")
        }
        guard let dictionary = object as? [String: Any] else {
            throw SafetensorsError.invalidHeaderJSON(path: path, reason: "the header is not a JSON object")
        }
        let dataSize = fileSize - headerEnd
        var metadata: [String: String] = [:]
        var entries: [SafetensorsEntry] = []
        for (name, value) in dictionary {
            if name == "__metadata__" {
                metadata = try Self.parseMetadata(value, path: path)
            } else {
                entries.append(try Self.parseEntry(name: name, value: value, dataSize: dataSize, path: path))
            }
        }
        entries.sort { ($0.dataRange.lowerBound, $0.dataRange.upperBound, $0.name) < ($1.dataRange.lowerBound, $1.dataRange.upperBound, $1.name) }
        for (previous, next) in zip(entries, entries.dropFirst())
        where previous.dataRange.overlaps(next.dataRange) {
            throw SafetensorsError.overlappingTensors(path: path, first: previous.name, second: next.name)
        }
        self.entries = entries
        self.metadata = metadata
        self.dataStart = headerEnd
    }

    private static func parseMetadata(_ value: Any, path: String) throws -> [String: String] {
        guard let raw = value as? [String: Any] else {
            throw SafetensorsError.invalidEntry(path: path, tensor: "__metadata__", reason: "must be an object of strings")
        }
        var metadata: [String: String] = [:]
        for (key, item) in raw {
            guard let text = item as? String else {
                throw SafetensorsError.invalidEntry(path: path, tensor: "__metadata__", reason: "value of '\(key)' is not a string")
            }
            metadata[key] = text
        }
        return metadata
    }

    private static func parseEntry(name: String, value: Any, dataSize: Int, path: String) throws -> SafetensorsEntry {
        func invalid(_ reason: String) -> SafetensorsError {
            .invalidEntry(path: path, tensor: name, reason: reason)
        }
        guard let fields = value as? [String: Any] else { throw invalid("must be an object with dtype, shape and data_offsets") }
        guard let dtypeName = fields["dtype"] as? String else { throw invalid("missing or non-string 'dtype'") }
        guard let dtype = SafetensorsDType(rawValue: dtypeName) else {
            throw SafetensorsError.unsupportedDType(path: path, tensor: name, dtype: dtypeName)
        }
        guard let shape = integers(fields["shape"]) else { throw invalid("'shape' must be an array of non-negative integers") }
        guard let offsets = integers(fields["data_offsets"]), offsets.count == 2 else {
            throw invalid("'data_offsets' must be two non-negative integers [begin, end]")
        }
        let begin = offsets[0], end = offsets[1]
        guard begin <= end, end <= dataSize else {
            throw SafetensorsError.offsetsOutOfRange(path: path, tensor: name, begin: begin, end: end, dataSize: dataSize)
        }
        var expectedBytes = dtype.byteCount
        for dimension in shape {
            let (product, overflow) = expectedBytes.multipliedReportingOverflow(by: dimension)
            guard !overflow else { throw invalid("shape \(shape) is too large") }
            expectedBytes = product
        }
        guard expectedBytes == end - begin else {
            throw SafetensorsError.sizeMismatch(path: path, tensor: name, expectedBytes: expectedBytes, actualBytes: end - begin)
        }
        return SafetensorsEntry(name: name, dtype: dtype, shape: shape, dataRange: begin..<end)
    }

    /// The value as non-negative integers, or nil if it is anything else.
    private static func integers(_ value: Any?) -> [Int]? {
        guard let array = value as? [Any] else { return nil }
        var result: [Int] = []
        result.reserveCapacity(array.count)
        for item in array {
            guard let number = item as? NSNumber, !HuggingFaceConfigKeys.isBoolean(number) else { return nil }
            let integer = number.int64Value
            guard integer >= 0, Double(integer) == number.doubleValue else { return nil }
            result.append(Int(integer))
        }
        return result
    }
}
