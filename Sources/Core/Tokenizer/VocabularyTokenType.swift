/// The kind of a vocabulary entry, with GGUF's `tokenizer.ggml.token_type` numbering.
public enum VocabularyTokenType: Int32, Sendable, CaseIterable {
    /// Ordinary byte-level BPE text.
    case normal = 1
    /// The unknown-token placeholder.
    case unknown = 2
    /// Control tokens such as `<|im_start|>`: matched whole in input, decoded as their text.
    case control = 3
    /// Added tokens that are not control tokens: also matched whole.
    case userDefined = 4
    /// Reserved, never produced by encoding.
    case unused = 5
    /// A raw byte token (SentencePiece style `<0x0A>`).
    case byte = 6

    /// Whether input text containing this token's text encodes to the token as a whole.
    var isMatchedWhole: Bool {
        self == .control || self == .userDefined || self == .unknown
    }
}
