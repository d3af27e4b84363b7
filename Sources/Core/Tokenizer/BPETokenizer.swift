/// A byte-level BPE tokenizer (GPT-2 style), as used by LLaMA-3, SmolLM2 and GPT-2 models.
///
/// Text is cut at special tokens, split into pre-tokens by a Unicode-aware scanner, each
/// pre-token's UTF-8 bytes become byte symbols, and the merge rules join them in rank order.
/// The vocabulary is keyed by bytes, never by `String` equality, so canonically equivalent but
/// distinct entries (precomposed vs decomposed "é") stay distinct. Immutable and `Sendable`: one
/// instance can encode on many threads at once.
public struct BPETokenizer: Sendable {
    /// The vocabulary text of every token (byte-level form, e.g. `Ġthe`), indexed by id.
    public let tokens: [String]
    /// The kind of every token, indexed by id.
    public let tokenTypes: [VocabularyTokenType]
    /// The pre-tokenizer that cuts text before merging.
    public let preTokenizer: PreTokenizer
    /// Whether a pre-token that is itself a vocabulary entry skips merging (Llama 3's `ignore_merges`).
    public let ignoresMerges: Bool
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
    /// The number of merge rules.
    public var mergeCount: Int { mergeTable.count }

    /// Vocabulary text's UTF-8 bytes -> id.
    let idForText: [[UInt8]: Int32]
    /// The token id of each of the 256 byte symbols; -1 for bytes the vocabulary lacks (SmolLM2
    /// has no token for bytes that never occur in its training text, such as 0x04 or 0xC0).
    let idForByte: [Int32]
    /// What a byte without a token becomes: the unknown token (Hugging Face with `unk_token`) or
    /// nothing (llama.cpp, and Hugging Face without `unk_token`, drop it).
    let missingByteReplacement: Int32?
    /// The UTF-8 of each byte's alphabet scalar, to look whole pre-tokens up in `idForText`.
    let alphabetUTF8ForByte: [[UInt8]]
    /// The bytes each token decodes to.
    let bytesForToken: [[UInt8]]
    let mergeTable: BPEMergeTable
    let specialMatcher: SpecialTokenMatcher

    /// Pre-tokens longer than this are merged without being cached (rare, and they would bloat it).
    static let longestCachedPreToken = 64

    /// A tokenizer from the arrays GGUF metadata stores.
    ///
    /// - Parameters:
    ///   - tokens: `tokenizer.ggml.tokens`, vocabulary texts in byte-level form.
    ///   - merges: `tokenizer.ggml.merges`, rules "left right" in rank order.
    ///   - tokenTypes: `tokenizer.ggml.token_type` (1 normal, 2 unknown, 3 control,
    ///     4 user-defined, 5 unused, 6 byte); nil means all normal. Control, user-defined and
    ///     unknown tokens are matched whole in input text.
    ///   - pre: `tokenizer.ggml.pre`, one of `PreTokenizer.supportedNames`.
    ///   - model: `tokenizer.ggml.model`; only "gpt2" (byte-level BPE) is supported.
    /// - Throws: `TokenizerError` naming the bad field.
    public init(
        tokens: [String], merges: [String], tokenTypes: [Int32]?, pre: String,
        bosTokenID: Int32? = nil, eosTokenID: Int32? = nil,
        unknownTokenID: Int32? = nil, paddingTokenID: Int32? = nil,
        model: String = "gpt2"
    ) throws {
        guard model == "gpt2" else { throw TokenizerError.unsupportedModel(model) }
        let preTokenizer = try PreTokenizer(ggufName: pre)
        var pairs: [(String, String)] = []
        pairs.reserveCapacity(merges.count)
        for (index, rule) in merges.enumerated() {
            pairs.append(try Self.splitMergeRule(rule, index: index))
        }
        let types = try tokenTypes.map { raw in
            guard raw.count == tokens.count else {
                throw TokenizerError.tokenTypeCountMismatch(tokens: tokens.count, tokenTypes: raw.count)
            }
            return raw.map { VocabularyTokenType(rawValue: $0) ?? .normal }
        }
        try self.init(
            tokens: tokens, mergePairs: pairs, tokenTypes: types ?? [], preTokenizer: preTokenizer,
            ignoresMerges: preTokenizer.pattern == .llama3,
            bosTokenID: bosTokenID, eosTokenID: eosTokenID,
            unknownTokenID: unknownTokenID, paddingTokenID: paddingTokenID, missingByteReplacement: nil)
    }

    /// The designated initialiser: both public initialisers resolve their input to this.
    /// An empty `tokenTypes` means all normal.
    init(
        tokens: [String], mergePairs: [(String, String)], tokenTypes: [VocabularyTokenType],
        preTokenizer: PreTokenizer, ignoresMerges: Bool,
        bosTokenID: Int32?, eosTokenID: Int32?, unknownTokenID: Int32?, paddingTokenID: Int32?,
        missingByteReplacement: Int32?
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

        var idForText: [[UInt8]: Int32] = [:]
        idForText.reserveCapacity(tokens.count)
        for (id, text) in tokens.enumerated() where idForText[Array(text.utf8)] == nil {
            idForText[Array(text.utf8)] = Int32(id)
        }

        var idForByte = [Int32](repeating: -1, count: 256)
        let alphabetUTF8 = ByteLevelAlphabet.scalarForByte.map { Array(String($0).utf8) }
        for byte in 0..<256 {
            if let id = idForText[alphabetUTF8[byte]] { idForByte[byte] = id }
        }

        var table = BPEMergeTable()
        for (rank, (left, right)) in mergePairs.enumerated() {
            let rule = "\(left) \(right)"
            guard let leftID = idForText[Array(left.utf8)] else {
                throw TokenizerError.invalidMerge(index: rank, rule: rule, reason: "\(left.debugDescription) is not in the vocabulary")
            }
            guard let rightID = idForText[Array(right.utf8)] else {
                throw TokenizerError.invalidMerge(index: rank, rule: rule, reason: "\(right.debugDescription) is not in the vocabulary")
            }
            guard let mergedID = idForText[Array(left.utf8) + Array(right.utf8)] else {
                throw TokenizerError.invalidMerge(index: rank, rule: rule, reason: "the merged token \((left + right).debugDescription) is not in the vocabulary")
            }
            table.add(left: leftID, right: rightID, merged: mergedID, rank: rank)
        }

        var specials: [(text: String, id: Int32)] = []
        for (id, type) in types.enumerated() where type.isMatchedWhole {
            specials.append((tokens[id], Int32(id)))
        }

        self.tokens = tokens
        self.tokenTypes = types
        self.preTokenizer = preTokenizer
        self.ignoresMerges = ignoresMerges
        self.bosTokenID = bosTokenID
        self.eosTokenID = eosTokenID
        self.unknownTokenID = unknownTokenID
        self.paddingTokenID = paddingTokenID
        self.idForText = idForText
        self.idForByte = idForByte
        self.missingByteReplacement = missingByteReplacement
        self.alphabetUTF8ForByte = alphabetUTF8
        self.bytesForToken = zip(tokens, types).map { text, type in
            if type.isMatchedWhole { return Array(text.utf8) }
            return ByteLevelAlphabet.decode(text) ?? Array(text.utf8)
        }
        self.mergeTable = table
        self.specialMatcher = SpecialTokenMatcher(specialTokens: specials)
    }

    /// Splits a GGUF merge rule "left right" at its first space after the first scalar
    /// (byte-level texts contain no raw space, but a left side may start with one).
    static func splitMergeRule(_ rule: String, index: Int) throws -> (String, String) {
        let scalars = rule.unicodeScalars
        guard !scalars.isEmpty,
              let space = scalars[scalars.index(after: scalars.startIndex)...].firstIndex(of: " ")
        else {
            throw TokenizerError.invalidMerge(index: index, rule: rule, reason: "expected two texts separated by a space")
        }
        let left = String(scalars[..<space])
        let right = String(scalars[scalars.index(after: space)...])
        guard !right.isEmpty else {
            throw TokenizerError.invalidMerge(index: index, rule: rule, reason: "the right-hand text is empty")
        }
        return (left, right)
    }

    /// The id of a vocabulary entry given its exact text (byte-level form, e.g. `Ġthe`, or a
    /// special token's text), compared as bytes.
    public func tokenID(forText text: String) -> Int32? {
        idForText[Array(text.utf8)]
    }
}
