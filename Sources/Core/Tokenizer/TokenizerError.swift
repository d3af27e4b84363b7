/// Everything that can go wrong while building a tokenizer or decoding token ids.
///
/// Each case carries the offending value so the message tells the caller what to fix.
public enum TokenizerError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The tokenizer model is not one cfsp implements (GGUF `tokenizer.ggml.model` / HF `model.type`).
    case unsupportedModel(String)
    /// A `tokenizer.json` that is neither byte-level BPE nor SentencePiece-style BPE; `found`
    /// describes what it is.
    case unsupportedTokenizerJSON(found: String)
    /// The score array does not have one entry per token.
    case scoreCountMismatch(tokens: Int, scores: Int)
    /// The pre-tokenizer name (GGUF `tokenizer.ggml.pre`) is not one this tokenizer implements.
    case unsupportedPreTokenizer(String, supported: [String])
    /// A Hugging Face pre-tokenizer configuration this tokenizer cannot reproduce.
    case unsupportedPreTokenizerConfig(String)
    /// The vocabulary has no tokens at all.
    case emptyVocabulary
    /// The vocabulary has more tokens than Int32 ids can number.
    case vocabularyTooLarge(Int)
    /// The token-type array does not have one entry per token.
    case tokenTypeCountMismatch(tokens: Int, tokenTypes: Int)
    /// A merge rule is not two space-separated vocabulary entries whose concatenation is in the vocabulary.
    case invalidMerge(index: Int, rule: String, reason: String)
    /// A special token id (BOS, EOS, ...) points outside the vocabulary.
    case specialTokenIDOutOfRange(name: String, id: Int32, tokenCount: Int)
    /// A token id given to `decode` is not in the vocabulary.
    case tokenIDOutOfRange(id: Int32, tokenCount: Int)
    /// `tokenizer.json` could not be parsed or lacks a required field.
    case invalidTokenizerJSON(String)
    /// A tokenizer that Hugging Face's `tokenizer.json` cannot describe exactly (`reason` says why).
    case notExpressibleAsTokenizerJSON(String)

    public var description: String {
        switch self {
        case .unsupportedModel(let model):
            return "unsupported tokenizer model \"\(model)\"; supported: \"gpt2\" (byte-level BPE) and \"llama\" (SentencePiece) as GGUF tokenizer.ggml.model, \"BPE\" as tokenizer.json model.type"
        case .unsupportedTokenizerJSON(let found):
            return "unsupported tokenizer.json: found \(found); supported: byte-level BPE (a ByteLevel pre-tokenizer, as SmolLM2 and Llama 3) and SentencePiece-style BPE (byte_fallback, spaces replaced by \"\u{2581}\" with a Replace normalizer or a Metaspace pre-tokenizer, as Gemma and Llama 2)"
        case .scoreCountMismatch(let tokens, let scores):
            return "scores must have one entry per token: \(tokens) tokens but \(scores) scores"
        case .unsupportedPreTokenizer(let pre, let supported):
            return "unsupported pre-tokenizer \"\(pre)\"; supported: \(supported.joined(separator: ", "))"
        case .unsupportedPreTokenizerConfig(let detail):
            return "unsupported tokenizer.json pre_tokenizer: \(detail)"
        case .emptyVocabulary:
            return "the tokenizer vocabulary is empty"
        case .vocabularyTooLarge(let count):
            return "a vocabulary of \(count) tokens does not fit Int32 token ids"
        case .tokenTypeCountMismatch(let tokens, let tokenTypes):
            return "token types must have one entry per token: \(tokens) tokens but \(tokenTypes) token types"
        case .invalidMerge(let index, let rule, let reason):
            return "merge rule #\(index) \(rule.debugDescription) is invalid: \(reason)"
        case .specialTokenIDOutOfRange(let name, let id, let tokenCount):
            return "\(name) token id \(id) is outside the vocabulary of \(tokenCount) tokens"
        case .tokenIDOutOfRange(let id, let tokenCount):
            return "token id \(id) is outside the vocabulary (valid ids: 0..<\(tokenCount))"
        case .invalidTokenizerJSON(let detail):
            return "invalid tokenizer.json: \(detail)"
        case .notExpressibleAsTokenizerJSON(let reason):
            return "cannot write this tokenizer as tokenizer.json: \(reason)"
        }
    }
}
