import Testing

/// A seeded SplitMix64 generator for the tokenizer tests: reproducible inputs without Foundation.
struct TokenizerTestRandom {
    private var state: UInt64

    init(seed: UInt64) {
        state = seed
    }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var mixed = state
        mixed = (mixed ^ (mixed >> 30)) &* 0xBF58_476D_1CE4_E5B9
        mixed = (mixed ^ (mixed >> 27)) &* 0x94D0_49BB_1331_11EB
        return mixed ^ (mixed >> 31)
    }

    mutating func below(_ bound: Int) -> Int {
        Int(next() % UInt64(bound))
    }

    /// A string mixing ASCII, whitespace, Latin, combining marks, CJK, emoji and other planes.
    mutating func unicodeString(maxLength: Int) -> String {
        let ranges: [ClosedRange<UInt32>] = [
            0x20...0x7E, 0x20...0x7E, 0x09...0x0D, 0xA0...0x17F, 0x300...0x36F,
            0x4E00...0x4E40, 0x1F600...0x1F64F, 0x2000...0x206F, 0x660...0x669, 0x10000...0x1007F,
        ]
        var scalars = String.UnicodeScalarView()
        for _ in 0..<(1 + below(maxLength)) {
            let range = ranges[below(ranges.count)]
            let value = range.lowerBound + UInt32(below(Int(range.upperBound - range.lowerBound) + 1))
            if let scalar = Unicode.Scalar(value) { scalars.append(scalar) }
        }
        return String(scalars)
    }
}

@Suite("TokenizerRandom")
struct TokenizerRandomTests {
    @Test("The seeded generator is reproducible and spreads its values")
    func reproducible() {
        var first = TokenizerTestRandom(seed: 5)
        var second = TokenizerTestRandom(seed: 5)
        let values = (0..<100).map { _ in first.below(10) }
        #expect(values == (0..<100).map { _ in second.below(10) })
        #expect(Set(values).count == 10)
    }
}
