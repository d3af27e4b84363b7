/// The tokenizer a GGUF file carries (`tokenizer.ggml.*`), as plain arrays, so the tokenizer
/// can be built without knowing anything about GGUF.
public struct GGUFTokenizerMetadata: Sendable, Equatable {
    /// `tokenizer.ggml.model`: `gpt2` (byte-level BPE), `llama` (SentencePiece), ...
    public var model: String
    /// `tokenizer.ggml.pre`: the pre-tokenizer name (`smollm`, `llama-bpe`, ...), if given.
    public var preTokenizer: String?
    /// `tokenizer.ggml.tokens`: token strings indexed by id.
    public var tokens: [String]
    /// `tokenizer.ggml.merges`: BPE merges as `"left right"`, highest priority first (empty if absent).
    public var merges: [String]
    /// `tokenizer.ggml.token_type`: per-token kind (1 normal, 2 unknown, 3 control, 4 user
    /// defined, 5 unused, 6 byte), or empty if absent.
    public var tokenTypes: [Int]
    /// `tokenizer.ggml.scores`: SentencePiece scores, or empty if absent.
    public var scores: [Float]
    /// `tokenizer.ggml.bos_token_id`: beginning-of-sequence token, if given.
    public var bosTokenID: Int?
    /// `tokenizer.ggml.eos_token_id`: end-of-sequence token, if given.
    public var eosTokenID: Int?
    /// `tokenizer.ggml.unknown_token_id`, if given.
    public var unknownTokenID: Int?
    /// `tokenizer.ggml.padding_token_id`, if given.
    public var paddingTokenID: Int?
    /// `tokenizer.ggml.add_bos_token`, if given.
    public var addBOSToken: Bool?
    /// `tokenizer.ggml.add_eos_token`, if given.
    public var addEOSToken: Bool?
    /// `tokenizer.chat_template`, if given.
    public var chatTemplate: String?
    /// `tokenizer.ggml.add_space_prefix`, if given: whether SentencePiece prepends "▁" to the
    /// text (llama.cpp assumes true when absent; Gemma 3 stores false).
    public var addSpacePrefix: Bool?

    /// Builds the metadata directly (tests, or formats other than GGUF).
    public init(
        model: String, preTokenizer: String? = nil, tokens: [String], merges: [String] = [],
        tokenTypes: [Int] = [], scores: [Float] = [], bosTokenID: Int? = nil, eosTokenID: Int? = nil,
        unknownTokenID: Int? = nil, paddingTokenID: Int? = nil, addBOSToken: Bool? = nil,
        addEOSToken: Bool? = nil, chatTemplate: String? = nil, addSpacePrefix: Bool? = nil
    ) {
        self.model = model
        self.preTokenizer = preTokenizer
        self.tokens = tokens
        self.merges = merges
        self.tokenTypes = tokenTypes
        self.scores = scores
        self.bosTokenID = bosTokenID
        self.eosTokenID = eosTokenID
        self.unknownTokenID = unknownTokenID
        self.paddingTokenID = paddingTokenID
        self.addBOSToken = addBOSToken
        self.addEOSToken = addEOSToken
        self.chatTemplate = chatTemplate
        self.addSpacePrefix = addSpacePrefix
    }
}

extension GGUFFile {
    /// The tokenizer metadata; `tokenizer.ggml.model` and `.tokens` are required, the rest
    /// optional. Special token ids must index into `tokens`; per-token arrays must match its length.
    /// - Throws: `GGUFError` naming the missing or mistyped key.
    public func tokenizerMetadata() throws -> GGUFTokenizerMetadata {
        let prefix = "tokenizer.ggml."
        func value<T>(_ key: String, _ expected: String, _ get: (GGUFValue) -> T?) throws -> T? {
            guard let raw = metadata[prefix + key] else { return nil }
            guard let v = get(raw) else {
                throw GGUFError.metadataTypeMismatch(key: prefix + key, expected: expected, found: raw.typeDescription)
            }
            return v
        }
        guard let model = try value("model", "a string", \.string) else { throw GGUFError.missingMetadata(key: prefix + "model") }
        guard let tokens = try value("tokens", "an array of strings", \.stringArray) else {
            throw GGUFError.missingMetadata(key: prefix + "tokens")
        }
        let tokenTypes = try value("token_type", "an array of integers", \.intArray) ?? []
        let scores = try value("scores", "an array of numbers", \.floatArray) ?? []
        for (key, count) in [("token_type", tokenTypes.count), ("scores", scores.count)] where count != 0 && count != tokens.count {
            throw GGUFError.invalidMetadata(key: prefix + key, reason: "has \(count) entries for \(tokens.count) tokens")
        }
        func tokenID(_ key: String) throws -> Int? {
            guard let id = try value(key, "an integer", \.int) else { return nil }
            guard id >= 0, id < tokens.count else {
                throw GGUFError.invalidMetadata(key: prefix + key, reason: "token id \(id) is outside the vocabulary of \(tokens.count) tokens")
            }
            return id
        }
        return GGUFTokenizerMetadata(
            model: model,
            preTokenizer: try value("pre", "a string", \.string),
            tokens: tokens,
            merges: try value("merges", "an array of strings", \.stringArray) ?? [],
            tokenTypes: tokenTypes,
            scores: scores,
            bosTokenID: try tokenID("bos_token_id"),
            eosTokenID: try tokenID("eos_token_id"),
            unknownTokenID: try tokenID("unknown_token_id"),
            paddingTokenID: try tokenID("padding_token_id"),
            addBOSToken: try value("add_bos_token", "a bool", \.bool),
            addEOSToken: try value("add_eos_token", "a bool", \.bool),
            chatTemplate: try metadata["tokenizer.chat_template"].map { raw in
                guard let s = raw.string else {
                    throw GGUFError.metadataTypeMismatch(key: "tokenizer.chat_template", expected: "a string", found: raw.typeDescription)
                }
                return s
            },
            addSpacePrefix: try value("add_space_prefix", "a bool", \.bool)
        )
    }
}
