/// What the daemon, the evaluators and the benches need of a tokenizer, whatever its kind
/// (byte-level BPE for SmolLM2 / Llama 3, SentencePiece for Gemma / Llama 2).
///
/// Implementations are immutable and `Sendable`, so one instance can encode on many threads.
/// Build one from a model file with `makeTokenizer(gguf:)` or `makeTokenizer(tokenizerJSONAt:)`.
public protocol TextTokenizer: Sendable {
    /// The number of tokens in the vocabulary (valid ids are `0..<tokenCount`).
    var tokenCount: Int { get }
    /// Beginning-of-sequence token id, if the model has one.
    var bosTokenID: Int32? { get }
    /// End-of-sequence token id, if the model has one.
    var eosTokenID: Int32? { get }
    /// Unknown-token id, if the model has one.
    var unknownTokenID: Int32? { get }
    /// Padding token id, if the model has one.
    var paddingTokenID: Int32? { get }
    /// One line for people: the kind of tokenizer, its size and its main settings.
    var summary: String { get }
    /// Whether the model expects a BOS token before a text (GGUF `tokenizer.ggml.add_bos_token`,
    /// tokenizer_config.json `add_bos_token`): Gemma does, SmolLM2 does not.
    var addsBOSToken: Bool { get }

    /// The token ids of `text`; special tokens written in the text become their ids, and no
    /// BOS/EOS is added.
    func encode(_ text: String) -> [Int32]

    /// The text of `ids`; bytes that are not valid UTF-8 become U+FFFD.
    /// - Parameter skippingSpecialTokens: leave out control tokens (`<bos>`, `<|im_end|>`, ...).
    /// - Throws: `TokenizerError.tokenIDOutOfRange` for an id outside the vocabulary.
    func decode(_ ids: [Int32], skippingSpecialTokens: Bool) throws -> String

    /// The raw bytes of `ids`, for callers that stream partial characters.
    /// - Throws: `TokenizerError.tokenIDOutOfRange` for an id outside the vocabulary.
    func decodedBytes(_ ids: [Int32], skippingSpecialTokens: Bool) throws -> [UInt8]
}

extension TextTokenizer {
    /// The ids of a whole document as the model expects it: one BOS first when
    /// `addsBOSToken` (as transformers' tokenizers and llama.cpp add it), then `encode(text)`.
    /// What cfsp calibrates and evaluates on, so a corpus is scored as the model was trained to read.
    public func encodeDocument(_ text: String) -> [Int32] {
        let ids = encode(text)
        guard addsBOSToken, let bos = bosTokenID else { return ids }
        return [bos] + ids
    }

    /// The text of `ids`, special tokens included.
    public func decode(_ ids: [Int32]) throws -> String {
        try decode(ids, skippingSpecialTokens: false)
    }

    /// The raw bytes of `ids`, special tokens included.
    public func decodedBytes(_ ids: [Int32]) throws -> [UInt8] {
        try decodedBytes(ids, skippingSpecialTokens: false)
    }
}
