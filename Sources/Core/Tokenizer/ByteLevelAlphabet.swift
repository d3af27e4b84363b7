/// The GPT-2 byte-level alphabet: a reversible map from the 256 byte values to printable Unicode
/// scalars, so every byte sequence can be written as vocabulary text.
///
/// Printable Latin-1 bytes (`!`..`~`, `¡`..`¬`, `®`..`ÿ`) map to themselves; the other 68 bytes
/// (controls, space, DEL, NBSP, soft hyphen) map in byte order to U+0100, U+0101, ... — so a space
/// is `Ġ` (U+0120) and a newline is `Ċ` (U+010A).
public enum ByteLevelAlphabet {
    /// The scalar for each byte value, indexed by the byte.
    public static let scalarForByte: [Unicode.Scalar] = {
        var table = [Unicode.Scalar](repeating: " ", count: 256)
        var next: UInt32 = 0x100
        for byte in 0..<256 {
            if isPrintedAsItself(UInt8(byte)) {
                table[byte] = Unicode.Scalar(UInt8(byte))
            } else {
                // 0x100 + n stays far below the surrogate range, so the scalar always exists.
                table[byte] = Unicode.Scalar(next) ?? " "
                next += 1
            }
        }
        return table
    }()

    /// The byte for a scalar of the alphabet, or nil when the scalar is not one of the 256.
    public static func byte(for scalar: Unicode.Scalar) -> UInt8? {
        let value = scalar.value
        if value < 256 {
            return isPrintedAsItself(UInt8(value)) ? UInt8(value) : nil
        }
        guard value >= 0x100, value < 0x100 + 68 else { return nil }
        return nonPrintedBytes[Int(value - 0x100)]
    }

    /// The vocabulary text of a byte string (what `Ġthe` is to `" the"`).
    public static func encode(_ bytes: some Sequence<UInt8>) -> String {
        var scalars = String.UnicodeScalarView()
        for byte in bytes { scalars.append(scalarForByte[Int(byte)]) }
        return String(scalars)
    }

    /// The bytes a vocabulary text stands for, or nil if it has a scalar outside the alphabet.
    public static func decode(_ text: String) -> [UInt8]? {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.unicodeScalars.count)
        for scalar in text.unicodeScalars {
            guard let byte = byte(for: scalar) else { return nil }
            bytes.append(byte)
        }
        return bytes
    }

    private static func isPrintedAsItself(_ byte: UInt8) -> Bool {
        (0x21...0x7E).contains(byte) || (0xA1...0xAC).contains(byte) || (0xAE...0xFF).contains(byte)
    }

    /// The bytes that are not printed as themselves, in order (their scalars are U+0100 + index).
    private static let nonPrintedBytes: [UInt8] = (0...255).map { UInt8($0) }.filter { !isPrintedAsItself($0) }
}
