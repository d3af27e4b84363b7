import TestSupport
import Testing

@Suite("TestRandom")
struct TestRandomTests {
    @Test("draws SplitMix64's published stream for seed 0")
    func referenceStream() {
        var random = TestRandom(seed: 0)
        #expect((0..<3).map { _ in random.next() } == [0xE220_A839_7B1D_CDAF, 0x6E78_9E6A_A1B9_65F4, 0x06C4_5D18_8009_454F])
    }

    @Test("the same seed gives the same values, and they spread over the range")
    func reproducibleAndSpread() {
        var first = TestRandom(seed: 5)
        var second = TestRandom(seed: 5)
        let values = (0..<100).map { _ in first.int(below: 10) }
        #expect(values == (0..<100).map { _ in second.int(below: 10) })
        #expect(Set(values) == Set(0..<10))
    }

    @Test("unit and floats stay in their half-open ranges")
    func ranges() {
        var random = TestRandom(seed: 9)
        #expect((0..<10_000).allSatisfy { _ in (0..<1).contains(random.unit()) })
        let floats = random.floats(10_000, -4, 4)
        #expect(floats.allSatisfy { $0 >= -4 && $0 <= 4 })
        #expect(floats.min()! < -3.9 && floats.max()! > 3.9, "values fill the range")
    }
}
