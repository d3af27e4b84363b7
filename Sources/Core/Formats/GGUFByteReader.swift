/// A bounds-checked little-endian cursor over a GGUF file's bytes.
///
/// Every read checks the remaining length first and throws `GGUFError.truncated` naming what was
/// being read, so a cut-off or corrupt file can never read past the mapping.
struct GGUFByteReader {
    let bytes: UnsafeRawBufferPointer
    private(set) var offset: Int = 0

    init(_ bytes: UnsafeRawBufferPointer) {
        self.bytes = bytes
    }

    var remaining: Int { bytes.count - offset }

    /// Throws unless `count` more bytes are available.
    func require(_ count: Int, for what: @autoclosure () -> String) throws {
        guard count >= 0, count <= remaining else {
            throw GGUFError.truncated(what: what(), offset: offset, needed: count, fileSize: bytes.count)
        }
    }

    mutating func read<T: FixedWidthInteger>(_: T.Type, _ what: @autoclosure () -> String) throws -> T {
        try require(MemoryLayout<T>.size, for: what())
        let value = bytes.loadUnaligned(fromByteOffset: offset, as: T.self)
        offset += MemoryLayout<T>.size
        return T(littleEndian: value)
    }

    mutating func readFloat(_ what: @autoclosure () -> String) throws -> Float {
        Float(bitPattern: try read(UInt32.self, what()))
    }

    mutating func readDouble(_ what: @autoclosure () -> String) throws -> Double {
        Double(bitPattern: try read(UInt64.self, what()))
    }

    /// A u64 length that must also fit in the rest of the file at `minBytesEach` per item.
    mutating func readCount(minBytesEach: Int, _ what: @autoclosure () -> String) throws -> Int {
        let raw = try read(UInt64.self, what())
        guard raw <= UInt64(remaining), minBytesEach == 0 || Int(raw) <= remaining / minBytesEach else {
            let needed = raw > UInt64(Int.max / max(minBytesEach, 1)) ? Int.max : Int(raw) * max(minBytesEach, 1)
            throw GGUFError.truncated(what: what(), offset: offset, needed: needed, fileSize: bytes.count)
        }
        return Int(raw)
    }

    /// A GGUF string: u64 byte length, then UTF-8 bytes (invalid sequences become U+FFFD).
    mutating func readString(_ what: @autoclosure () -> String) throws -> String {
        let length = try readCount(minBytesEach: 1, what())
        let slice = UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset + length)])
        offset += length
        return String(decoding: slice, as: UTF8.self)
    }

    mutating func skip(to newOffset: Int, _ what: @autoclosure () -> String) throws {
        try require(newOffset - offset, for: what())
        offset = newOffset
    }
}
