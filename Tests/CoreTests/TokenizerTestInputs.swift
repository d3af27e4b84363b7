import TestSupport

extension TestRandom {
    /// A string mixing ASCII, whitespace, Latin, combining marks, CJK, emoji and other planes.
    mutating func unicodeString(maxLength: Int) -> String {
        let ranges: [ClosedRange<UInt32>] = [
            0x20...0x7E, 0x20...0x7E, 0x09...0x0D, 0xA0...0x17F, 0x300...0x36F,
            0x4E00...0x4E40, 0x1F600...0x1F64F, 0x2000...0x206F, 0x660...0x669, 0x10000...0x1007F,
        ]
        var scalars = String.UnicodeScalarView()
        for _ in 0..<(1 + int(below: maxLength)) {
            let range = ranges[int(below: ranges.count)]
            let value = range.lowerBound + UInt32(int(below: Int(range.upperBound - range.lowerBound) + 1))
            if let scalar = Unicode.Scalar(value) { scalars.append(scalar) }
        }
        return String(scalars)
    }
}
