import Core
import Foundation
import Testing
import TestSupport

/// `text` as a JSON string literal (quotes, backslashes and controls escaped).
private func jsonString(_ text: String) -> String {
    var out = "\""
    for scalar in text.unicodeScalars {
        switch scalar {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        case _ where scalar.value < 0x20: out += String(format: "\\u%04x", scalar.value)
        default: out.unicodeScalars.append(scalar)
        }
    }
    return out + "\""
}

/// A small `tokenizer.json`: the 256 byte symbols (id = byte), `extra` vocabulary entries,
/// merges, added tokens and a pre-tokenizer configuration, all as raw JSON fragments.
private func tokenizerJSON(
    extra: [String] = ["ab", "bc", "abc"], replacing replacements: [Int: String] = [:], merges: String = #"["a b", "b c", "ab c"]"#,
    addedTokens: String = "[]", preTokenizer: String = #"{"type": "ByteLevel", "add_prefix_space": false, "use_regex": true}"#,
    modelExtras: String = "", normalizer: String = "null", modelType: String = "BPE"
) -> Data {
    let vocab = byteLevelVocabulary(extra).enumerated().map { "\(jsonString(replacements[$0.offset] ?? $0.element)): \($0.offset)" }
    let text = """
        {"version": "1.0", "added_tokens": \(addedTokens), "normalizer": \(normalizer),
         "pre_tokenizer": \(preTokenizer), "decoder": {"type": "ByteLevel"},
         "model": {"type": \(jsonString(modelType)), \(modelExtras) "vocab": {\(vocab.joined(separator: ", "))}, "merges": \(merges)}}
        """
    return Data(text.utf8)
}

private let smolLMPreTokenizer = #"""
    {"type": "Sequence", "pretokenizers": [
      {"type": "Digits", "individual_digits": true},
      {"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": true}]}
    """#

private let llama3Regex = #"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"#

@Suite("TokenizerJSON")
struct TokenizerJSONTests {
    @Test("A SmolLM2-style tokenizer.json gives the same tokenizer as the GGUF arrays")
    func smolLMStyle() throws {
        let added = #"[{"id": 259, "content": "<|end|>", "special": true}, {"id": 260, "content": "xyz", "special": false}]"#
        let fromJSON = try BPETokenizer(
            tokenizerJSON: tokenizerJSON(addedTokens: added, preTokenizer: smolLMPreTokenizer), eosTokenID: 259)
        #expect(fromJSON.preTokenizer == PreTokenizer(pattern: .gpt2, isolatesDigits: true))
        #expect(fromJSON.tokenCount == 261)
        #expect(fromJSON.mergeCount == 3)
        #expect(fromJSON.tokenTypes[259] == .control)
        #expect(fromJSON.tokenTypes[260] == .userDefined)
        #expect(fromJSON.eosTokenID == 259)
        #expect(fromJSON.encode("abc<|end|>xyz12") == [258, 259, 260, 49, 50])

        var types = [Int32](repeating: 1, count: 261)
        types[259] = 3
        types[260] = 4
        let fromArrays = try BPETokenizer(
            tokens: byteLevelVocabulary(["ab", "bc", "abc", "<|end|>", "xyz"]), merges: ["a b", "b c", "ab c"],
            tokenTypes: types, pre: "smollm")
        var random = TestRandom(seed: 3)
        for _ in 0..<100 {
            let text = random.unicodeString(maxLength: 20) + "abc 123<|end|>bc"
            #expect(fromJSON.encode(text) == fromArrays.encode(text))
        }
    }

    @Test("Merges may be \"a b\" strings or [a, b] pairs")
    func mergeForms() throws {
        let strings = try BPETokenizer(tokenizerJSON: tokenizerJSON(merges: #"["b c", "a b", "ab c"]"#))
        let pairs = try BPETokenizer(tokenizerJSON: tokenizerJSON(merges: #"[["b", "c"], ["a", "b"], ["ab", "c"]]"#))
        #expect(strings.encode("abc") == [97, 257])
        #expect(pairs.encode("abc") == [97, 257])
        #expect(pairs.encode("ab abc ") == strings.encode("ab abc "))
    }

    @Test("A Llama-3 style Split regex with ignore_merges")
    func llama3Style() throws {
        let pre = """
            {"type": "Sequence", "pretokenizers": [
              {"type": "Split", "pattern": {"Regex": \(jsonString(llama3Regex))}, "behavior": "Isolated", "invert": false},
              {"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": false}]}
            """
        let tokenizer = try BPETokenizer(
            tokenizerJSON: tokenizerJSON(merges: "[]", preTokenizer: pre, modelExtras: #""ignore_merges": true,"#))
        #expect(tokenizer.preTokenizer == PreTokenizer(pattern: .llama3, isolatesDigits: false))
        #expect(tokenizer.ignoresMerges)
        #expect(tokenizer.encode("abc\nabc1234") == [258, 10, 258, 49, 50, 51, 52])
    }

    @Test("JSON escapes decode, and canonically equivalent keys stay distinct")
    func escapesAndEquivalentKeys() throws {
        // \u0120 is Ġ; the emoji is a surrogate pair; U+1E31 and "k" + U+0301 are canonically equivalent.
        let added = #"""
            [{"id": 260, "content": "\ud83d\ude42", "special": true},
             {"id": 261, "content": "\u1e31", "special": false},
             {"id": 262, "content": "k\u0301", "special": false}]
            """#
        let tokenizer = try BPETokenizer(tokenizerJSON: tokenizerJSON(
            extra: ["ab", "bc", "abc", "Ġa"], merges: #"["a b", "b c", "ab c", "\u0120 a"]"#, addedTokens: added))
        #expect(tokenizer.encode(" a") == [259])
        #expect(tokenizer.tokenID(forText: "🙂") == 260)
        #expect(tokenizer.tokenID(forText: "\u{1E31}") == 261)
        #expect(tokenizer.tokenID(forText: "k\u{301}") == 262)
        #expect(tokenizer.encode("🙂k\u{301}\u{1E31}") == [260, 262, 261])
    }

    @Test("An unk_token replaces bytes the vocabulary lacks")
    func unknownToken() throws {
        let tokenizer = try BPETokenizer(tokenizerJSON: tokenizerJSON(
            replacing: [4: "<unk>"], modelExtras: #""unk_token": "<unk>","#))
        #expect(tokenizer.unknownTokenID == 4)
        #expect(tokenizer.encode("ab\u{4}c") == [256, 4, 99])
        #expect(tokenizer.encode("a\u{4}\u{4}bc") == [97, 4, 4, 257])
    }

    /// Found by fuzz/ (harness tokenizer-json): the id list was sized by the largest id before the
    /// ids were checked to be contiguous, so one added token with id 2^31 - 2 reserved 32 GiB.
    @Test("An id far past the vocabulary is refused before anything is sized by it")
    func hugeTokenID() {
        let data = tokenizerJSON(addedTokens: #"[{"id": 2147483646, "content": "<x>", "special": true}]"#)
        #expect(throws: TokenizerError.invalidTokenizerJSON("no token has id 259 (ids must be contiguous from 0 to 2147483646)")) {
            try makeTokenizer(tokenizerJSON: data)
        }
    }

    @Test("Unsupported or malformed tokenizer.json files are rejected with specific errors")
    func rejected() {
        func message(_ data: Data) -> String {
            do {
                _ = try BPETokenizer(tokenizerJSON: data)
                return "no error"
            } catch {
                return "\(error)"
            }
        }
        #expect(message(tokenizerJSON(modelType: "WordPiece")).contains("unsupported tokenizer model \"WordPiece\""))
        #expect(message(tokenizerJSON(normalizer: #"{"type": "NFC"}"#)).contains("normalizer \"NFC\""))
        let otherRegex = #"{"type": "Split", "pattern": {"Regex": "\\p{L}+"}, "behavior": "Isolated", "invert": false}"#
        #expect(message(tokenizerJSON(preTokenizer: otherRegex)).contains("is not one of the implemented patterns"))
        #expect(message(tokenizerJSON(preTokenizer: #"{"type": "Whitespace"}"#)).contains("pre-tokenizer type \"Whitespace\""))
        #expect(message(tokenizerJSON(preTokenizer: "null")).contains("pre_tokenizer is missing"))
        #expect(message(tokenizerJSON(merges: #"["a z"]"#)).contains("\"az\" is not in the vocabulary"))
        #expect(message(tokenizerJSON(addedTokens: #"[{"id": 300, "content": "<x>", "special": true}]"#)).contains("no token has id 259"))
        #expect(message(Data("{\"model\": {".utf8)).contains("invalid tokenizer.json"))
        #expect(message(Data("[1, 2]".utf8)).contains("missing the \"model\" object"))
        #expect(message(Data(#"{"model": {"vocab": {"a": 0}}}"#.utf8)).contains("model.merges"))
    }
}
