/// Splits a byte stream into chunks whose sizes come from a seed, so one fuzz input also
/// chooses how the stream arrives (as reads of a socket do): seed 0 gives single bytes, other
/// seeds sizes of 1 to 64 bytes from a SplitMix64 sequence.
public struct FuzzChunks: Sequence, IteratorProtocol {
    private let bytes: UnsafeRawBufferPointer
    private var offset = 0
    private var state: UInt64
    private let singleBytes: Bool

    /// Chunks of `bytes`, sized by `seed`.
    public init(_ bytes: UnsafeRawBufferPointer, seed: UInt8) {
        self.bytes = bytes
        state = UInt64(seed) &* 0x9E37_79B9_7F4A_7C15
        singleBytes = seed == 0
    }

    /// The next chunk, or nil at the end of the stream.
    public mutating func next() -> UnsafeRawBufferPointer? {
        guard offset < bytes.count else { return nil }
        var size = 1
        if !singleBytes {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            size = 1 + Int((z ^ (z >> 31)) % 64)
        }
        let end = Swift.min(bytes.count, offset + size)
        defer { offset = end }
        return UnsafeRawBufferPointer(rebasing: bytes[offset..<end])
    }
}
