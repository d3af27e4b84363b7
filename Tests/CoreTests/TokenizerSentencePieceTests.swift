import Core
import Foundation
import Testing
import TestSupport

/// A tiny SentencePiece vocabulary: (text, GGUF token type). Ids are the positions.
private let basePieces: [(String, Int32)] = [
    ("<pad>", 3), ("<eos>", 3), ("<bos>", 3), ("<unk>", 2), ("\n", 4),
    ("<0x0A>", 6), ("<0xC3>", 6), ("<0xA9>", 6),
    ("▁", 1), ("a", 1), ("b", 1), ("c", 1), ("ab", 1), ("bc", 1), ("abc", 1), ("▁a", 1), ("▁ab", 1), ("▁▁", 1),
]

/// The id of `text` in `basePieces`.
private func id(_ text: String) -> Int32 {
    Int32(basePieces.firstIndex { $0.0 == text }!)
}

/// A GGUF-style tokenizer over `basePieces` minus `removed` (replaced by unused placeholders so
/// ids stay put), with the given scores (0 for the rest).
private func sentencePiece(
    scores: [String: Float] = [:], removed: Set<String> = [], addSpacePrefix: Bool = false, unknown: Bool = true
) throws -> SentencePieceTokenizer {
    let pieces = basePieces.enumerated().map { removed.contains($0.element.0) ? ("<removed\($0.offset)>", Int32(5)) : $0.element }
    return try SentencePieceTokenizer(
        tokens: pieces.map(\.0), scores: pieces.map { scores[$0.0] ?? 0 }, tokenTypes: pieces.map(\.1),
        addSpacePrefix: addSpacePrefix, bosTokenID: 2, eosTokenID: 1, unknownTokenID: unknown ? 3 : nil, paddingTokenID: 0)
}

/// `text` as a JSON string literal.
private func json(_ text: String) -> String {
    String(decoding: try! JSONEncoder().encode(text), as: UTF8.self)
}

/// A SentencePiece-style tokenizer.json over `basePieces`: `merges` in rank order, control and
/// user-defined pieces as added tokens.
private func sentencePieceJSON(
    merges: [(String, String)] = [("▁", "▁"), ("▁", "a"), ("a", "b"), ("b", "c"), ("ab", "c"), ("▁a", "b")],
    normalizer: String = #"{"type": "Replace", "pattern": {"String": " "}, "content": "▁"}"#,
    preTokenizer: String = "null", modelType: String = "BPE", byteFallback: Bool = true
) -> Data {
    let vocab = basePieces.enumerated().map { "\(json($0.element.0)): \($0.offset)" }
    let added = basePieces.enumerated().filter { $0.element.1 == 3 || $0.element.1 == 4 }.map {
        #"{"id": \#($0.offset), "content": \#(json($0.element.0)), "special": \#($0.element.1 == 3), "normalized": false}"#
    }
    let mergeList = merges.map { "[\(json($0.0)), \(json($0.1))]" }
    let text = """
        {"version": "1.0", "added_tokens": [\(added.joined(separator: ", "))],
         "normalizer": \(normalizer), "pre_tokenizer": \(preTokenizer),
         "model": {"type": \(json(modelType)), "unk_token": "<unk>", "fuse_unk": true, "byte_fallback": \(byteFallback),
                   "vocab": {\(vocab.joined(separator: ", "))}, "merges": [\(mergeList.joined(separator: ", "))]}}
        """
    return Data(text.utf8)
}

@Suite("TokenizerSentencePiece")
struct TokenizerSentencePieceTests {
    @Test("The pair whose merged piece scores highest merges first; ties go leftmost")
    func scoresDecide() throws {
        let withoutABC: Set<String> = ["abc"]
        #expect(try sentencePiece(scores: ["ab": -1, "bc": -2], removed: withoutABC).encode("abc") == [id("ab"), id("c")])
        #expect(try sentencePiece(scores: ["ab": -2, "bc": -1], removed: withoutABC).encode("abc") == [id("a"), id("bc")])
        #expect(try sentencePiece(removed: withoutABC).encode("abc") == [id("ab"), id("c")])
        // Either way the merged symbol and "c" (or "a" and "bc") form "abc", which is a piece.
        #expect(try sentencePiece(scores: ["ab": -2, "bc": -1, "abc": -9]).encode("abc") == [id("abc")])
    }

    @Test("Spaces become ▁; the dummy prefix is added only with add_space_prefix and removed when decoding")
    func spacePrefix() throws {
        let plain = try sentencePiece()
        #expect(plain.encode("ab") == [id("ab")])
        #expect(plain.encode(" ab") == [id("▁ab")])
        #expect(try plain.decode([id("▁ab")]) == " ab")
        let prefixed = try sentencePiece(addSpacePrefix: true)
        #expect(prefixed.spacePrefix == .everySegment)
        #expect(prefixed.encode("ab") == [id("▁ab")])
        #expect(prefixed.encode(" ab") == [id("▁▁"), id("ab")])
        for text in ["ab", " ab", "a b", "ab\nab", "<bos>ab<eos>", ""] {
            #expect(try prefixed.decode(prefixed.encode(text)) == text)
            #expect(try plain.decode(plain.encode(text)) == text)
        }
        // Every piece of text after a matched-whole token gets its own prefix (llama.cpp).
        #expect(prefixed.encode("a\nb") == [id("▁a"), id("\n"), id("▁"), id("b")])
    }

    @Test("Characters without a piece fall back to byte tokens, then to the unknown token")
    func byteFallback() throws {
        let tokenizer = try sentencePiece()
        #expect(tokenizer.encode("é") == [id("<0xC3>"), id("<0xA9>")])
        #expect(try tokenizer.decode(tokenizer.encode("abé")) == "abé")
        // U+65E5 has neither a piece nor byte tokens for all its bytes.
        #expect(tokenizer.encode("a日b") == [id("a"), id("<unk>"), id("b")])
        #expect(try sentencePiece(unknown: false).encode("a日b") == [id("a"), id("b")])
        // A byte token decodes to its byte even when alone (half a character becomes U+FFFD).
        #expect(try tokenizer.decodedBytes([id("<0xC3>"), id("<0x0A>")]) == [0xC3, 0x0A])
    }

    @Test("Control and user-defined tokens are matched whole; control tokens can be skipped")
    func specialTokens() throws {
        let tokenizer = try sentencePiece()
        let ids = tokenizer.encode("<bos>ab\nc<eos>")
        #expect(ids == [2, id("ab"), id("\n"), id("c"), 1])
        #expect(try tokenizer.decode(ids) == "<bos>ab\nc<eos>")
        #expect(try tokenizer.decode(ids, skippingSpecialTokens: true) == "ab\nc")
        #expect(tokenizer.tokenID(forText: "▁ab") == id("▁ab"))
    }

    @Test("Long texts merge in O(n log n)")
    func longText() throws {
        let ids = try sentencePiece(removed: ["abc"]).encode(String(repeating: "ab", count: 100_000))
        #expect(ids == [Int32](repeating: id("ab"), count: 100_000))
    }

    @Test("Bad vocabularies and ids are rejected with specific errors")
    func rejectedInputs() {
        #expect(throws: TokenizerError.scoreCountMismatch(tokens: 2, scores: 1)) {
            try SentencePieceTokenizer(tokens: ["a", "b"], scores: [0], tokenTypes: nil)
        }
        #expect(throws: TokenizerError.tokenTypeCountMismatch(tokens: 2, tokenTypes: 1)) {
            try SentencePieceTokenizer(tokens: ["a", "b"], scores: [], tokenTypes: [1])
        }
        #expect(throws: TokenizerError.emptyVocabulary) {
            try SentencePieceTokenizer(tokens: [], scores: [], tokenTypes: nil)
        }
        #expect(throws: TokenizerError.specialTokenIDOutOfRange(name: "BOS", id: 9, tokenCount: 2)) {
            try SentencePieceTokenizer(tokens: ["a", "b"], scores: [], tokenTypes: nil, bosTokenID: 9)
        }
        #expect(throws: TokenizerError.tokenIDOutOfRange(id: 99, tokenCount: basePieces.count)) {
            try sentencePiece().decode([99])
        }
    }

    @Test("tokenizer.json with ranked merges gives the GGUF scores' ids")
    func tokenizerJSONMatchesScores() throws {
        let fromJSON = try SentencePieceTokenizer(tokenizerJSON: sentencePieceJSON())
        #expect(fromJSON.spacePrefix == .none)
        #expect(fromJSON.unknownTokenID == 3)
        // Scores in the merges' order: an earlier merge's piece scores higher.
        let fromScores = try sentencePiece(scores: ["▁▁": -1, "▁a": -2, "ab": -3, "bc": -4, "abc": -5, "▁ab": -6])
        for text in ["abc", " ab", "  abc ab", "a\nbc", "<bos>abé<eos>", "ba  cab"] {
            #expect(fromJSON.encode(text) == fromScores.encode(text), "\(text.debugDescription)")
            #expect(try fromJSON.decode(fromJSON.encode(text)) == text)
        }
        // fuse_unk: a run of characters without pieces or byte tokens is one unknown token.
        #expect(fromJSON.encode("a日日b") == [id("a"), id("<unk>"), id("b")])
    }

    @Test("tokenizer.json: Prepend normalizer and Metaspace pre-tokenizer")
    func tokenizerJSONSpacing() throws {
        let prepend = try SentencePieceTokenizer(tokenizerJSON: sentencePieceJSON(normalizer: """
            {"type": "Sequence", "normalizers": [{"type": "Prepend", "prepend": "▁"},
              {"type": "Replace", "pattern": {"String": " "}, "content": "▁"}]}
            """))
        #expect(prepend.spacePrefix == .everySegment)
        #expect(prepend.encode("ab") == [id("▁ab")])
        #expect(prepend.encode(" ab") == [id("▁▁"), id("ab")])

        let metaspace = try SentencePieceTokenizer(tokenizerJSON: sentencePieceJSON(
            normalizer: "null",
            preTokenizer: #"{"type": "Metaspace", "replacement": "▁", "prepend_scheme": "first", "split": true}"#))
        #expect(metaspace.spacePrefix == .firstSegment)
        #expect(metaspace.splitsBeforeSpaces)
        // Split before every ▁, so "▁▁" cannot form; a text already starting with a space gets no prefix.
        #expect(metaspace.encode("ab  ab") == [id("▁ab"), id("▁"), id("▁ab")])
        #expect(metaspace.encode(" ab") == [id("▁ab")])
        #expect(metaspace.encode("<bos>ab") == [2, id("ab")])
    }

    @Test("The factories choose the tokenizer from GGUF metadata and tokenizer.json")
    func factories() throws {
        let pieces = basePieces.map(\.0)
        let llama = try makeTokenizer(metadata: GGUFTokenizerMetadata(model: "llama", tokens: pieces, tokenTypes: basePieces.map { Int($0.1) }))
        let sentencePiece = try #require(llama as? SentencePieceTokenizer)
        #expect(sentencePiece.spacePrefix == .everySegment, "llama.cpp's default without add_space_prefix")
        let gemma = try makeTokenizer(metadata: GGUFTokenizerMetadata(model: "llama", tokens: pieces, addSpacePrefix: false))
        #expect((gemma as? SentencePieceTokenizer)?.spacePrefix == SentencePieceTokenizer.SpacePrefix.none)
        let gpt2 = try makeTokenizer(metadata: GGUFTokenizerMetadata(model: "gpt2", preTokenizer: "gpt-2", tokens: byteLevelVocabulary()))
        #expect(gpt2 is BPETokenizer)
        #expect(gpt2.summary.hasPrefix("byte-level BPE, 256 tokens"))
        #expect(throws: TokenizerError.unsupportedModel("bert")) {
            try makeTokenizer(metadata: GGUFTokenizerMetadata(model: "bert", tokens: pieces))
        }
        let message = TokenizerError.unsupportedModel("bert").description
        #expect(message.contains("\"gpt2\"") && message.contains("\"llama\""))

        #expect(try makeTokenizer(tokenizerJSON: sentencePieceJSON()) is SentencePieceTokenizer)
    }

    @Test("tokenizer_config.json beside tokenizer.json names BOS, EOS and padding")
    func tokenizerConfig() throws {
        let folder = try ScratchFolder()
        try sentencePieceJSON().write(to: folder.fileURL("tokenizer.json"))
        try Data(#"{"bos_token": "<bos>", "eos_token": {"content": "<eos>"}, "pad_token": "<pad>"}"#.utf8)
            .write(to: folder.fileURL("tokenizer_config.json"))
        let tokenizer = try makeTokenizer(tokenizerJSONAt: folder.file("tokenizer.json"))
        #expect(tokenizer.bosTokenID == 2)
        #expect(tokenizer.eosTokenID == 1)
        #expect(tokenizer.paddingTokenID == 0)
        #expect(tokenizer.unknownTokenID == 3)
    }

    @Test("A tokenizer.json of another kind is refused, naming what it is")
    func unsupportedTokenizerJSON() throws {
        #expect(throws: TokenizerError.unsupportedTokenizerJSON(found: "a \"Unigram\" model")) {
            try makeTokenizer(tokenizerJSON: sentencePieceJSON(modelType: "Unigram"))
        }
        #expect(throws: TokenizerError.unsupportedTokenizerJSON(
            found: "a BPE model without byte_fallback, with normalizer NFKC and pre_tokenizer Whitespace")) {
            try makeTokenizer(tokenizerJSON: sentencePieceJSON(
                normalizer: #"{"type": "NFKC"}"#, preTokenizer: #"{"type": "Whitespace"}"#, byteFallback: false))
        }
        #expect(throws: TokenizerError.unsupportedTokenizerJSON(found: "a SentencePiece-style BPE model with normalizer \"Lowercase\"")) {
            try makeTokenizer(tokenizerJSON: sentencePieceJSON(normalizer: """
                {"type": "Sequence", "normalizers": [{"type": "Lowercase"},
                  {"type": "Replace", "pattern": {"String": " "}, "content": "▁"}]}
                """))
        }
        let message = TokenizerError.unsupportedTokenizerJSON(found: "a \"Unigram\" model").description
        #expect(message.contains("Unigram") && message.contains("byte-level BPE") && message.contains("SentencePiece"))
    }
}
