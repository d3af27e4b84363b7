import Core
import Testing
import TestSupport

/// The 256 byte-level symbols (token id = byte value) followed by `extra` tokens.
func byteLevelVocabulary(_ extra: [String] = []) -> [String] {
    (0..<256).map { String(ByteLevelAlphabet.scalarForByte[$0]) } + extra
}

/// The byte token ids of `text`: what encoding gives when nothing merges.
private func byteIDs(_ text: String) -> [Int32] {
    text.utf8.map { Int32($0) }
}

@Suite("TokenizerBPE")
struct TokenizerBPETests {
    @Test("GPT-2 byte alphabet: printable bytes are themselves, the rest shift to U+0100...")
    func byteAlphabet() {
        let table = ByteLevelAlphabet.scalarForByte
        #expect(table.count == 256)
        #expect(Set(table).count == 256)
        #expect(table[0x20] == "\u{120}")  // Ġ
        #expect(table[0x0A] == "\u{10A}")  // Ċ
        #expect(table[0x00] == "\u{100}")
        #expect(table[0x41] == "A")
        #expect(table[0xAD] == "\u{143}")  // soft hyphen, the last shifted byte
        #expect(table[0xE9] == "é")
        let all = (0...255).map { UInt8($0) }
        #expect(ByteLevelAlphabet.decode(ByteLevelAlphabet.encode(all)) == all)
        #expect(ByteLevelAlphabet.encode(Array(" the".utf8)) == "Ġthe")
        #expect(ByteLevelAlphabet.decode("€") == nil)
    }

    @Test("Merges apply in rank order, not text order")
    func mergeOrder() throws {
        let tokens = byteLevelVocabulary(["ab", "bc"])
        let abFirst = try BPETokenizer(tokens: tokens, merges: ["a b", "b c"], tokenTypes: nil, pre: "gpt-2")
        #expect(abFirst.encode("abc") == [256, Int32(UInt8(ascii: "c"))])
        let bcFirst = try BPETokenizer(tokens: tokens, merges: ["b c", "a b"], tokenTypes: nil, pre: "gpt-2")
        #expect(bcFirst.encode("abc") == [Int32(UInt8(ascii: "a")), 257])
    }

    @Test("Equal-rank pairs merge leftmost first; merges build on merges")
    func mergeChains() throws {
        let tokens = byteLevelVocabulary(["aa", "he", "ll", "hell", "hello", "Ġhello"])
        let tokenizer = try BPETokenizer(
            tokens: tokens, merges: ["a a", "h e", "l l", "he ll", "hell o", "Ġ hello"], tokenTypes: nil, pre: "gpt-2")
        #expect(tokenizer.encode("aaa") == [256, 97])
        #expect(tokenizer.encode("aaaa") == [256, 256])
        #expect(tokenizer.encode("hello") == [260])
        #expect(tokenizer.encode("hello hello") == [260, 261])
        #expect(tokenizer.encode("hellx") == [259, 120])
        // Pre-tokens are merged independently: no merge crosses "hel|lo" split by a digit.
        let smol = try BPETokenizer(tokens: tokens, merges: ["a a", "h e", "l l", "he ll", "hell o"], tokenTypes: nil, pre: "smollm")
        #expect(smol.encode("he1llo") == [257, 49, 258, 111])
    }

    @Test("Special tokens are matched whole, leftmost-longest, and decode as their text")
    func specialTokens() throws {
        let tokens = byteLevelVocabulary(["<|end|>", "<|e|>", "<|end|>x"])
        var types = [Int32](repeating: 1, count: tokens.count)
        types[256] = 3
        types[257] = 3
        types[258] = 4
        let tokenizer = try BPETokenizer(tokens: tokens, merges: [], tokenTypes: types, pre: "gpt-2", eosTokenID: 256)
        #expect(tokenizer.encode("a<|end|>b") == [97, 256, 98])
        #expect(tokenizer.encode("<|e|><|end|>") == [257, 256])
        #expect(tokenizer.encode("<|end|>xy") == [258, 121])
        #expect(tokenizer.encode("<|en") == byteIDs("<|en"))
        #expect(try tokenizer.decode([97, 256, 98]) == "a<|end|>b")
        #expect(try tokenizer.decode([97, 256, 98], skippingSpecialTokens: true) == "ab")
        #expect(tokenizer.eosTokenID == 256)
    }

    @Test("Vocabulary entries are compared as bytes, not by canonical equivalence")
    func canonicalEquivalentEntries() throws {
        // Not Latin-1, so neither is also a byte symbol of the alphabet.
        let precomposed = "\u{1E31}"
        let decomposed = "k\u{301}"
        #expect(precomposed == decomposed)  // why String keys would be wrong
        let tokens = byteLevelVocabulary([precomposed, decomposed])
        var types = [Int32](repeating: 1, count: tokens.count)
        types[256] = 4
        types[257] = 4
        let tokenizer = try BPETokenizer(tokens: tokens, merges: [], tokenTypes: types, pre: "gpt-2")
        #expect(tokenizer.tokenID(forText: precomposed) == 256)
        #expect(tokenizer.tokenID(forText: decomposed) == 257)
        #expect(tokenizer.encode(precomposed) == [256])
        #expect(tokenizer.encode(decomposed) == [257])
        #expect(try tokenizer.decode([257]).unicodeScalars.elementsEqual(decomposed.unicodeScalars))
    }

    @Test("Llama-3 (ignore_merges) takes a whole pre-token found in the vocabulary")
    func ignoreMerges() throws {
        let tokens = byteLevelVocabulary(["abc"])
        let llama = try BPETokenizer(tokens: tokens, merges: [], tokenTypes: nil, pre: "llama-bpe")
        #expect(llama.ignoresMerges)
        #expect(llama.encode("abc\nabc") == [256, 10, 256])
        #expect(llama.encode(" abc") == byteIDs(" abc"))
        let gpt2 = try BPETokenizer(tokens: tokens, merges: [], tokenTypes: nil, pre: "gpt-2")
        #expect(gpt2.encode("abc") == byteIDs("abc"))
    }

    @Test("A byte without a token is dropped, as llama.cpp does")
    func missingByte() throws {
        let tokens = byteLevelVocabulary().enumerated().map { $0.offset == 4 ? "<unused>" : $0.element }
        var types = [Int32](repeating: 1, count: tokens.count)
        types[4] = 5
        let tokenizer = try BPETokenizer(tokens: tokens, merges: [], tokenTypes: types, pre: "gpt-2")
        #expect(tokenizer.encode("a\u{4}b") == [97, 98])
    }

    @Test("Decoding: out-of-range ids are errors, cut characters become U+FFFD")
    func decoding() throws {
        let tokenizer = try BPETokenizer(tokens: byteLevelVocabulary(), merges: [], tokenTypes: nil, pre: "gpt-2")
        #expect(throws: TokenizerError.tokenIDOutOfRange(id: 256, tokenCount: 256)) { try tokenizer.decode([97, 256]) }
        #expect(throws: TokenizerError.tokenIDOutOfRange(id: -1, tokenCount: 256)) { try tokenizer.decode([-1]) }
        #expect(try tokenizer.decode([0xC3]) == "\u{FFFD}")
        #expect(try tokenizer.decode([0xC3, 0xA9]) == "é")
        #expect(try tokenizer.decodedBytes([0xC3]) == [0xC3])
        #expect(tokenizer.tokenCount == 256)
    }

    @Test("Encode then decode gives back random Unicode text", arguments: ["gpt-2", "smollm", "llama-bpe"])
    func roundTrip(pre: String) throws {
        let tokens = byteLevelVocabulary(["Ġt", "he", "Ġthe", "ĠĠ", "ÃĨ", "in"])
        let tokenizer = try BPETokenizer(
            tokens: tokens, merges: ["Ġ t", "h e", "Ġt he", "Ġ Ġ", "Ã Ĩ", "i n"], tokenTypes: nil, pre: pre)
        var random = TestRandom(seed: 42)
        for _ in 0..<300 {
            let text = random.unicodeString(maxLength: 30) + " the in"
            let ids = tokenizer.encode(text)
            #expect(ids.allSatisfy { $0 >= 0 && Int($0) < tokens.count })
            #expect(ids.count <= text.utf8.count)
            #expect(try tokenizer.decode(ids).unicodeScalars.elementsEqual(text.unicodeScalars))
        }
    }

    /// Textbook BPE on strings: repeatedly merge the best-ranked adjacent pair, leftmost first.
    private func referenceBPE(_ text: String, merges: [(String, String)]) -> [String] {
        var parts = text.map { String($0) }
        while parts.count > 1 {
            var best: (rank: Int, index: Int)?
            for index in 0..<(parts.count - 1) {
                guard let rank = merges.firstIndex(where: { $0.0 == parts[index] && $0.1 == parts[index + 1] }) else { continue }
                if best == nil || rank < best!.rank { best = (rank, index) }
            }
            guard let best else { break }
            parts[best.index] += parts[best.index + 1]
            parts.remove(at: best.index + 1)
        }
        return parts
    }

    @Test("Short and long pre-tokens merge exactly as textbook BPE", arguments: [5, 40, 47, 48, 49, 120, 700])
    func mergesMatchReference(length: Int) throws {
        let merges: [(String, String)] = [
            ("a", "b"), ("b", "a"), ("a", "a"), ("ab", "a"), ("ba", "b"), ("c", "a"), ("aa", "b"),
            ("b", "b"), ("ab", "ab"), ("ca", "b"), ("aba", "b"), ("bb", "a"), ("abab", "ab"), ("c", "c"),
        ]
        var extra: [String] = []
        for (left, right) in merges where !extra.contains(left + right) { extra.append(left + right) }
        let tokens = byteLevelVocabulary(extra)
        let tokenizer = try BPETokenizer(
            tokens: tokens, merges: merges.map { "\($0.0) \($0.1)" }, tokenTypes: nil, pre: "gpt-2")
        var random = TestRandom(seed: UInt64(length))
        for _ in 0..<20 {
            let text = String((0..<length).map { _ in ["a", "b", "c"][random.int(below: 3)] as Character })
            let ids = tokenizer.encode(text)
            #expect(ids.map { tokens[Int($0)] } == referenceBPE(text, merges: merges), "\(text)")
        }
    }

    @Test("A very long run without spaces encodes quickly")
    func longPiece() throws {
        let tokenizer = try BPETokenizer(
            tokens: byteLevelVocabulary(["ab", "abab"]), merges: ["a b", "ab ab"], tokenTypes: nil, pre: "gpt-2")
        let text = String(repeating: "ab", count: 100_000)
        let clock = ContinuousClock()
        var ids: [Int32] = []
        let elapsed = clock.measure { ids = tokenizer.encode(text) }
        #expect(ids == [Int32](repeating: 257, count: 50_000))
        #expect(elapsed < .seconds(2), "200 kB piece took \(elapsed)")
    }

    @Test("Bad vocabularies are rejected with specific errors")
    func rejectedInputs() {
        let tokens = byteLevelVocabulary(["ab"])
        #expect(throws: TokenizerError.unsupportedModel("llama")) {
            try BPETokenizer(tokens: tokens, merges: [], tokenTypes: nil, pre: "gpt-2", model: "llama")
        }
        #expect(throws: TokenizerError.emptyVocabulary) {
            try BPETokenizer(tokens: [], merges: [], tokenTypes: nil, pre: "gpt-2")
        }
        #expect(throws: TokenizerError.tokenTypeCountMismatch(tokens: 257, tokenTypes: 2)) {
            try BPETokenizer(tokens: tokens, merges: [], tokenTypes: [1, 1], pre: "gpt-2")
        }
        #expect(throws: TokenizerError.specialTokenIDOutOfRange(name: "BOS", id: 300, tokenCount: 257)) {
            try BPETokenizer(tokens: tokens, merges: [], tokenTypes: nil, pre: "gpt-2", bosTokenID: 300)
        }
        #expect(throws: TokenizerError.invalidMerge(index: 1, rule: "ab", reason: "expected two texts separated by a space")) {
            try BPETokenizer(tokens: tokens, merges: ["a b", "ab"], tokenTypes: nil, pre: "gpt-2")
        }
        do {
            _ = try BPETokenizer(tokens: tokens, merges: ["a c"], tokenTypes: nil, pre: "gpt-2")
            Issue.record("a merge whose result is not in the vocabulary must be rejected")
        } catch {
            #expect("\(error)".contains("\"ac\" is not in the vocabulary"))
        }
    }
}
