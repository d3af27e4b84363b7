extension BPETokenizer {
    /// The token ids of `text`. Special tokens (control, user-defined) in the text become their
    /// ids; everything else is pre-tokenized and merged. No BOS/EOS is added. A byte the
    /// vocabulary has no token for becomes the unknown token (tokenizer.json with `unk_token`)
    /// or is dropped (GGUF, as llama.cpp does).
    public func encode(_ text: String) -> [Int32] {
        let scalars = Array(text.unicodeScalars)
        let classes = ScalarClass.classes(of: scalars)
        var output: [Int32] = []
        output.reserveCapacity(scalars.count / 3 + 1)
        var cache: [[UInt8]: [Int32]] = [:]
        var bytes: [UInt8] = []
        for segment in specialMatcher.segments(of: scalars) {
            switch segment {
            case .special(let id):
                output.append(id)
            case .text(let range):
                preTokenizer.split(scalars, classes, segment: range) { piece in
                    bytes.removeAll(keepingCapacity: true)
                    for index in piece {
                        UTF8.encode(scalars[index]) { bytes.append($0) }
                    }
                    if bytes.count <= Self.longestCachedPreToken {
                        if let cached = cache[bytes] {
                            output.append(contentsOf: cached)
                            return
                        }
                        let ids = mergedIDs(of: bytes)
                        cache[bytes] = ids
                        output.append(contentsOf: ids)
                    } else {
                        output.append(contentsOf: mergedIDs(of: bytes))
                    }
                }
            }
        }
        return output
    }

    /// The token ids of one pre-token's UTF-8 bytes.
    private func mergedIDs(of bytes: [UInt8]) -> [Int32] {
        if ignoresMerges {
            var text: [UInt8] = []
            for byte in bytes { text.append(contentsOf: alphabetUTF8ForByte[Int(byte)]) }
            if let id = idForText[text] { return [id] }
        }
        var symbols = bytes.map { idForByte[Int($0)] }
        // A missing byte stays as -1 while merging, which no rule matches, so it blocks merges
        // across it as in llama.cpp and Hugging Face.
        mergeTable.merge(&symbols)
        guard symbols.contains(-1) else { return symbols }
        if let missingByteReplacement {
            return symbols.map { $0 == -1 ? missingByteReplacement : $0 }
        }
        return symbols.filter { $0 != -1 }
    }
}
