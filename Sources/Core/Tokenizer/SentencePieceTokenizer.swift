/// A SentencePiece-style tokenizer, as used by Gemma and Llama 2: spaces become `▁` (U+2581),
/// the text's characters are merged into vocabulary pieces, and characters without a piece fall
/// back to `<0xXX>` byte tokens.
///
/// Two merge orders exist, one per source. From GGUF (`tokenizer.ggml.model = "llama"`) the
/// adjacent pair whose merged text is in the vocabulary with the highest score merges first
/// (llama.cpp's `llm_tokenizer_spm`); from a Hugging Face `tokenizer.json` the pair with the best
/// merge rank does (its BPE model with `byte_fallback`). Control, user-defined and unknown tokens
/// written in the text are matched whole first, as llama.cpp and Hugging Face do. Immutable and
/// `Sendable`: one instance can encode on many threads at once.
public struct SentencePieceTokenizer: Sendable {
    /// Where a `▁` is put in front of the text (SentencePiece's "dummy prefix").
    public enum SpacePrefix: String, Sendable, Equatable {
        /// Never (Gemma 3: `add_space_prefix = false`).
        case none
        /// In front of every piece of text between special tokens (llama.cpp with
        /// `add_space_prefix`, Llama 2; Hugging Face's `Prepend` normalizer).
        case everySegment
        /// In front of the text only when it starts the input (`Metaspace` with
        /// `prepend_scheme: "first"`).
        case firstSegment
    }

    /// How adjacent symbols are chosen for merging.
    enum Merging: Sendable {
        /// By the score of the merged text (GGUF `tokenizer.ggml.scores`); ties go leftmost.
        case scores([Float])
        /// By the rank of the pair in tokenizer.json's `model.merges`; ties go leftmost.
        case ranks(BPEMergeTable)
    }

    /// The vocabulary text of every token (`▁the`, `<0x0A>`, `<start_of_turn>`), indexed by id.
    public let tokens: [String]
    /// The kind of every token, indexed by id.
    public let tokenTypes: [VocabularyTokenType]
    /// Where a `▁` is prepended.
    public let spacePrefix: SpacePrefix
    /// Whether text is cut before every `▁` and each piece merged alone (`Metaspace` with
    /// `split: true`); GGUF vocabularies merge across spaces.
    public let splitsBeforeSpaces: Bool
    /// Beginning-of-sequence token id, if the model has one.
    public let bosTokenID: Int32?
    /// End-of-sequence token id, if the model has one.
    public let eosTokenID: Int32?
    /// Unknown-token id, if the model has one.
    public let unknownTokenID: Int32?
    /// Padding token id, if the model has one.
    public let paddingTokenID: Int32?
    /// Whether the model expects a BOS before a text (set by the factories from the model's files).
    public internal(set) var addsBOSToken = false

    /// The number of tokens in the vocabulary (valid ids are `0..<tokenCount`).
    public var tokenCount: Int { tokens.count }

    let merging: Merging
    /// Whether the prefix is left out when the text already starts with a space (Hugging Face's
    /// `Metaspace`); llama.cpp and the `Prepend` normalizer always add it.
    let prefixOnlyWithoutLeadingSpace: Bool
    let vocabulary: VocabularyIndex
    /// The `<0xXX>` token of each byte (or, failing that, the token whose text is the byte
    /// itself); -1 when there is neither.
    let idForByte: [Int32]
    /// Whether characters without a piece become byte tokens (else the unknown token).
    let usesByteFallback: Bool
    /// Whether consecutive unknown tokens from unmatched characters collapse into one
    /// (tokenizer.json's `fuse_unk`).
    let fusesUnknown: Bool
    /// The bytes each token decodes to.
    let bytesForToken: [[UInt8]]
    let specialMatcher: SpecialTokenMatcher

    /// A tokenizer from the arrays GGUF metadata stores (`tokenizer.ggml.model = "llama"`).
    ///
    /// - Parameters:
    ///   - tokens: `tokenizer.ggml.tokens`, pieces with `▁` for spaces.
    ///   - scores: `tokenizer.ggml.scores`; empty means all 0 (then merges go leftmost first).
    ///   - tokenTypes: `tokenizer.ggml.token_type` (1 normal, 2 unknown, 3 control,
    ///     4 user-defined, 5 unused, 6 byte); nil means all normal.
    ///   - addSpacePrefix: `tokenizer.ggml.add_space_prefix`; llama.cpp's default when the key
    ///     is absent is true.
    /// - Throws: `TokenizerError` naming the bad field.
    public init(
        tokens: [String], scores: [Float], tokenTypes: [Int32]?, addSpacePrefix: Bool = true,
        bosTokenID: Int32? = nil, eosTokenID: Int32? = nil,
        unknownTokenID: Int32? = nil, paddingTokenID: Int32? = nil
    ) throws {
        guard scores.isEmpty || scores.count == tokens.count else {
            throw TokenizerError.scoreCountMismatch(tokens: tokens.count, scores: scores.count)
        }
        let types = try tokenTypes.map { raw in
            guard raw.count == tokens.count else {
                throw TokenizerError.tokenTypeCountMismatch(tokens: tokens.count, tokenTypes: raw.count)
            }
            return raw.map { VocabularyTokenType(rawValue: $0) ?? .normal }
        }
        try self.init(
            tokens: tokens, tokenTypes: types ?? [],
            merging: .scores(scores.isEmpty ? [Float](repeating: 0, count: tokens.count) : scores),
            vocabulary: VocabularyIndex(texts: tokens),
            spacePrefix: addSpacePrefix ? .everySegment : .none, prefixOnlyWithoutLeadingSpace: false,
            splitsBeforeSpaces: false,
            usesByteFallback: true, fusesUnknown: false,
            bosTokenID: bosTokenID, eosTokenID: eosTokenID,
            unknownTokenID: unknownTokenID, paddingTokenID: paddingTokenID)
    }

    /// The designated initialiser: both public initialisers resolve their input to this.
    /// An empty `tokenTypes` means all normal; `vocabulary` must index `tokens`.
    init(
        tokens: [String], tokenTypes: [VocabularyTokenType], merging: Merging, vocabulary: VocabularyIndex,
        spacePrefix: SpacePrefix, prefixOnlyWithoutLeadingSpace: Bool, splitsBeforeSpaces: Bool,
        usesByteFallback: Bool, fusesUnknown: Bool,
        bosTokenID: Int32?, eosTokenID: Int32?, unknownTokenID: Int32?, paddingTokenID: Int32?
    ) throws {
        guard !tokens.isEmpty else { throw TokenizerError.emptyVocabulary }
        guard tokens.count < Int(Int32.max) else { throw TokenizerError.vocabularyTooLarge(tokens.count) }
        let types = tokenTypes.isEmpty ? [VocabularyTokenType](repeating: .normal, count: tokens.count) : tokenTypes
        guard types.count == tokens.count else {
            throw TokenizerError.tokenTypeCountMismatch(tokens: tokens.count, tokenTypes: types.count)
        }
        for (name, id) in [("BOS", bosTokenID), ("EOS", eosTokenID), ("unknown", unknownTokenID), ("padding", paddingTokenID)] {
            if let id, id < 0 || Int(id) >= tokens.count {
                throw TokenizerError.specialTokenIDOutOfRange(name: name, id: id, tokenCount: tokens.count)
            }
        }

        var idForByte = [Int32](repeating: -1, count: 256)
        for byte in 0..<256 {
            let hex = String(byte, radix: 16, uppercase: true)
            let name = "<0x" + (byte < 16 ? "0" : "") + hex + ">"
            if let id = vocabulary.id(ofText: name) {
                idForByte[byte] = id
            } else if let id = [UInt8(byte)].withUnsafeBufferPointer({ vocabulary.id(of: $0) }) {
                idForByte[byte] = id
            }
        }

        var specials: [(text: String, id: Int32)] = []
        for (id, type) in types.enumerated() where type.isMatchedWhole {
            specials.append((tokens[id], Int32(id)))
        }

        self.tokens = tokens
        self.tokenTypes = types
        self.merging = merging
        self.vocabulary = vocabulary
        self.spacePrefix = spacePrefix
        self.prefixOnlyWithoutLeadingSpace = prefixOnlyWithoutLeadingSpace
        self.splitsBeforeSpaces = splitsBeforeSpaces
        self.usesByteFallback = usesByteFallback
        self.fusesUnknown = fusesUnknown
        self.bosTokenID = bosTokenID
        self.eosTokenID = eosTokenID
        self.unknownTokenID = unknownTokenID
        self.paddingTokenID = paddingTokenID
        self.idForByte = idForByte
        self.bytesForToken = zip(tokens, types).map(Self.decodedBytes(text:type:))
        self.specialMatcher = SpecialTokenMatcher(specialTokens: specials)
    }

    /// The id of a vocabulary entry given its exact text (`▁the`, `<0x0A>`, a special
    /// token's text), compared as bytes.
    public func tokenID(forText text: String) -> Int32? {
        vocabulary.id(ofText: text)
    }
}

extension SentencePieceTokenizer: TextTokenizer {
    /// "SentencePiece, 262144 tokens, merges by score, space prefix none".
    public var summary: String {
        let order: String
        switch merging {
        case .scores: order = "merges by score"
        case .ranks(let table): order = "\(table.count) ranked merges"
        }
        return "SentencePiece, \(tokenCount) tokens, \(order), space prefix \(spacePrefix.rawValue)"
    }
}
