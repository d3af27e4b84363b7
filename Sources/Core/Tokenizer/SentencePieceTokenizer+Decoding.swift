extension SentencePieceTokenizer {
    /// The text of `ids`: `▁` becomes a space, byte tokens their byte, control tokens their
    /// text (unless skipped). Where the encoder prepended a `▁` (see `spacePrefix`), the space
    /// it decodes to is removed again, so `decode(encode(text)) == text`. Byte sequences that are
    /// not valid UTF-8 (a token sequence cut inside a character) become U+FFFD.
    ///
    /// - Parameter skippingSpecialTokens: leave out control and unknown tokens (`<bos>`, ...).
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
        // Whether the next ordinary token starts a segment the encoder gave a prefix space.
        var prefixPending = spacePrefix != .none
        for id in ids {
            guard id >= 0, Int(id) < tokens.count else {
                throw TokenizerError.tokenIDOutOfRange(id: id, tokenCount: tokens.count)
            }
            let type = tokenTypes[Int(id)]
            if type.isMatchedWhole {
                prefixPending = spacePrefix == .everySegment
                if skippingSpecialTokens, type == .control || type == .unknown { continue }
                bytes.append(contentsOf: bytesForToken[Int(id)])
                continue
            }
            let piece = bytesForToken[Int(id)]
            if prefixPending, piece.first == 0x20 {
                bytes.append(contentsOf: piece.dropFirst())
            } else {
                bytes.append(contentsOf: piece)
            }
            prefixPending = false
        }
        return bytes
    }

    /// What a token decodes to: a byte token its byte, an ordinary token its text with `▁` as
    /// spaces, control, unknown and user-defined tokens their text as it is (as llama.cpp).
    static func decodedBytes(text: String, type: VocabularyTokenType) -> [UInt8] {
        switch type {
        case .byte:
            if let byte = byteValue(ofByteToken: text) { return [byte] }
            return unescapedSpaces(text)
        case .control, .unknown, .userDefined:
            return Array(text.utf8)
        case .normal, .unused:
            return unescapedSpaces(text)
        }
    }

    /// The byte of a `<0xXX>` token's text, or nil if the text is not of that form.
    static func byteValue(ofByteToken text: String) -> UInt8? {
        let utf8 = Array(text.utf8)
        guard utf8.count == 6, utf8.starts(with: Array("<0x".utf8)), utf8[5] == UInt8(ascii: ">") else { return nil }
        return UInt8(String(decoding: utf8[3..<5], as: UTF8.self), radix: 16)
    }

    private static func unescapedSpaces(_ text: String) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            if scalar == "\u{2581}" {
                bytes.append(0x20)
            } else {
                UTF8.encode(scalar) { bytes.append($0) }
            }
        }
        return bytes
    }
}
