/// Token texts -> ids, looked up by a range of UTF-8 bytes without building a `String` or an
/// `Array` per lookup (the SentencePiece merge asks for every adjacent pair of symbols).
///
/// Texts are compared as bytes, so canonically equivalent but distinct entries stay distinct;
/// when two ids share a text the lower id wins. An open-addressing table over one buffer.
struct VocabularyIndex: Sendable {
    /// Every text's UTF-8, concatenated in id order.
    private let storage: [UInt8]
    /// Where text `id` starts in `storage`; `offsets[id + 1]` is where it ends.
    private let offsets: [Int]
    /// Hash slots: -1 when empty, else an id.
    private let slots: [Int32]
    private let mask: Int

    init(texts: [String]) {
        var storage: [UInt8] = []
        var offsets: [Int] = [0]
        offsets.reserveCapacity(texts.count + 1)
        for text in texts {
            storage.append(contentsOf: text.utf8)
            offsets.append(storage.count)
        }
        var capacity = 16
        while capacity < 2 * texts.count { capacity *= 2 }
        var slots = [Int32](repeating: -1, count: capacity)
        let mask = capacity - 1
        storage.withUnsafeBufferPointer { bytes in
            for id in texts.indices {
                let text = UnsafeBufferPointer(rebasing: bytes[offsets[id]..<offsets[id + 1]])
                var slot = Self.hash(text) & mask
                while slots[slot] != -1 {
                    let other = Int(slots[slot])
                    if Self.equal(text, UnsafeBufferPointer(rebasing: bytes[offsets[other]..<offsets[other + 1]])) { break }
                    slot = (slot + 1) & mask
                }
                if slots[slot] == -1 { slots[slot] = Int32(id) }
            }
        }
        self.storage = storage
        self.offsets = offsets
        self.slots = slots
        self.mask = mask
    }

    /// The id whose text is exactly `bytes`, or nil.
    @inline(__always)
    func id(of bytes: UnsafeBufferPointer<UInt8>) -> Int32? {
        var slot = Self.hash(bytes) & mask
        return storage.withUnsafeBufferPointer { all in
            while true {
                let id = slots[slot]
                if id == -1 { return nil }
                let start = offsets[Int(id)], end = offsets[Int(id) + 1]
                if end - start == bytes.count,
                   Self.equal(bytes, UnsafeBufferPointer(rebasing: all[start..<end])) { return id }
                slot = (slot + 1) & mask
            }
        }
    }

    /// The id whose text is exactly `text` (compared as UTF-8 bytes), or nil.
    func id(ofText text: String) -> Int32? {
        var text = text
        return text.withUTF8 { id(of: $0) }
    }

    /// FNV-1a over the bytes, then a multiply-shift to spread the low bits.
    @inline(__always)
    private static func hash(_ bytes: UnsafeBufferPointer<UInt8>) -> Int {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in bytes {
            h = (h ^ UInt64(byte)) &* 0x0000_0100_0000_01B3
        }
        h = (h ^ (h >> 29)) &* 0xBF58_476D_1CE4_E5B9
        return Int(truncatingIfNeeded: h ^ (h >> 32))
    }

    @inline(__always)
    private static func equal(_ a: UnsafeBufferPointer<UInt8>, _ b: UnsafeBufferPointer<UInt8>) -> Bool {
        guard a.count == b.count else { return false }
        for i in 0..<a.count where a[i] != b[i] { return false }
        return true
    }
}
