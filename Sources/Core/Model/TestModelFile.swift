import Foundation

/// Writes a tiny seeded LLaMA with a real byte-level BPE tokenizer to disk, so daemon tests,
/// clients and editor plugins can drive a genuine model file that loads and runs in milliseconds.
///
/// The vocabulary is the 256 GPT-2 byte symbols (ids 0-255, in byte order), the tokens of a
/// handful of English merges, and `<|endoftext|>` (a control token, also BOS and EOS).
public enum TestModelFile {
    /// The merge rules, in rank order; each adds the joined pair as a token.
    public static let merges = ["t h", "th e", "Ġ t", "Ġt h", "Ġth e", "i n", "a n", "e r"]
    /// The end-of-text token, last in the vocabulary.
    public static let endOfText = "<|endoftext|>"

    /// Every token text in id order.
    public static var tokens: [String] {
        ByteLevelAlphabet.scalarForByte.map { String(Character($0)) }
            + merges.map { $0.replacingOccurrences(of: " ", with: "") }
            + [endOfText]
    }

    /// The vocabulary size of the test model.
    public static var vocabularySize: Int { 256 + merges.count + 1 }

    /// The model's shape: two blocks, hidden 32, four heads (two KV), FFN 48, context 128.
    public static var config: LlamaConfig {
        LlamaConfig.tiny(layers: 2, hidden: 32, heads: 4, kvHeads: 2, ffn: 48, vocab: vocabularySize, context: 128)
    }

    /// The GGUF `tokenizer.*` entries describing the vocabulary.
    public static func tokenizerEntries() -> [GGUFMetadataEntry] {
        let list = tokens
        let types = list.indices.map { $0 == list.count - 1 ? 3 : 1 }
        let eot = UInt32(list.count - 1)
        return [
            GGUFMetadataEntry("tokenizer.ggml.model", .string("gpt2")),
            GGUFMetadataEntry("tokenizer.ggml.pre", .string("gpt2")),
            GGUFMetadataEntry("tokenizer.ggml.tokens", .array(.string, list.map(GGUFValue.string))),
            GGUFMetadataEntry("tokenizer.ggml.token_type", .array(.int32, types.map { .int32(Int32($0)) })),
            GGUFMetadataEntry("tokenizer.ggml.merges", .array(.string, merges.map(GGUFValue.string))),
            GGUFMetadataEntry("tokenizer.ggml.bos_token_id", .uint32(eot)),
            GGUFMetadataEntry("tokenizer.ggml.eos_token_id", .uint32(eot)),
        ]
    }

    /// A Hugging Face `tokenizer.json` for the same vocabulary.
    public static func tokenizerJSON() throws -> Data {
        let list = tokens
        var vocab: [String: Int] = [:]
        for (id, text) in list.dropLast().enumerated() { vocab[text] = id }
        let root: [String: Any] = [
            "version": "1.0",
            "normalizer": NSNull(),
            "pre_tokenizer": ["type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": true],
            "added_tokens": [["id": list.count - 1, "content": endOfText, "special": true]],
            "model": ["type": "BPE", "vocab": vocab, "merges": merges, "ignore_merges": false],
        ]
        return try JSONSerialization.data(withJSONObject: root, options: [.sortedKeys])
    }

    /// Writes the model to `path`: a `.gguf` file (`format == .gguf`) or a Hugging Face folder.
    /// - Throws: the writers' errors (an existing destination without `overwrite`, I/O failures).
    public static func write(to path: String, format: ModelFormat, seed: UInt64, overwrite: Bool = false) throws {
        let model = try LlamaModel.random(config: config, seed: seed)
        let scratch = FileManager.default.temporaryDirectory
            .appendingPathComponent("cfsp-test-model-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        switch format {
        case .gguf:
            let carrier = scratch.appendingPathComponent("tokenizer.gguf").path
            try GGUFWriter.write(
                metadata: [GGUFMetadataEntry("general.architecture", .string("llama"))] + tokenizerEntries(),
                tensors: [], to: carrier)
            try GGUFExporter.export(
                model, to: path, source: try GGUFFile(path: carrier), name: "cfsp-test-model", overwrite: overwrite)
        case .huggingFace:
            let tokenizerPath = scratch.appendingPathComponent("tokenizer.json")
            try tokenizerJSON().write(to: tokenizerPath)
            try HuggingFaceExporter.export(
                model, to: path, tokenizer: .folder(tokenizerJSONPath: tokenizerPath.path, specialTokens: SpecialTokenIDs()),
                overwrite: overwrite)
        }
    }
}
