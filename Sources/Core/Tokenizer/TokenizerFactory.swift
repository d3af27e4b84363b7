import Foundation

/// The tokenizer GGUF tokenizer metadata describes: `tokenizer.ggml.model` "gpt2" is byte-level
/// BPE (`BPETokenizer`), "llama" is SentencePiece (`SentencePieceTokenizer`).
/// - Throws: `TokenizerError.unsupportedModel` (listing the supported models) for any other
///   model, or the chosen tokenizer's error for bad arrays.
public func makeTokenizer(metadata meta: GGUFTokenizerMetadata) throws -> any TextTokenizer {
    let bos = meta.bosTokenID.map { Int32($0) }
    let eos = meta.eosTokenID.map { Int32($0) }
    let unknown = meta.unknownTokenID.map { Int32($0) }
    let padding = meta.paddingTokenID.map { Int32($0) }
    let types = meta.tokenTypes.isEmpty ? nil : meta.tokenTypes.map { Int32(truncatingIfNeeded: $0) }
    switch meta.model {
    case "gpt2":
        var tokenizer = try BPETokenizer(
            tokens: meta.tokens, merges: meta.merges, tokenTypes: types, pre: meta.preTokenizer ?? "default",
            bosTokenID: bos, eosTokenID: eos, unknownTokenID: unknown, paddingTokenID: padding, model: meta.model)
        // llama.cpp's defaults when the key is absent: no BOS for BPE, BOS for SentencePiece.
        tokenizer.addsBOSToken = meta.addBOSToken ?? false
        return tokenizer
    case "llama":
        var tokenizer = try SentencePieceTokenizer(
            tokens: meta.tokens, scores: meta.scores, tokenTypes: types, addSpacePrefix: meta.addSpacePrefix ?? true,
            bosTokenID: bos, eosTokenID: eos, unknownTokenID: unknown, paddingTokenID: padding)
        tokenizer.addsBOSToken = meta.addBOSToken ?? true
        return tokenizer
    default:
        throw TokenizerError.unsupportedModel(meta.model)
    }
}

/// The tokenizer of a GGUF file (its `tokenizer.ggml.*` metadata).
/// - Throws: `GGUFError` for missing or mistyped metadata, else as `makeTokenizer(metadata:)`.
public func makeTokenizer(gguf file: GGUFFile) throws -> any TextTokenizer {
    try makeTokenizer(metadata: file.tokenizerMetadata())
}

/// The tokenizer a Hugging Face `tokenizer.json` describes: byte-level BPE (`BPETokenizer`) or
/// SentencePiece-style BPE with byte fallback (`SentencePieceTokenizer`).
/// - Throws: `TokenizerError.unsupportedTokenizerJSON` naming what the file is when it is
///   neither, or the chosen reader's error.
public func makeTokenizer(
    tokenizerJSON: Data, bosTokenID: Int32? = nil, eosTokenID: Int32? = nil, paddingTokenID: Int32? = nil
) throws -> any TextTokenizer {
    try makeTokenizer(
        root: try TokenizerJSONValue.parse([UInt8](tokenizerJSON)), config: nil,
        bosTokenID: bosTokenID, eosTokenID: eosTokenID, paddingTokenID: paddingTokenID)
}

/// The tokenizer of the `tokenizer.json` at `path`, with BOS, EOS and padding tokens from the
/// `tokenizer_config.json` beside it when there is one (`bos_token`, `eos_token`, `pad_token`).
/// - Throws: file errors, or as `makeTokenizer(tokenizerJSON:)`.
public func makeTokenizer(tokenizerJSONAt path: String) throws -> any TextTokenizer {
    let root = try TokenizerJSONValue.parse([UInt8](RegularFile.contents(of: path, limit: RegularFile.Limit.tokenizer)))
    let configPath = URL(fileURLWithPath: path).deletingLastPathComponent().appendingPathComponent("tokenizer_config.json").path
    let config = try FileManager.default.fileExists(atPath: configPath)
        ? TokenizerJSONValue.parse([UInt8](RegularFile.contents(of: configPath, limit: RegularFile.Limit.configuration))) : nil
    return try makeTokenizer(root: root, config: config, bosTokenID: nil, eosTokenID: nil, paddingTokenID: nil)
}

/// Chooses the reader; ids not given are taken from `config` (tokenizer_config.json) if any.
private func makeTokenizer(
    root: TokenizerJSONValue, config: TokenizerJSONValue?,
    bosTokenID: Int32?, eosTokenID: Int32?, paddingTokenID: Int32?
) throws -> any TextTokenizer {
    func configured(_ key: String) -> Int32? {
        guard let entry = config?[key] else { return nil }
        guard let text = entry.stringValue ?? entry["content"]?.stringValue else { return nil }
        return root.tokenID(named: text)
    }
    let bos = bosTokenID ?? configured("bos_token")
    let eos = eosTokenID ?? configured("eos_token")
    let padding = paddingTokenID ?? configured("pad_token")
    let addsBOS = config?["add_bos_token"]?.boolValue ?? false
    switch try TokenizerJSONStyle(root: root) {
    case .byteLevelBPE:
        var tokenizer = try BPETokenizer(tokenizerJSONRoot: root, bosTokenID: bos, eosTokenID: eos, paddingTokenID: padding)
        tokenizer.addsBOSToken = addsBOS
        return tokenizer
    case .sentencePieceBPE:
        var tokenizer = try SentencePieceTokenizer(tokenizerJSONRoot: root, bosTokenID: bos, eosTokenID: eos, paddingTokenID: padding)
        tokenizer.addsBOSToken = addsBOS
        return tokenizer
    }
}

extension TokenizerJSONValue {
    /// The id a tokenizer.json document gives the token `text`: an added token's, else a
    /// vocabulary entry's (compared as bytes).
    fileprivate func tokenID(named text: String) -> Int32? {
        for added in self["added_tokens"]?.arrayValue ?? [] where added["content"]?.stringValue?.utf8.elementsEqual(text.utf8) == true {
            if let id = added["id"]?.intValue { return Int32(truncatingIfNeeded: id) }
        }
        guard let vocab = self["model"]?["vocab"]?.objectValue,
              let entry = vocab.first(where: { $0.key.utf8.elementsEqual(text.utf8) }),
              let id = entry.value.intValue else { return nil }
        return Int32(truncatingIfNeeded: id)
    }
}
