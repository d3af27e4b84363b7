/// CPython's `random.Random`: the MT19937 generator seeded and drawn from exactly as CPython
/// does, so calibration windows match the reference implementations' `random.seed(seed)` /
/// `random.randint(...)` draw for draw.
public struct CPythonRandom: Sendable {
    private static let stateSize = 624
    private static let shiftSize = 397

    private var state = [UInt32](repeating: 0, count: 624)
    private var index = 624

    /// `random.seed(seed)` for an int: MT19937's `init_by_array` with the 32-bit words of
    /// `abs(seed)`, least significant first (`[0]` for zero).
    public init(seed: Int) {
        let magnitude = seed.magnitude
        var words: [UInt32] = [UInt32(truncatingIfNeeded: magnitude)]
        if magnitude >> 32 != 0 { words.append(UInt32(truncatingIfNeeded: magnitude >> 32)) }
        self.init(seedWords: words)
    }

    /// `random.seed(n)` for an arbitrarily large non-negative `n` given as its 32-bit words,
    /// least significant first. Leading zero words are ignored as CPython does.
    public init(seedWords: [UInt32]) {
        var key = seedWords
        while key.count > 1, key.last == 0 { key.removeLast() }
        if key.isEmpty { key = [0] }
        initialize(seed: 19_650_218)
        let n = Self.stateSize
        var i = 1, j = 0
        for _ in 0..<max(n, key.count) {
            let previous = state[i - 1] ^ (state[i - 1] >> 30)
            state[i] = (state[i] ^ (previous &* 1_664_525)) &+ key[j] &+ UInt32(j)
            i += 1
            j += 1
            if i >= n { state[0] = state[n - 1]; i = 1 }
            if j >= key.count { j = 0 }
        }
        for _ in 0..<(n - 1) {
            let previous = state[i - 1] ^ (state[i - 1] >> 30)
            state[i] = (state[i] ^ (previous &* 1_566_083_941)) &- UInt32(i)
            i += 1
            if i >= n { state[0] = state[n - 1]; i = 1 }
        }
        state[0] = 0x8000_0000
        index = n
    }

    /// MT19937 `init_genrand`.
    private mutating func initialize(seed: UInt32) {
        state[0] = seed
        for i in 1..<Self.stateSize {
            state[i] = 1_812_433_253 &* (state[i - 1] ^ (state[i - 1] >> 30)) &+ UInt32(i)
        }
        index = Self.stateSize
    }

    /// The next 32 random bits (`genrand_uint32`).
    public mutating func nextUInt32() -> UInt32 {
        if index >= Self.stateSize { twist() }
        var y = state[index]
        index += 1
        y ^= y >> 11
        y ^= (y << 7) & 0x9D2C_5680
        y ^= (y << 15) & 0xEFC6_0000
        y ^= y >> 18
        return y
    }

    private mutating func twist() {
        let n = Self.stateSize, m = Self.shiftSize
        for k in 0..<n {
            let y = (state[k] & 0x8000_0000) | (state[(k + 1) % n] & 0x7FFF_FFFF)
            state[k] = state[(k + m) % n] ^ (y >> 1) ^ (y & 1 == 0 ? 0 : 0x9908_B0DF)
        }
        index = 0
    }

    /// `random.getrandbits(k)` as 32-bit words, least significant first: one draw per word,
    /// the last (most significant) keeping only its top `k mod 32` bits, as CPython does.
    public mutating func getrandbitsWords(_ k: Int) -> [UInt32] {
        guard k > 0 else { return [] }
        var words: [UInt32] = []
        var remaining = k
        while remaining > 0 {
            var word = nextUInt32()
            if remaining < 32 { word >>= UInt32(32 - remaining) }
            words.append(word)
            remaining -= 32
        }
        return words
    }

    /// `random.getrandbits(k)` for `k` in 0...64 (larger `k` are clamped to 64; use
    /// `getrandbitsWords` for those).
    public mutating func getrandbits(_ k: Int) -> UInt64 {
        let words = getrandbitsWords(min(max(k, 0), 64))
        var value: UInt64 = 0
        for (position, word) in words.enumerated() { value |= UInt64(word) << (32 * UInt64(position)) }
        return value
    }

    /// CPython's `_randbelow(n)`: draws `getrandbits(n.bit_length())` until the value is below
    /// `n` (for `n == 1` that loops until a 0 bit, as CPython does). Returns 0 without drawing
    /// for `n == 0`, where CPython would raise.
    public mutating func randbelow(_ n: UInt64) -> UInt64 {
        guard n > 0 else { return 0 }
        let bits = 64 - n.leadingZeroBitCount
        var value = getrandbits(bits)
        while value >= n { value = getrandbits(bits) }
        return value
    }

    /// `random.randint(lower, upper)`: a uniform integer in `lower...upper`, drawn as CPython
    /// draws it. Throws `DataError.emptyRange` when `lower > upper`.
    public mutating func randint(_ lower: Int, _ upper: Int) throws -> Int {
        guard lower <= upper else { throw DataError.emptyRange(lower: lower, upper: upper) }
        // upper - lower is exact in UInt64 (two's complement wrap-around) since lower <= upper.
        let span = UInt64(bitPattern: Int64(upper &- lower))
        guard span < UInt64.max else { throw DataError.invalidRange(lower: lower, upper: upper) }
        return lower &+ Int(truncatingIfNeeded: randbelow(span + 1))
    }

    /// `random.random()`: a double in [0, 1) from 53 random bits.
    public mutating func random() -> Double {
        let high = Double(nextUInt32() >> 5), low = Double(nextUInt32() >> 6)
        return (high * 67_108_864.0 + low) * (1.0 / 9_007_199_254_740_992.0)
    }
}
