import Core
import Testing
import TestSupport

@Suite("SeededGenerator")
struct SeededGeneratorTests {
    @Test("Core's SeededGenerator and the tests' TestRandom draw the same SplitMix64 stream", arguments: [0, 7, 0xFFFF_FFFF_FFFF_FFFF] as [UInt64])
    func sameStream(seed: UInt64) {
        var library = SeededGenerator(seed: seed)
        var tests = TestRandom(seed: seed)
        #expect((0..<1000).map { _ in library.next() } == (0..<1000).map { _ in tests.next() })
    }
}
