import Core
import Foundation
import Testing
import TestSupport

/// Why the SmolLM2 tokenizer arrays could not be obtained; the message says what to set up.
struct TokenizerFixtureError: Error, CustomStringConvertible {
    let description: String
}

/// The tokenizer arrays of the GGUF model, as `dump_gguf_tokenizer.py` writes them.
struct DumpedTokenizerArrays: Decodable {
    let model: String
    let pre: String
    let tokens: [String]
    let merges: [String]
    let token_types: [Int32]?
    let bos_token_id: Int32?
    let eos_token_id: Int32?
    let unknown_token_id: Int32?
    let padding_token_id: Int32?

    func makeTokenizer() throws -> BPETokenizer {
        try BPETokenizer(
            tokens: tokens, merges: merges, tokenTypes: token_types, pre: pre,
            bosTokenID: bos_token_id, eosTokenID: eos_token_id,
            unknownTokenID: unknown_token_id, paddingTokenID: padding_token_id, model: model)
    }
}

/// The repository root, found from this file's path (Tests/CoreTests/<file>).
func tokenizerTestsRepositoryRoot() -> URL {
    URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
}

/// The tokenizer metadata of the GGUF at `$CFSP_MODEL`, dumped to JSON by the committed Python
/// script (Tests/CoreTests/Scripts/dump_gguf_tokenizer.py).
func loadSmolLM2TokenizerArrays() throws -> DumpedTokenizerArrays {
    let environment = ProcessInfo.processInfo.environment
    guard let model = environment["CFSP_MODEL"], !model.isEmpty else {
        throw TokenizerFixtureError(description: "CFSP_MODEL is not set: point it at SmolLM2-135M-Instruct.Q4_1.gguf (e.g. /root/.cache/cfsp/models/SmolLM2-135M-Instruct.Q4_1.gguf)")
    }
    guard FileManager.default.fileExists(atPath: model) else {
        throw TokenizerFixtureError(description: "CFSP_MODEL=\(model) does not exist")
    }
    let script = tokenizerTestsRepositoryRoot().appendingPathComponent("Tests/CoreTests/Scripts/dump_gguf_tokenizer.py")
    let folder = try ScratchFolder()
    try TestProcess.python(script.path, [model, folder.file("tokenizer.json")])
    return try JSONDecoder().decode(DumpedTokenizerArrays.self, from: Data(contentsOf: folder.fileURL("tokenizer.json")))
}

/// The SmolLM2 tokenizer arrays, read once for the whole suite.
private let smolLM2Arrays = Result<DumpedTokenizerArrays, any Error> { try loadSmolLM2TokenizerArrays() }

/// The SmolLM2 tokenizer, built once for the whole suite.
private let smolLM2Tokenizer: Result<BPETokenizer, any Error> = Result {
    try smolLM2Arrays.get().makeTokenizer()
}

/// A Hugging Face `tokenizer.json` with the same vocabulary, merges, control tokens and
/// pre-tokenizer (Digits individual + ByteLevel) as SmolLM2's.
private func smolLM2TokenizerJSON(_ arrays: DumpedTokenizerArrays) throws -> Data {
    let encoder = JSONEncoder()
    func quoted(_ text: String) throws -> String { String(decoding: try encoder.encode(text), as: UTF8.self) }
    let vocab = try arrays.tokens.enumerated().map { "\(try quoted($0.element)): \($0.offset)" }
    let added = try arrays.tokens.enumerated().filter { arrays.token_types?[$0.offset] == 3 }.map {
        #"{"id": \#($0.offset), "content": \#(try quoted($0.element)), "special": true}"#
    }
    let merges = try arrays.merges.map(quoted)
    let text = """
        {"added_tokens": [\(added.joined(separator: ", "))], "normalizer": null,
         "pre_tokenizer": {"type": "Sequence", "pretokenizers": [{"type": "Digits", "individual_digits": true},
           {"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": true}]},
         "model": {"type": "BPE", "vocab": {\(vocab.joined(separator: ", "))}, "merges": [\(merges.joined(separator: ", "))]}}
        """
    return Data(text.utf8)
}

/// Where the tests find WikiText-2: `$CFSP_WIKITEXT` (a folder holding validation.jsonl and
/// test.jsonl), else `../shared/data/wikitext-2-raw-v1` beside the checkout (or beside a git
/// worktree's parent). Tests that need it carry `.needsWikiText`, so a user's clone without the
/// data reports them as not run, by name, with the reason; CI always has the data.
enum WikiText2 {
    static let folder: URL? = {
        let root = tokenizerTestsRepositoryRoot()
        var candidates = ["../shared/data", "../../shared/data"].map {
            root.appendingPathComponent($0).appendingPathComponent("wikitext-2-raw-v1").standardizedFileURL
        }
        if let override = ProcessInfo.processInfo.environment["CFSP_WIKITEXT"], !override.isEmpty {
            candidates.insert(URL(fileURLWithPath: override), at: 0)
        }
        return candidates.first { FileManager.default.fileExists(atPath: $0.appendingPathComponent("test.jsonl").path) }
    }()

    static let missing = "WikiText-2 not found: set CFSP_WIKITEXT to a folder with validation.jsonl and test.jsonl, or put ../shared/data beside the checkout"
}

extension Trait where Self == ConditionTrait {
    /// Runs the test only where WikiText-2 is found, saying why it did not run elsewhere.
    static var needsWikiText: Self { .enabled(if: WikiText2.folder != nil, Comment(rawValue: WikiText2.missing)) }
}

/// The WikiText-2 raw split `name` (test, validation), its records' `text` fields joined by `separator`.
func tokenizerWikiText2(_ name: String, joinedBy separator: String) throws -> String {
    struct Record: Decodable { let text: String }
    guard let folder = WikiText2.folder else { throw TokenizerFixtureError(description: WikiText2.missing) }
    let file = folder.appendingPathComponent("\(name).jsonl")
    let decoder = JSONDecoder()
    let lines = try String(contentsOf: file, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: true)
    return try lines.map { try decoder.decode(Record.self, from: Data($0.utf8)).text }.joined(separator: separator)
}

@Suite("TokenizerIntegration")
struct TokenizerIntegration {
    @Test("SmolLM2 reference prompts encode to llama.cpp / Hugging Face ids", arguments: [
        ("The capital of France is", [504, 3575, 282, 4649, 314] as [Int32]),
        ("Hello world, this is a test.", [19556, 905, 28, 451, 314, 253, 1028, 30]),
        ("In 1984, 12345 people paid $3.50 each.",
         [788, 216, 33, 41, 40, 36, 28, 216, 33, 34, 35, 36, 37, 701, 5940, 1885, 35, 30, 37, 32, 971, 30]),
        ("naïve café — ünïcödé 日本語 🙂",
         [3546, 46494, 37366, 1841, 5549, 137, 94, 25972, 83, 7466, 84, 2756, 17097, 241, 115, 40993, 179, 120, 248, 47526]),
    ])
    func referencePrompts(text: String, expected: [Int32]) throws {
        let tokenizer = try smolLM2Tokenizer.get()
        let ids = tokenizer.encode(text)
        #expect(ids == expected)
        #expect(try tokenizer.decode(ids) == text)
    }

    @Test("SmolLM2 vocabulary metadata")
    func metadata() throws {
        let tokenizer = try smolLM2Tokenizer.get()
        #expect(tokenizer.tokenCount == 49152)
        #expect(tokenizer.mergeCount == 48900)
        #expect(tokenizer.bosTokenID == 1)
        #expect(tokenizer.eosTokenID == 2)
        #expect(tokenizer.preTokenizer == PreTokenizer(pattern: .gpt2, isolatesDigits: true))
    }

    @Test("Chat-template special tokens are matched whole")
    func chatTemplate() throws {
        let tokenizer = try smolLM2Tokenizer.get()
        let ids = tokenizer.encode("<|im_start|>user\nHi<|im_end|>\n")
        #expect(ids.first == 1)
        #expect(ids.contains(2))
        #expect(try tokenizer.decode(ids) == "<|im_start|>user\nHi<|im_end|>\n")
        #expect(try tokenizer.decode(ids, skippingSpecialTokens: true) == "user\nHi\n")
    }

    @Test("WikiText-2 test split: 304,978 tokens, quickly", .needsWikiText)
    func wikiTextTest() throws {
        let tokenizer = try smolLM2Tokenizer.get()
        let text = try tokenizerWikiText2("test", joinedBy: "\n\n")
        let clock = ContinuousClock()
        var ids: [Int32] = []
        let elapsed = clock.measure { ids = tokenizer.encode(text) }
        #expect(ids.count == 304_978)
        #expect(Array(ids.prefix(8)) == [1116, 446, 6356, 389, 9226, 352, 446, 38028])
        #expect(elapsed < .seconds(3), "encoding 1.3 MB took \(elapsed)")
        #expect(try tokenizer.decode(ids) == text)
    }

    @Test("The same vocabulary as tokenizer.json gives the same ids", .needsWikiText)
    func tokenizerJSONPath() throws {
        let arrays = try smolLM2Arrays.get()
        let tokenizer = try BPETokenizer(tokenizerJSON: smolLM2TokenizerJSON(arrays), bosTokenID: 1, eosTokenID: 2)
        #expect(tokenizer.tokenCount == 49152)
        #expect(tokenizer.encode("In 1984, 12345 people paid $3.50 each.")
            == [788, 216, 33, 41, 40, 36, 28, 216, 33, 34, 35, 36, 37, 701, 5940, 1885, 35, 30, 37, 32, 971, 30])
        let reference = try smolLM2Tokenizer.get()
        let sample = try String(tokenizerWikiText2("validation", joinedBy: " ").prefix(100_000)) + "<|im_start|>"
        #expect(tokenizer.encode(sample) == reference.encode(sample))
    }

    @Test("WikiText-2 validation split: 268,017 tokens", .needsWikiText)
    func wikiTextValidation() throws {
        let tokenizer = try smolLM2Tokenizer.get()
        let text = try tokenizerWikiText2("validation", joinedBy: " ")
        #expect(tokenizer.encode(text).count == 268_017)
    }
}
