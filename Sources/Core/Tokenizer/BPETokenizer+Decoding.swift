extension BPETokenizer {
    /// The text of `ids`; byte sequences that are not valid UTF-8 (a token sequence cut inside a
    /// character) become U+FFFD.
    ///
    /// - Parameter skippingSpecialTokens: leave out control tokens (`<|im_end|>`, ...).
    /// - Throws: `TokenizerError.tokenIDOutOfRange` for an id outside the vocabulary.
    public func decode(_ ids: [Int32], skippingSpecialTokens: Bool = false) throws -> String {
        String(decoding: try decodedBytes(ids, skippingSpecialTokens: skippingSpecialTokens), as: UTF8.self)
    }

    /// The raw bytes of `ids`, for callers that stream partial characters.
    ///
    /// - Throws: `TokenizerError.tokenIDOutOfRange` for an id outside the vocabulary.
    public func decodedBytes(_ ids: [Int32], skippingSpecialTokens: Bool = false) throws -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(ids.count * 4)
        for id in ids {
            guard id >= 0, Int(id) < tokens.count else {
                throw TokenizerError.tokenIDOutOfRange(id: id, tokenCount: tokens.count)
            }
            if skippingSpecialTokens, tokenTypes[Int(id)] == .control { continue }
            bytes.append(contentsOf: bytesForToken[Int(id)])
        }
        return bytes
    }
}
