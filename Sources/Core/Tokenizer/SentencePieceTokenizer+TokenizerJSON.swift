import Foundation

extension SentencePieceTokenizer {
    /// A tokenizer from a Hugging Face `tokenizer.json` in SentencePiece style, as saved for
    /// Gemma and Llama 2: `model.type` "BPE" with `byte_fallback`, spaces replaced by `▁` (see
    /// `SentencePieceJSONSpacing`), `model.merges` in rank order.
    ///
    /// Vocabulary entries `<0xXX>` are byte tokens; special `added_tokens` are control tokens,
    /// the others user-defined; all added tokens are matched whole in the raw text (their
    /// `normalized`, `lstrip` and `rstrip` flags are not applied). `model.unk_token` names the
    /// unknown token and `fuse_unk` collapses runs of it. BOS/EOS/padding are not part of
    /// `tokenizer.json` (they live in `tokenizer_config.json`), so the caller passes them.
    ///
    /// - Throws: `TokenizerError` naming the missing or unsupported field.
    public init(tokenizerJSON: Data, bosTokenID: Int32? = nil, eosTokenID: Int32? = nil, paddingTokenID: Int32? = nil) throws {
        try self.init(
            tokenizerJSONRoot: try TokenizerJSONValue.parse([UInt8](tokenizerJSON)),
            bosTokenID: bosTokenID, eosTokenID: eosTokenID, paddingTokenID: paddingTokenID)
    }

    /// The same from an already parsed document (the factory parses once to choose the reader).
    init(tokenizerJSONRoot root: TokenizerJSONValue, bosTokenID: Int32?, eosTokenID: Int32?, paddingTokenID: Int32?) throws {
        guard let model = root["model"], model.objectValue != nil else {
            throw TokenizerError.invalidTokenizerJSON("missing the \"model\" object")
        }
        if let type = model["type"]?.stringValue, type != "BPE" {
            throw TokenizerError.unsupportedModel(type)
        }
        let spacing = try SentencePieceJSONSpacing(normalizer: root["normalizer"], preTokenizer: root["pre_tokenizer"])
        var vocabulary = try TokenizerJSONVocabulary(root: root)
        for (id, text) in vocabulary.tokens.enumerated()
        where vocabulary.types[id] == .normal && Self.byteValue(ofByteToken: text) != nil {
            vocabulary.types[id] = .byte
        }
        let index = VocabularyIndex(texts: vocabulary.tokens)
        var unknownID: Int32?
        if let unk = model["unk_token"]?.stringValue {
            guard let id = index.id(ofText: unk) else {
                throw TokenizerError.invalidTokenizerJSON("model.unk_token \(unk.debugDescription) is not in the vocabulary")
            }
            unknownID = id
        }

        var table = BPEMergeTable()
        for (rank, (left, right)) in try TokenizerJSONVocabulary.mergePairs(model["merges"]).enumerated() {
            let rule = "\(left) \(right)"
            guard let leftID = index.id(ofText: left) else {
                throw TokenizerError.invalidMerge(index: rank, rule: rule, reason: "\(left.debugDescription) is not in the vocabulary")
            }
            guard let rightID = index.id(ofText: right) else {
                throw TokenizerError.invalidMerge(index: rank, rule: rule, reason: "\(right.debugDescription) is not in the vocabulary")
            }
            guard let mergedID = index.id(ofText: left + right) else {
                throw TokenizerError.invalidMerge(index: rank, rule: rule, reason: "the merged token \((left + right).debugDescription) is not in the vocabulary")
            }
            table.add(left: leftID, right: rightID, merged: mergedID, rank: rank)
        }

        try self.init(
            tokens: vocabulary.tokens, tokenTypes: vocabulary.types, merging: .ranks(table), vocabulary: index,
            spacePrefix: spacing.spacePrefix, prefixOnlyWithoutLeadingSpace: spacing.prefixOnlyWithoutLeadingSpace,
            splitsBeforeSpaces: spacing.splitsBeforeSpaces,
            usesByteFallback: model["byte_fallback"]?.boolValue ?? false,
            fusesUnknown: model["fuse_unk"]?.boolValue ?? false,
            bosTokenID: bosTokenID, eosTokenID: eosTokenID, unknownTokenID: unknownID, paddingTokenID: paddingTokenID)
    }
}
