/// Turns the tokens generated so far into text pieces to stream: only whole UTF-8 characters
/// are released (a character split over tokens waits for its last byte), and a tail that could
/// be the start of a stop string is held back until it is known not to be one. When a stop
/// string appears, the text ends right before it.
struct TextAssembler {
    let stopStrings: [[UInt8]]
    /// The whole text's bytes so far.
    private(set) var bytes: [UInt8] = []
    /// Bytes already released as pieces.
    private(set) var released = 0
    /// Where a stop string begins, once one has appeared.
    private(set) var stopAt: Int?

    init(stopStrings: [String]) {
        self.stopStrings = stopStrings.map { Array($0.utf8) }
    }

    /// Takes the text of every token so far; returns the new piece to release (maybe empty).
    mutating func update(_ all: [UInt8]) -> String {
        bytes = all
        let complete = Self.completeUTF8Prefix(all)
        if let at = firstStop(in: complete) {
            stopAt = at
            return release(upTo: at)
        }
        return release(upTo: complete - heldBack(endingAt: complete))
    }

    /// Releases everything left (the generation ended without a stop string).
    mutating func finish() -> String { release(upTo: stopAt ?? bytes.count) }

    /// The final text.
    var text: String { String(decoding: bytes[0..<(stopAt ?? bytes.count)], as: UTF8.self) }

    private mutating func release(upTo end: Int) -> String {
        guard end > released else { return "" }
        let piece = String(decoding: bytes[released..<end], as: UTF8.self)
        released = end
        return piece
    }

    /// The first byte offset where a stop string starts, looking only where a new match can be.
    private func firstStop(in end: Int) -> Int? {
        var best: Int?
        for stop in stopStrings where stop.count <= end {
            var i = max(0, released - stop.count + 1)
            while i + stop.count <= end {
                if bytes[i] == stop[0], bytes[i..<(i + stop.count)].elementsEqual(stop) {
                    best = min(best ?? i, i)
                    break
                }
                i += 1
            }
        }
        return best
    }

    /// The length of the longest tail of bytes[..<end] that is a proper prefix of a stop string.
    private func heldBack(endingAt end: Int) -> Int {
        var longest = 0
        for stop in stopStrings {
            var length = min(stop.count - 1, end - released)
            while length > longest {
                if bytes[(end - length)..<end].elementsEqual(stop[0..<length]) { longest = length; break }
                length -= 1
            }
        }
        return longest
    }

    /// The length of the longest prefix of `bytes` that does not end inside a UTF-8 character
    /// (invalid bytes count as complete: they decode to U+FFFD either way).
    static func completeUTF8Prefix(_ bytes: [UInt8]) -> Int {
        let n = bytes.count
        var back = 0
        // Look at most 3 bytes back for the lead byte of a character still missing bytes.
        while back < min(3, n) {
            let byte = bytes[n - 1 - back]
            if byte & 0xC0 != 0x80 {
                let needed = byte >= 0xF0 ? 4 : byte >= 0xE0 ? 3 : byte >= 0xC0 ? 2 : 1
                return needed > back + 1 ? n - 1 - back : n
            }
            back += 1
        }
        return n
    }
}
