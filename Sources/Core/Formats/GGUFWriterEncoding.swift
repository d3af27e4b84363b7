/// GGUF's little-endian encoding of metadata values (tensor data is `Quantize`'s).
enum GGUFWriterEncoding {
    /// A growing byte buffer with GGUF's primitive encoders.
    struct Buffer {
        var bytes: [UInt8] = []

        mutating func append<T: FixedWidthInteger>(_ value: T) {
            withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
        }

        /// A GGUF string: u64 byte length, then UTF-8 without terminator.
        mutating func append(_ text: String) {
            append(UInt64(text.utf8.count))
            bytes.append(contentsOf: text.utf8)
        }

        /// The value's payload (its type id is written by the caller, or by the array header).
        mutating func append(_ value: GGUFValue) {
            switch value {
            case .uint8(let v): append(v)
            case .int8(let v): append(v)
            case .uint16(let v): append(v)
            case .int16(let v): append(v)
            case .uint32(let v): append(v)
            case .int32(let v): append(v)
            case .uint64(let v): append(v)
            case .int64(let v): append(v)
            case .float32(let v): append(v.bitPattern)
            case .float64(let v): append(v.bitPattern)
            case .bool(let v): append(UInt8(v ? 1 : 0))
            case .string(let v): append(v)
            case .array(let type, let items):
                append(type.rawValue)
                append(UInt64(items.count))
                for item in items { append(item) }
            }
        }
    }

    /// Checks that every array's elements have the array's declared type, at any depth, since
    /// GGUF stores the element type once per array.
    static func checkArrays(_ value: GGUFValue, key: String) throws {
        guard case .array(let type, let items) = value else { return }
        for (index, item) in items.enumerated() {
            guard item.type == type else {
                throw GGUFWriterError.invalidMetadata(
                    key: key, reason: "array of \(type) has element \(index) of type \(item.typeDescription)")
            }
            try checkArrays(item, key: key)
        }
    }
}
