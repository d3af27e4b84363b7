extension SentencePieceTokenizer {
    /// The token ids of `text`. Control, user-defined and unknown tokens written in the text
    /// become their ids; each piece of text between them has its spaces replaced by `▁` (and a
    /// `▁` prepended, per `spacePrefix`) and is merged. No BOS/EOS is added.
    public func encode(_ text: String) -> [Int32] {
        let scalars = Array(text.unicodeScalars)
        var output: [Int32] = []
        output.reserveCapacity(scalars.count / 3 + 1)
        var scratch = Scratch()
        for segment in specialMatcher.segments(of: scalars) {
            switch segment {
            case .special(let id):
                output.append(id)
            case .text(let range):
                var prefixed = spacePrefix == .everySegment || (spacePrefix == .firstSegment && range.lowerBound == 0)
                if prefixOnlyWithoutLeadingSpace, scalars[range.lowerBound] == " " { prefixed = false }
                scratch.load(scalars[range], prefixed: prefixed)
                encodeLoaded(&scratch, into: &output)
            }
        }
        return output
    }

    /// One segment's escaped UTF-8 and where each of its characters starts, reused across
    /// segments.
    struct Scratch {
        var bytes: [UInt8] = []
        /// Character starts in `bytes`, then `bytes.count`.
        var starts: [Int32] = []
        var merger = SentencePieceScoreMerger()
        var symbols: [Int32] = []
        var unmatched: [Range<Int>] = []

        mutating func load(_ scalars: ArraySlice<Unicode.Scalar>, prefixed: Bool) {
            bytes.removeAll(keepingCapacity: true)
            starts.removeAll(keepingCapacity: true)
            if prefixed {
                starts.append(0)
                bytes.append(contentsOf: SentencePieceTokenizer.spaceMarkUTF8)
            }
            for scalar in scalars {
                starts.append(Int32(bytes.count))
                if scalar == " " {
                    bytes.append(contentsOf: SentencePieceTokenizer.spaceMarkUTF8)
                } else {
                    UTF8.encode(scalar) { bytes.append($0) }
                }
            }
            starts.append(Int32(bytes.count))
        }
    }

    /// The UTF-8 of `▁` (U+2581), SentencePiece's visible space.
    static let spaceMarkUTF8: [UInt8] = [0xE2, 0x96, 0x81]

    private func encodeLoaded(_ scratch: inout Scratch, into output: inout [Int32]) {
        let characterCount = scratch.starts.count - 1
        var pieceStart = 0
        for character in 0..<characterCount {
            if splitsBeforeSpaces, character > pieceStart, scratch.startsWithSpaceMark(character) {
                encodePiece(&scratch, characters: pieceStart..<character, into: &output)
                pieceStart = character
            }
        }
        if pieceStart < characterCount {
            encodePiece(&scratch, characters: pieceStart..<characterCount, into: &output)
        }
    }

    private func encodePiece(_ scratch: inout Scratch, characters: Range<Int>, into output: inout [Int32]) {
        switch merging {
        case .scores(let scores):
            let bytes = scratch.bytes
            let starts = scratch.starts
            bytes.withUnsafeBufferPointer { bytes in
                starts.withUnsafeBufferPointer { starts in
                    scores.withUnsafeBufferPointer { scores in
                        let characterStarts = UnsafeBufferPointer(rebasing: starts[characters.lowerBound...characters.upperBound])
                        scratch.merger.merge(
                            bytes: bytes, characterStarts: characterStarts, vocabulary: vocabulary, scores: scores
                        ) { start, size in
                            let symbol = UnsafeBufferPointer(rebasing: bytes[start..<(start + size)])
                            if let id = vocabulary.id(of: symbol) {
                                output.append(id)
                            } else {
                                appendFallback(for: symbol, into: &output, afterUnknown: false)
                            }
                        }
                    }
                }
            }
        case .ranks(let table):
            let bytes = scratch.bytes
            let starts = scratch.starts
            var symbols = scratch.symbols
            var unmatched = scratch.unmatched
            symbols.removeAll(keepingCapacity: true)
            unmatched.removeAll(keepingCapacity: true)
            bytes.withUnsafeBufferPointer { bytes in
                for character in characters {
                    let range = Int(starts[character])..<Int(starts[character + 1])
                    if let id = vocabulary.id(of: UnsafeBufferPointer(rebasing: bytes[range])) {
                        symbols.append(id)
                    } else {
                        // No rule names -1, so an unmatched character blocks merges across it.
                        symbols.append(-1)
                        unmatched.append(range)
                    }
                }
                table.merge(&symbols)
                var nextUnmatched = 0
                var lastWasUnknown = false
                for symbol in symbols {
                    if symbol >= 0 {
                        output.append(symbol)
                        lastWasUnknown = false
                    } else {
                        let range = unmatched[nextUnmatched]
                        nextUnmatched += 1
                        lastWasUnknown = appendFallback(
                            for: UnsafeBufferPointer(rebasing: bytes[range]), into: &output, afterUnknown: lastWasUnknown)
                    }
                }
            }
            scratch.symbols = symbols
            scratch.unmatched = unmatched
        }
    }

    /// Appends what a symbol without a token becomes: its bytes' `<0xXX>` tokens when every
    /// byte has one (and byte fallback is on), else the unknown token (once for a run of them
    /// when `fusesUnknown`), else nothing. Returns whether the unknown token was used.
    @discardableResult
    private func appendFallback(for symbol: UnsafeBufferPointer<UInt8>, into output: inout [Int32], afterUnknown: Bool) -> Bool {
        if usesByteFallback, symbol.allSatisfy({ idForByte[Int($0)] >= 0 }) {
            for byte in symbol { output.append(idForByte[Int(byte)]) }
            return false
        }
        guard let unknownTokenID else { return false }
        if !(fusesUnknown && afterUnknown) { output.append(unknownTokenID) }
        return true
    }
}

extension SentencePieceTokenizer.Scratch {
    /// Whether character `index` is the `▁` space mark.
    func startsWithSpaceMark(_ index: Int) -> Bool {
        let start = Int(starts[index])
        return Int(starts[index + 1]) - start == 3
            && bytes[start] == 0xE2 && bytes[start + 1] == 0x96 && bytes[start + 2] == 0x81
    }
}
