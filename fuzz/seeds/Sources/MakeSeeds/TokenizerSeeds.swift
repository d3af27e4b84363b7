import Core
import Foundation

/// Seeds of the tokenizer.json harness (each style cfsp reads), and the small tokenizers the
/// GGUF seeds carry.
enum TokenizerSeeds {
    /// The SentencePiece vocabulary of the Gemma-style seeds: unknown, BOS, EOS, a byte token,
    /// the space mark and a few pieces with their merges.
    static let pieces = ["<unk>", "<s>", "</s>", "<0x0A>", "<0x41>", "\u{2581}", "t", "h", "e", "\u{2581}t", "he", "\u{2581}the",
                         "c", "a", "at", "\u{2581}c", "\u{2581}cat"]
    static let pieceMerges = ["\u{2581} t", "h e", "\u{2581}t he", "a t", "\u{2581} c", "\u{2581}c at"]

    /// GGUF `tokenizer.*` entries for the seed of `family`, and their vocabulary size (nil: none).
    static func ggufTokenizer(for family: String) throws -> (entries: [GGUFMetadataEntry], vocab: Int)? {
        switch family {
        case "llama", "qwen2":
            return (TestModelFile.tokenizerEntries(), TestModelFile.vocabularySize)
        case "gemma3":
            let types: [Int32] = pieces.indices.map { $0 == 0 ? 2 : $0 < 3 ? 3 : $0 < 5 ? 6 : 1 }
            let entries = [
                GGUFMetadataEntry("tokenizer.ggml.model", .string("llama")),
                GGUFMetadataEntry("tokenizer.ggml.tokens", .array(.string, pieces.map(GGUFValue.string))),
                GGUFMetadataEntry("tokenizer.ggml.scores", .array(.float32, pieces.indices.map { .float32(-Float($0)) })),
                GGUFMetadataEntry("tokenizer.ggml.token_type", .array(.int32, types.map(GGUFValue.int32))),
                GGUFMetadataEntry("tokenizer.ggml.unknown_token_id", .uint32(0)),
                GGUFMetadataEntry("tokenizer.ggml.bos_token_id", .uint32(1)),
                GGUFMetadataEntry("tokenizer.ggml.eos_token_id", .uint32(2)),
                GGUFMetadataEntry("tokenizer.ggml.add_bos_token", .bool(true)),
                GGUFMetadataEntry("tokenizer.ggml.add_space_prefix", .bool(false)),
            ]
            return (entries, pieces.count)
        default:
            return nil
        }
    }

    static func write(into corpus: SeedCorpus) throws {
        try corpus.clear("tokenizer-json")
        var seeds: [(String, Data)] = [("byte-level-gpt2", try TestModelFile.tokenizerJSON())]
        seeds.append(("byte-level-llama3", try json(byteLevelLlama3())))
        seeds.append(("sentencepiece-replace", try json(sentencePiece(spacing: [
            "normalizer": ["type": "Sequence", "normalizers": [
                ["type": "Prepend", "prepend": "\u{2581}"],
                ["type": "Replace", "pattern": ["String": " "], "content": "\u{2581}"],
            ]],
            "pre_tokenizer": NSNull(),
        ]))))
        seeds.append(("sentencepiece-metaspace", try json(sentencePiece(spacing: [
            "normalizer": NSNull(),
            "pre_tokenizer": ["type": "Metaspace", "replacement": "\u{2581}", "prepend_scheme": "first", "split": false],
        ]))))
        for (name, data) in seeds {
            _ = try makeTokenizer(tokenizerJSON: data).encode("the cat\n")
            try corpus.write("tokenizer-json", "\(name).json", data)
        }
    }

    /// Llama 3 style: the test model's byte vocabulary, merges as pairs, Split with the Llama 3
    /// regex and individual digits, then ByteLevel without its own regex.
    static func byteLevelLlama3() throws -> [String: Any] {
        var root = try JSONSerialization.jsonObject(with: try TestModelFile.tokenizerJSON()) as! [String: Any]
        var model = root["model"] as! [String: Any]
        model["merges"] = TestModelFile.merges.map { $0.split(separator: " ").map(String.init) }
        model["ignore_merges"] = true
        root["model"] = model
        root["pre_tokenizer"] = ["type": "Sequence", "pretokenizers": [
            ["type": "Digits", "individual_digits": true],
            ["type": "Split", "pattern": ["Regex": SplitPattern.llama3.regex], "behavior": "Isolated", "invert": false],
            ["type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": false],
        ]]
        return root
    }

    /// Gemma / Llama 2 style with byte fallback; `spacing` gives the normalizer and pre-tokenizer.
    static func sentencePiece(spacing: [String: Any]) -> [String: Any] {
        var vocab: [String: Int] = [:]
        for (id, piece) in pieces.enumerated() { vocab[piece] = id }
        var root: [String: Any] = [
            "version": "1.0",
            "added_tokens": [
                ["id": 0, "content": "<unk>", "special": true], ["id": 1, "content": "<s>", "special": true],
                ["id": 2, "content": "</s>", "special": true],
            ],
            "model": ["type": "BPE", "vocab": vocab, "merges": pieceMerges, "unk_token": "<unk>", "byte_fallback": true,
                      "fuse_unk": true],
        ]
        root.merge(spacing) { $1 }
        return root
    }

    static func json(_ object: [String: Any]) throws -> Data {
        try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
    }
}
