/// How a SentencePiece-style `tokenizer.json` turns spaces into `▁`, read from its
/// `normalizer` and `pre_tokenizer`:
///
/// - normalizer `Replace` " " -> "▁", optionally with `Prepend` "▁" (Llama 2, Gemma), alone or in
///   a `Sequence`; a `Split` pre-tokenizer on " " after it cuts nothing (no space is left);
/// - or pre-tokenizer `Metaspace` (replacement "▁", `prepend_scheme` always / first / never or
///   the older `add_prefix_space`, `split`).
struct SentencePieceJSONSpacing: Equatable {
    var spacePrefix: SentencePieceTokenizer.SpacePrefix = .none
    /// Metaspace does not prepend "▁" to text that already starts with one.
    var prefixOnlyWithoutLeadingSpace = false
    var splitsBeforeSpaces = false

    static let spaceMark = "\u{2581}"

    init(normalizer: TokenizerJSONValue?, preTokenizer: TokenizerJSONValue?) throws {
        var replacesSpaces = false
        for stage in Self.stages(normalizer, list: "normalizers") {
            let type = stage["type"]?.stringValue ?? "missing"
            switch type {
            case "Replace" where stage["pattern"]?["String"]?.stringValue == " " && stage["content"]?.stringValue == Self.spaceMark:
                replacesSpaces = true
            case "Prepend" where stage["prepend"]?.stringValue == Self.spaceMark:
                spacePrefix = .everySegment
            default:
                throw TokenizerError.unsupportedTokenizerJSON(found: "a SentencePiece-style BPE model with normalizer \(Self.describe(stage))")
            }
        }
        for stage in Self.stages(preTokenizer, list: "pretokenizers") {
            let type = stage["type"]?.stringValue ?? "missing"
            switch type {
            case "Metaspace" where (stage["replacement"]?.stringValue ?? Self.spaceMark) == Self.spaceMark:
                replacesSpaces = true
                prefixOnlyWithoutLeadingSpace = true
                splitsBeforeSpaces = stage["split"]?.boolValue ?? true
                switch stage["prepend_scheme"]?.stringValue {
                case "always": spacePrefix = .everySegment
                case "first": spacePrefix = .firstSegment
                case "never": spacePrefix = .none
                case nil: spacePrefix = stage["add_prefix_space"]?.boolValue ?? true ? .everySegment : .none
                case let other?:
                    throw TokenizerError.unsupportedTokenizerJSON(found: "a Metaspace pre-tokenizer with prepend_scheme \(other.debugDescription)")
                }
            case "Split" where replacesSpaces && stage["pattern"]?["String"]?.stringValue == " ":
                continue
            default:
                throw TokenizerError.unsupportedTokenizerJSON(found: "a SentencePiece-style BPE model with pre_tokenizer \(Self.describe(stage))")
            }
        }
        guard replacesSpaces else {
            throw TokenizerError.unsupportedTokenizerJSON(
                found: "a BPE model with byte_fallback whose normalizer and pre_tokenizer do not replace spaces by \"\(Self.spaceMark)\"")
        }
    }

    /// The stages of a configuration that may be a `Sequence` of them (none for null).
    private static func stages(_ config: TokenizerJSONValue?, list: String) -> [TokenizerJSONValue] {
        guard let config, !config.isNull else { return [] }
        if config["type"]?.stringValue == "Sequence" { return config[list]?.arrayValue ?? [] }
        return [config]
    }

    /// `"Replace"` with its pattern, for error messages.
    static func describe(_ stage: TokenizerJSONValue) -> String {
        let type = stage["type"]?.stringValue ?? "without a type"
        if let pattern = stage["pattern"]?["String"]?.stringValue ?? stage["pattern"]?["Regex"]?.stringValue {
            return "\"\(type)\" (pattern \(pattern.debugDescription))"
        }
        return "\"\(type)\""
    }
}
