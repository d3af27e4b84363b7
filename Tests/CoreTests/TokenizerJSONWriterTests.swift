import Core
import Foundation
import Testing
import TestSupport

/// A tiny SentencePiece vocabulary as GGUF stores it: specials, all 256 byte tokens, characters
/// and pieces whose scores fall in merge order (as SentencePiece BPE scores do).
func writerSentencePieceMetadata(addSpacePrefix: Bool?, addBOS: Bool? = nil) -> GGUFTokenizerMetadata {
    var tokens = ["<pad>", "<eos>", "<bos>", "<unk>", "<start_of_turn>", "  "]
    var types = [3, 3, 3, 2, 3, 4]
    var scores: [Float] = [0, 0, 0, 0, 0, 0]
    for byte in 0..<256 {
        tokens.append("<0x" + (byte < 16 ? "0" : "") + String(byte, radix: 16, uppercase: true) + ">")
        types.append(6)
        scores.append(0)
    }
    let pieces = ["▁", "a", "b", "c", "e", "h", "t", "n", "é", "\n",
                  "th", "▁t", "he", "▁th", "the", "▁the", "ab", "bc", "abc", "▁a", "▁ab", "▁▁", "▁▁▁", "en", "▁é", "nn"]
    for (rank, piece) in pieces.enumerated() {
        tokens.append(piece)
        types.append(1)
        scores.append(rank < 10 ? 0 : -Float(rank))
    }
    return GGUFTokenizerMetadata(
        model: "llama", preTokenizer: "default", tokens: tokens, tokenTypes: types, scores: scores,
        bosTokenID: 2, eosTokenID: 1, unknownTokenID: 3, paddingTokenID: 0, addBOSToken: addBOS,
        chatTemplate: "{{ bos_token }}{% for m in messages %}{{ m['content'] }}{% endfor %}", addSpacePrefix: addSpacePrefix)
}

/// A tiny byte-level BPE vocabulary (the 256 byte symbols, merges, control tokens).
func writerByteLevelMetadata(pre: String) -> GGUFTokenizerMetadata {
    let merges = ["Ġ t", "h e", "Ġt he", "Ġ Ġ", "i n", "1 2", "Ġ 1", "Ã ©"]
    let extra = ["Ġt", "he", "Ġthe", "ĠĠ", "in", "12", "Ġ1", "Ã©", "<|im_start|>", "<|im_end|>", "<think>"]
    let tokens = byteLevelVocabulary(extra)
    var types = [Int](repeating: 1, count: tokens.count)
    types[tokens.count - 3] = 3
    types[tokens.count - 2] = 3
    types[tokens.count - 1] = 4
    return GGUFTokenizerMetadata(
        model: "gpt2", preTokenizer: pre, tokens: tokens, merges: merges, tokenTypes: types,
        bosTokenID: tokens.count - 3, eosTokenID: tokens.count - 2, addBOSToken: false)
}

/// Texts that exercise spaces, digits, specials, bytes without pieces and long runs.
func writerSampleTexts(seed: UInt64) -> [String] {
    var random = TestRandom(seed: seed)
    let fixed = ["the then", " the  the   end", "abc ab bc", "12 123 1 2", "<|im_start|>user\nhi<|im_end|>",
                 "<bos>abé<eos>", "<start_of_turn>the", "a  b   c    d", "日本語 🙂 é", "\t\n\n x", "", " ", "nnnn en"]
    return fixed + (0..<150).map { _ in random.unicodeString(maxLength: 24) + " the ab" }
}

/// The parsed JSON object of `bytes`.
private func object(_ bytes: [UInt8]) throws -> [String: Any] {
    try #require(try JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any])
}

@Suite("TokenizerJSONWriter")
struct TokenizerJSONWriterTests {
    @Test("SentencePiece from GGUF: the written tokenizer.json encodes every text to the score-merge ids",
          arguments: [Bool?.none, true, false])
    func sentencePieceRoundTrip(addSpacePrefix: Bool?) throws {
        let meta = writerSentencePieceMetadata(addSpacePrefix: addSpacePrefix)
        let fromGGUF = try makeTokenizer(metadata: meta)
        let bytes = try TokenizerJSONWriter.json(for: meta)
        let fromJSON = try makeTokenizer(tokenizerJSON: Data(bytes), bosTokenID: 2, eosTokenID: 1)
        #expect(fromJSON is SentencePieceTokenizer)
        for text in writerSampleTexts(seed: 3) {
            #expect(fromJSON.encode(text) == fromGGUF.encode(text), "\(text.debugDescription)")
        }
        let root = try object(bytes)
        let normalizer = try #require(root["normalizer"] as? [String: Any])
        #expect((normalizer["type"] as? String) == ((addSpacePrefix ?? true) ? "Sequence" : "Replace"),
                "a ▁ is prepended unless add_space_prefix is false (llama.cpp's default is true)")
        let model = try #require(root["model"] as? [String: Any])
        #expect(model["byte_fallback"] as? Bool == true && model["unk_token"] as? String == "<unk>")
        let merges = try #require(model["merges"] as? [[String]])
        // Best score first: "th" (-10) is the first merge; every way of cutting a piece is listed.
        #expect(merges.first == ["t", "h"])
        #expect(merges.contains(["▁", "▁▁"]) && merges.contains(["▁▁", "▁"]))
        #expect(merges.firstIndex(of: ["▁", "t"])! < merges.firstIndex(of: ["▁t", "h"])!)
        // GGUF says add_bos_token is absent: llama.cpp's SentencePiece default adds BOS.
        let post = try #require(root["post_processor"] as? [String: Any])
        #expect(post["type"] as? String == "TemplateProcessing")
    }

    @Test("SentencePiece: control, unknown and user-defined tokens become added tokens")
    func addedTokens() throws {
        let meta = writerSentencePieceMetadata(addSpacePrefix: false, addBOS: false)
        let root = try object(try TokenizerJSONWriter.json(for: meta))
        let added = try #require(root["added_tokens"] as? [[String: Any]])
        let summary = added.map { ($0["id"] as? Int ?? -1, $0["content"] as? String ?? "", $0["special"] as? Bool ?? false) }
        #expect(summary.map(\.0) == [0, 1, 2, 3, 4, 5])
        #expect(summary.map(\.2) == [true, true, true, true, true, false], "user-defined \"  \" is not special")
        #expect(added.allSatisfy { $0["normalized"] as? Bool == false })
        #expect(root["post_processor"] is NSNull, "add_bos_token false: nothing is added")
    }

    @Test("byte-level BPE from GGUF: the written tokenizer.json encodes every text to the same ids",
          arguments: ["gpt-2", "smollm", "llama-bpe"])
    func byteLevelRoundTrip(pre: String) throws {
        let meta = writerByteLevelMetadata(pre: pre)
        let fromGGUF = try makeTokenizer(metadata: meta)
        let bytes = try TokenizerJSONWriter.json(for: meta)
        let fromJSON = try makeTokenizer(tokenizerJSON: Data(bytes))
        #expect(fromJSON is BPETokenizer)
        for text in writerSampleTexts(seed: 5) {
            #expect(fromJSON.encode(text) == fromGGUF.encode(text), "\(pre): \(text.debugDescription)")
        }
        let root = try object(bytes)
        let model = try #require(root["model"] as? [String: Any])
        #expect(model["unk_token"] is NSNull, "a byte without a token is dropped, as llama.cpp drops it")
        #expect(model["ignore_merges"] as? Bool == (pre == "llama-bpe"))
        #expect((model["merges"] as? [[String]])?.first == ["Ġ", "t"])
        let preTokenizer = String(decoding: try JSONSerialization.data(withJSONObject: root["pre_tokenizer"]!), as: UTF8.self)
        #expect(preTokenizer.contains("Digits") == (pre == "smollm"))
        #expect(preTokenizer.contains("Split") == (pre == "llama-bpe"))
        #expect(root["normalizer"] is NSNull)
        let added = try #require(root["added_tokens"] as? [[String: Any]])
        #expect(added.map { $0["special"] as? Bool } == [true, true, false])
    }

    @Test("Tokens that share a text cannot be written (tokenizer.json's vocabulary is keyed by text)")
    func duplicateTexts() {
        var meta = writerByteLevelMetadata(pre: "gpt-2")
        meta.tokens[meta.tokens.count - 1] = "<|im_end|>"
        #expect(throws: TokenizerError.self) { try TokenizerJSONWriter.json(for: meta) }
        #expect(throws: TokenizerError.unsupportedModel("bert")) {
            try TokenizerJSONWriter.json(for: GGUFTokenizerMetadata(model: "bert", tokens: ["a"]))
        }
    }

    @Test("JSON strings escape quotes, backslashes and control characters")
    func escaping() throws {
        var meta = writerByteLevelMetadata(pre: "gpt-2")
        meta.tokens[meta.tokens.count - 1] = "<\"\\\u{01}\t>"
        let bytes = try TokenizerJSONWriter.json(for: meta)
        let root = try object(bytes)
        let added = try #require(root["added_tokens"] as? [[String: Any]])
        #expect(added.last?["content"] as? String == "<\"\\\u{01}\t>")
    }
}
