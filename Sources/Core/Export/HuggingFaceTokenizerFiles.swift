import Foundation

/// The special token ids an HF export records in `config.json` and `generation_config.json`.
public struct SpecialTokenIDs: Sendable, Equatable {
    public var bos: Int32?
    public var eos: Int32?
    public var padding: Int32?

    /// Ids from their values (nil: the model has no such token).
    public init(bos: Int32? = nil, eos: Int32? = nil, padding: Int32? = nil) {
        self.bos = bos
        self.eos = eos
        self.padding = padding
    }

    /// The ids `tokenizer` knows.
    public init(_ tokenizer: any TextTokenizer) {
        self.init(bos: tokenizer.bosTokenID, eos: tokenizer.eosTokenID, padding: tokenizer.paddingTokenID)
    }

    /// The config.json / generation_config.json fields: `bos_token_id`, `eos_token_id`,
    /// `pad_token_id`, for the ids known.
    var fields: [(String, String)] {
        [("bos_token_id", bos), ("eos_token_id", eos), ("pad_token_id", padding)].compactMap { key, id in
            id.map { (key, String($0)) }
        }
    }
}

/// Where an HF export's tokenizer comes from.
public enum HuggingFaceTokenizerSource: Sendable {
    /// The tokenizer metadata of the GGUF file the model was loaded from: `tokenizer.json`,
    /// `tokenizer_config.json` and `generation_config.json` are built from it.
    case gguf(GGUFTokenizerMetadata)
    /// The `tokenizer.json` of the Hugging Face folder the model was loaded from: it is copied
    /// with the tokenizer files beside it (`HuggingFaceTokenizerFiles.carriedFiles`);
    /// `specialTokens` go to config.json (and to a generation_config.json the source lacks).
    case folder(tokenizerJSONPath: String, specialTokens: SpecialTokenIDs)
}

/// The tokenizer files of an HF export, and the special token ids they imply.
enum HuggingFaceTokenizerFiles {
    /// The files copied from a source folder when present, besides `tokenizer.json`.
    static let carriedFiles = [
        "tokenizer_config.json", "special_tokens_map.json", "generation_config.json", "tokenizer.model", "chat_template.jinja",
    ]

    /// The files to write and the special ids, for a model of `contextLength` positions.
    /// - Throws: `TokenizerError` when a GGUF tokenizer cannot be written as tokenizer.json.
    static func files(for source: HuggingFaceTokenizerSource, contextLength: Int) throws
        -> (files: [HuggingFaceFolderFile], specialTokens: SpecialTokenIDs) {
        switch source {
        case .gguf(let meta):
            let tokenizer = try makeTokenizer(metadata: meta)
            let ids = SpecialTokenIDs(tokenizer)
            return ([
                .contents(name: "tokenizer.json", bytes: try TokenizerJSONWriter.json(for: meta)),
                .contents(name: "tokenizer_config.json", bytes: Array(tokenizerConfig(meta, tokenizer, contextLength: contextLength).utf8)),
                .contents(name: "generation_config.json", bytes: Array(generationConfig(ids).utf8)),
            ], ids)
        case .folder(let tokenizerJSONPath, let ids):
            let folder = (tokenizerJSONPath as NSString).deletingLastPathComponent
            var files: [HuggingFaceFolderFile] = [.copy(name: "tokenizer.json", from: tokenizerJSONPath)]
            for name in carriedFiles {
                let path = (folder as NSString).appendingPathComponent(name)
                if FileManager.default.fileExists(atPath: path) { files.append(.copy(name: name, from: path)) }
            }
            if !files.contains(where: { $0.name == "generation_config.json" }) {
                files.append(.contents(name: "generation_config.json", bytes: Array(generationConfig(ids).utf8)))
            }
            return (files, ids)
        }
    }

    /// `tokenizer_config.json` for a tokenizer built from GGUF metadata: the special tokens by
    /// text, whether BOS/EOS are added (llama.cpp's defaults when GGUF does not say), the chat
    /// template, the context length, and the generic `PreTrainedTokenizerFast` class, which
    /// takes tokenizer.json as written.
    static func tokenizerConfig(_ meta: GGUFTokenizerMetadata, _ tokenizer: any TextTokenizer, contextLength: Int) -> String {
        let literal = JSONTextWriter.literal
        func text(_ id: Int32?) -> String? { id.map { literal(meta.tokens[Int($0)]) } }
        var fields: [(String, String?)] = [
            ("add_bos_token", tokenizer.addsBOSToken ? "true" : "false"),
            ("add_eos_token", meta.addEOSToken == true ? "true" : "false"),
            ("bos_token", text(tokenizer.bosTokenID)),
            ("chat_template", meta.chatTemplate.map(literal)),
            ("clean_up_tokenization_spaces", "false"),
            ("eos_token", text(tokenizer.eosTokenID)),
            ("model_max_length", String(contextLength)),
            ("pad_token", text(tokenizer.paddingTokenID)),
            ("tokenizer_class", literal("PreTrainedTokenizerFast")),
        ]
        // A byte-level model has no unknown token (a byte without a token is dropped); naming
        // one here would make transformers map such bytes to it.
        if meta.model != "gpt2" { fields.append(("unk_token", text(tokenizer.unknownTokenID))) }
        return document(fields.compactMap { key, value in value.map { (key, $0) } })
    }

    /// `generation_config.json`: the special token ids generation stops and pads with.
    static func generationConfig(_ ids: SpecialTokenIDs) -> String {
        document(ids.fields)
    }

    /// A flat JSON object, keys sorted, two-space indented (values are JSON text).
    static func document(_ fields: [(String, String)]) -> String {
        let lines = fields.sorted { $0.0 < $1.0 }.map { "  \(JSONTextWriter.literal($0.0)): \($0.1)" }
        return "{\n" + lines.joined(separator: ",\n") + "\n}\n"
    }
}
