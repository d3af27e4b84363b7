import Core
import Foundation
import Testing
import TestSupport

/// The Gemma 3 270M GGUF: `$CFSP_GEMMA_MODEL`, else the path scripts/fetch-gemma.sh prints
/// (it downloads and verifies the file once, then only prints the cached path).
func gemmaModelPath() throws -> String {
    if let path = ProcessInfo.processInfo.environment["CFSP_GEMMA_MODEL"], !path.isEmpty {
        guard FileManager.default.fileExists(atPath: path) else {
            throw TokenizerFixtureError(description: "CFSP_GEMMA_MODEL=\(path) does not exist")
        }
        return path
    }
    let script = tokenizerTestsRepositoryRoot().appendingPathComponent("scripts/fetch-gemma.sh")
    let output = String(
        decoding: try TestProcess.run([script.path], what: "scripts/fetch-gemma.sh (or set CFSP_GEMMA_MODEL)"), as: UTF8.self)
    guard let path = output.split(separator: "\n").last.map(String.init), FileManager.default.fileExists(atPath: path) else {
        throw TokenizerFixtureError(description: "scripts/fetch-gemma.sh printed no model path: \(output)")
    }
    return path
}

/// The folder with the tokenizer.json transformers makes from the Gemma GGUF, written by
/// Scripts/gguf_tokenizer_json.py. The conversion takes a minute or two, so the folder is kept in
/// the temporary directory, named after the model file's size and date, and reused.
private func gemmaTokenizerJSONFolder(model: String) throws -> URL {
    let attributes = try FileManager.default.attributesOfItem(atPath: model)
    let size = (attributes[.size] as? NSNumber)?.intValue ?? 0
    let date = Int((attributes[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0)
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("cfsp-gemma-tokenizer-\(size)-\(date)")
    if FileManager.default.fileExists(atPath: folder.appendingPathComponent("tokenizer.json").path) { return folder }
    let script = tokenizerTestsRepositoryRoot().appendingPathComponent("Tests/CoreTests/Scripts/gguf_tokenizer_json.py")
    try TestProcess.python(
        script.path, [model, folder.path], what: "gguf_tokenizer_json.py (needs pip install -r scripts/requirements-test.txt)")
    return folder
}

/// The Gemma tokenizer read from the GGUF's metadata, built once for the whole suite.
private let gemmaFromGGUF: Result<any TextTokenizer, any Error> = Result {
    try makeTokenizer(gguf: GGUFFile(path: gemmaModelPath()))
}

/// The Gemma tokenizer read from transformers' tokenizer.json of the same GGUF.
private let gemmaFromTokenizerJSON: Result<any TextTokenizer, any Error> = Result {
    let folder = try gemmaTokenizerJSONFolder(model: try gemmaModelPath())
    return try makeTokenizer(tokenizerJSONAt: folder.appendingPathComponent("tokenizer.json").path)
}

/// WikiText-2 test encoded by the GGUF tokenizer, once.
private let gemmaWikiTextTest: Result<(text: String, ids: [Int32]), any Error> = Result {
    let text = try tokenizerWikiText2("test", joinedBy: "\n\n")
    return (text, try gemmaFromGGUF.get().encode(text))
}

@Suite("TokenizerGemmaIntegration")
struct TokenizerGemmaIntegration {
    /// Figures from transformers 5 on the same GGUF (`add_special_tokens=False`).
    static let referencePrompts: [(String, [Int32])] = [
        ("The capital of France is", [818, 5279, 529, 7001, 563]),
        ("Hello world, this is a test.", [9259, 1902, 236764, 672, 563, 496, 1594, 236761]),
        ("In 1984, 12345 people paid $3.50 each.",
         [902, 236743, 236770, 236819, 236828, 236812, 236764, 236743, 236770, 236778, 236800, 236812, 236810,
          1331, 6382, 609, 236800, 236761, 236810, 236771, 1546, 236761]),
        ("naïve café — ünïcödé 日本語 🙂",
         [1789, 238527, 560, 33443, 2192, 174898, 238527, 236755, 55515, 236859, 33375, 238582, 57235]),
        ("<start_of_turn>user\nHi<end_of_turn>\n", [105, 2364, 107, 10979, 106, 107]),
        ("  two  spaces ", [138, 13498, 138, 35220, 236743]),
    ]

    @Test("GGUF tokenizer: reference prompts encode to transformers' ids and decode back",
          arguments: referencePrompts)
    func ggufReferencePrompts(text: String, expected: [Int32]) throws {
        let tokenizer = try gemmaFromGGUF.get()
        let ids = tokenizer.encode(text)
        #expect(ids == expected)
        #expect(try tokenizer.decode(ids) == text)
    }

    @Test("tokenizer.json tokenizer: the same ids and texts", arguments: referencePrompts)
    func tokenizerJSONReferencePrompts(text: String, expected: [Int32]) throws {
        let tokenizer = try gemmaFromTokenizerJSON.get()
        let ids = tokenizer.encode(text)
        #expect(ids == expected)
        #expect(try tokenizer.decode(ids) == text)
    }

    @Test("Vocabulary and special tokens from both sources")
    func metadata() throws {
        for tokenizer in [try gemmaFromGGUF.get(), try gemmaFromTokenizerJSON.get()] {
            #expect(tokenizer is SentencePieceTokenizer)
            #expect(tokenizer.tokenCount == 262_144)
            #expect(tokenizer.bosTokenID == 2)
            #expect(tokenizer.eosTokenID == 1)
            #expect(tokenizer.unknownTokenID == 3)
            #expect(tokenizer.paddingTokenID == 0)
            #expect(tokenizer.summary.hasPrefix("SentencePiece, 262144 tokens"))
        }
        let gguf = try #require(try gemmaFromGGUF.get() as? SentencePieceTokenizer)
        #expect(gguf.spacePrefix == .none)
    }

    @Test("Control tokens are matched whole and can be skipped when decoding")
    func controlTokens() throws {
        let tokenizer = try gemmaFromGGUF.get()
        let ids = tokenizer.encode("<bos><start_of_turn>user\nHi<end_of_turn>\n")
        #expect(ids == [2, 105, 2364, 107, 10979, 106, 107])
        #expect(try tokenizer.decode(ids, skippingSpecialTokens: true) == "user\nHi\n")
    }

    @Test("WikiText-2 test split: 292,282 tokens that decode back to the text", .needsWikiText)
    func wikiTextTest() throws {
        let (text, ids) = try gemmaWikiTextTest.get()
        #expect(ids.count == 292_282)
        #expect(Array(ids.prefix(8)) == [108, 578, 9877, 151936, 589, 578, 236743, 111])
        #expect(try gemmaFromGGUF.get().decode(ids) == text)
    }

    @Test("WikiText-2 test split: tokenizer.json gives the GGUF's ids", .needsWikiText)
    func wikiTextTestFromTokenizerJSON() throws {
        let (text, ids) = try gemmaWikiTextTest.get()
        let fromJSON = try gemmaFromTokenizerJSON.get().encode(text)
        #expect(fromJSON.count == ids.count)
        let firstDifference = zip(fromJSON, ids).enumerated().first { $0.element.0 != $0.element.1 }?.offset
        #expect(firstDifference == nil, "first difference at token \(firstDifference ?? -1)")
    }
}
