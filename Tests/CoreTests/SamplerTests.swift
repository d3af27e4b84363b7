import Core
import Testing

/// Vectors from CPython 3.11's `random` module (`random.Random(seed)`), hardcoded after
/// running python3, so the Swift generator is checked draw for draw.
@Suite("CPython-compatible sampler")
struct SamplerTests {
    @Test("seed 0, randint(0, 266992) x 6 (CFSP.md vector)")
    func seedZeroVector() throws {
        var generator = CPythonRandom(seed: 0)
        let draws = try (0..<6).map { _ in try generator.randint(0, 266_992) }
        #expect(draws == [201_979, 220_500, 21_225, 135_746, 254_766, 212_302])
    }

    @Test("seed 1234, randint(0, 1000) x 6 (CFSP.md vector)")
    func seed1234Vector() throws {
        var generator = CPythonRandom(seed: 1234)
        let draws = try (0..<6).map { _ in try generator.randint(0, 1000) }
        #expect(draws == [989, 796, 451, 119, 7, 92])
    }

    /// `r = random.Random(seed)`, then `[r.randint(0, 1000) for _ in range(4)]`,
    /// `r.getrandbits(40)`, `r.getrandbits(64)`, `r.getrandbits(100)`, `r.random()`,
    /// `r.randint(-5, 5)`, `r.randint(7, 7)`, `r.randint(0, 2**62)`.
    struct Vector: Sendable, CustomTestStringConvertible {
        var seed: Int
        var randints: [Int]
        var bits40: UInt64
        var bits64: UInt64
        var bits100Low64: UInt64
        var unit: Double
        var small: Int
        var wide: Int
        var testDescription: String { "seed \(seed)" }
    }

    static let vectors: [Vector] = [
        Vector(seed: 0, randints: [864, 394, 776, 911], bits40: 44_756_014_165, bits64: 17_809_683_713_383_489_082,
               bits100Low64: 8963783824838420066, unit: 0.7837985890347726, small: -1,
               wide: 2_599_495_322_613_281_050),
        Vector(seed: 42, randints: [654, 114, 25, 759], bits40: 267_469_214_295, bits64: 2_574_020_394_472_462_046,
               bits100Low64: 1890702223848595625, unit: 0.8921795677048454,
               small: -4, wide: 274_830_864_303_712_499),
        Vector(seed: -7, randints: [331, 970, 154, 404], bits40: 54_335_349_840, bits64: 15_149_836_622_520_594_227,
               bits100Low64: 1736392818365009963, unit: 0.057998924774706806,
               small: 3, wide: 792_723_338_049_442_008),
        Vector(seed: 1_099_511_627_781, randints: [516, 529, 275, 679], bits40: 34_040_994_016,
               bits64: 13_990_771_555_713_216_969,
               bits100Low64: 15389504867515374616, unit: 0.9087180551936407,
               small: -5, wide: 1_234_630_920_162_228_398),
    ]

    @Test("randint, getrandbits (k <= 64 and k > 64), random() match CPython", arguments: vectors)
    func matchesCPython(vector: Vector) throws {
        var generator = CPythonRandom(seed: vector.seed)
        #expect(try (0..<4).map { _ in try generator.randint(0, 1000) } == vector.randints)
        #expect(generator.getrandbits(40) == vector.bits40)
        #expect(generator.getrandbits(64) == vector.bits64)
        let words = generator.getrandbitsWords(100)
        #expect(words.count == 4)
        #expect(words[3] < 16, "the top word keeps only 100 - 96 = 4 bits")
        #expect(UInt64(words[0]) | (UInt64(words[1]) << 32) == vector.bits100Low64)
        #expect(generator.random() == vector.unit)
        #expect(try generator.randint(-5, 5) == vector.small)
        #expect(try generator.randint(7, 7) == 7)
        #expect(try generator.randint(0, 1 << 62) == vector.wide)
    }

    @Test("getrandbits(100) words of seed 0 match CPython exactly")
    func wideGetrandbitsWords() {
        var generator = CPythonRandom(seed: 0)
        for _ in 0..<4 { _ = try? generator.randint(0, 1000) }
        _ = generator.getrandbits(40)
        _ = generator.getrandbits(64)
        // 1141276462758851372969594381922 in 32-bit words, least significant first.
        #expect(generator.getrandbitsWords(100) == [2_195_908_194, 2_087_043_557, 1_739_178_872, 14])
    }

    @Test("seeds wider than 64 bits, given as 32-bit words")
    func bigSeeds() throws {
        // random.Random(2**64 + 3)
        var wide = CPythonRandom(seedWords: [3, 0, 1])
        #expect(try (0..<4).map { _ in try wide.randint(0, 1000) } == [934, 508, 944, 101])
        // random.Random(2**100 + 12345); trailing zero words change nothing.
        var wider = CPythonRandom(seedWords: [12345, 0, 0, 16, 0])
        #expect(try (0..<4).map { _ in try wider.randint(0, 1000) } == [455, 66, 309, 610])
    }

    @Test("getrandbits(k) for k <= 32 keeps the top k bits of one draw")
    func smallGetrandbits() {
        // random.Random(5); [r.getrandbits(k) for k in (1, 5, 31, 32, 33)]
        var generator = CPythonRandom(seed: 5)
        let draws = [1, 5, 31, 32, 33].map { generator.getrandbits($0) }
        #expect(draws == [1, 8, 1_592_975_436, 1_539_898_300, 7_710_297_655])
    }

    @Test("randint(5, 5) consumes draws like CPython (loops until a 0 bit)")
    func singletonRangeKeepsStreamInStep() throws {
        // random.Random(0): [r.randint(5, 5) for _ in range(3)], then r.getrandbits(8) == 66
        var generator = CPythonRandom(seed: 0)
        #expect(try (0..<3).map { _ in try generator.randint(5, 5) } == [5, 5, 5])
        #expect(generator.getrandbits(8) == 66)
    }

    @Test("an empty range is a typed error")
    func emptyRange() throws {
        var generator = CPythonRandom(seed: 0)
        #expect(throws: DataError.emptyRange(lower: 3, upper: 2)) { try generator.randint(3, 2) }
        #expect(throws: DataError.invalidRange(lower: Int.min, upper: Int.max)) { try generator.randint(Int.min, Int.max) }
        // The widest ranges that fit: 2^63 values, drawn with 64-bit getrandbits.
        // random.Random(0): r.randint(0, 2**63 - 1), r.randint(-2**63, 0)
        var fresh = CPythonRandom(seed: 0)
        #expect(try fresh.randint(0, Int.max) == 7_106_521_602_475_165_645)
        #expect(try fresh.randint(Int.min, 0) == -8_476_567_021_450_259_371)
    }

    @Test("calibration window starts match random.seed(3); randint(0, 5000 - 1024 - 1) x 5")
    func calibrationStarts() throws {
        let starts = try CalibrationWindows.starts(tokenCount: 5000, windowLength: 1024, count: 5, seed: 3)
        #expect(starts == [974, 2427, 2229, 534, 1515])
        let seedZero = try CalibrationWindows.starts(tokenCount: 266_992 + 1024 + 1, windowLength: 1024, count: 6, seed: 0)
        #expect(seedZero == [201_979, 220_500, 21_225, 135_746, 254_766, 212_302])
    }

    @Test("calibration windows slice the tokens at the starts")
    func calibrationWindows() throws {
        let tokens = Array(0..<5000)
        let windows = try CalibrationWindows.windows(of: tokens, windowLength: 1024, count: 2, seed: 3)
        #expect(windows.count == 2)
        #expect(windows[0] == Array(974..<(974 + 1024)))
        #expect(windows[1] == Array(2427..<(2427 + 1024)))
        // Smallest text that fits: one possible start.
        #expect(try CalibrationWindows.starts(tokenCount: 9, windowLength: 8, count: 3, seed: 1) == [0, 0, 0])
    }

    @Test("too few tokens or bad parameters are typed errors")
    func calibrationErrors() {
        #expect(throws: DataError.tooFewTokens(tokenCount: 8, windowLength: 8)) {
            try CalibrationWindows.starts(tokenCount: 8, windowLength: 8, count: 1, seed: 0)
        }
        #expect(throws: DataError.self) { try CalibrationWindows.starts(tokenCount: 100, windowLength: 0, count: 1, seed: 0) }
        #expect(throws: DataError.self) { try CalibrationWindows.starts(tokenCount: 100, windowLength: 8, count: -1, seed: 0) }
        let message = DataError.tooFewTokens(tokenCount: 8, windowLength: 8).description
        #expect(message.contains("8 tokens"))
    }
}
