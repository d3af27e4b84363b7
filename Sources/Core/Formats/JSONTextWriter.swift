/// Appends JSON text to a byte buffer: the writer of files too large to build as `String`s
/// piece by piece (a 262,144-token `tokenizer.json` is 30 MB). The caller supplies the structure
/// (`raw` for punctuation and literals); strings are escaped as RFC 8259 requires, everything
/// else passes through as UTF-8.
struct JSONTextWriter {
    private(set) var bytes: [UInt8] = []

    init(capacity: Int = 0) {
        bytes.reserveCapacity(capacity)
    }

    /// Appends `text` unchanged (punctuation, numbers, `null`, pre-rendered JSON).
    mutating func raw(_ text: String) {
        bytes.append(contentsOf: text.utf8)
    }

    /// Appends `text` as a JSON string literal: quotes, backslashes and control characters escaped.
    mutating func string(_ text: String) {
        bytes.append(UInt8(ascii: "\""))
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""): bytes.append(contentsOf: [0x5C, 0x22])
            case UInt8(ascii: "\\"): bytes.append(contentsOf: [0x5C, 0x5C])
            case 0x0A: bytes.append(contentsOf: [0x5C, UInt8(ascii: "n")])
            case 0x0D: bytes.append(contentsOf: [0x5C, UInt8(ascii: "r")])
            case 0x09: bytes.append(contentsOf: [0x5C, UInt8(ascii: "t")])
            case 0..<0x20:
                let hex = Array("0123456789abcdef".utf8)
                bytes.append(contentsOf: [0x5C, UInt8(ascii: "u"), 0x30, 0x30, hex[Int(byte >> 4)], hex[Int(byte & 15)]])
            default: bytes.append(byte)
            }
        }
        bytes.append(UInt8(ascii: "\""))
    }

    /// Appends `"key": `.
    mutating func key(_ key: String) {
        string(key)
        raw(": ")
    }

    /// Appends an optional string, or `null`.
    mutating func stringOrNull(_ text: String?) {
        if let text { string(text) } else { raw("null") }
    }

    /// `text` as a JSON string literal (for building small documents as `String`s).
    static func literal(_ text: String) -> String {
        var writer = JSONTextWriter()
        writer.string(text)
        return String(decoding: writer.bytes, as: UTF8.self)
    }
}
