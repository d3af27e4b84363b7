import Foundation

extension BPETokenizer {
    /// A tokenizer from a Hugging Face `tokenizer.json` whose model is byte-level BPE.
    ///
    /// Reads `model.vocab`, `model.merges` ("a b" strings or [a, b] pairs), `model.ignore_merges`,
    /// `added_tokens` (special ones become control tokens, others user-defined; all are matched
    /// whole) and `pre_tokenizer` (ByteLevel, Split with the GPT-2 or Llama-3 regex, Digits with
    /// individual digits, or a Sequence of these). BOS/EOS are not part of `tokenizer.json`
    /// (they live in `tokenizer_config.json`), so the caller passes them.
    ///
    /// - Throws: `TokenizerError` naming the missing or unsupported field.
    public init(tokenizerJSON: Data, bosTokenID: Int32? = nil, eosTokenID: Int32? = nil) throws {
        try self.init(
            tokenizerJSONRoot: try TokenizerJSONValue.parse([UInt8](tokenizerJSON)),
            bosTokenID: bosTokenID, eosTokenID: eosTokenID, paddingTokenID: nil)
    }

    /// The same from an already parsed document (the factory parses once to choose the reader).
    init(tokenizerJSONRoot root: TokenizerJSONValue, bosTokenID: Int32?, eosTokenID: Int32?, paddingTokenID: Int32?) throws {
        guard let model = root["model"], model.objectValue != nil else {
            throw TokenizerError.invalidTokenizerJSON("missing the \"model\" object")
        }
        if let type = model["type"]?.stringValue, type != "BPE" {
            throw TokenizerError.unsupportedModel(type)
        }
        if let normalizer = root["normalizer"], !normalizer.isNull {
            let name = normalizer["type"]?.stringValue ?? "unknown"
            throw TokenizerError.invalidTokenizerJSON("normalizer \"\(name)\" is not supported (only byte-level BPE without a normalizer)")
        }
        let vocabulary = try TokenizerJSONVocabulary(root: root)
        let tokens = vocabulary.tokens
        let types = vocabulary.types

        let pairs = try TokenizerJSONVocabulary.mergePairs(model["merges"])
        let preTokenizer = try Self.preTokenizer(root["pre_tokenizer"])
        let unknownID = model["unk_token"]?.stringValue.flatMap { unk in
            tokens.firstIndex { $0.utf8.elementsEqual(unk.utf8) }.map { Int32($0) }
        }
        try self.init(
            tokens: tokens, mergePairs: pairs, tokenTypes: types, preTokenizer: preTokenizer,
            ignoresMerges: model["ignore_merges"]?.boolValue ?? false,
            bosTokenID: bosTokenID, eosTokenID: eosTokenID, unknownTokenID: unknownID, paddingTokenID: paddingTokenID,
            missingByteReplacement: unknownID)
    }

    /// Maps a `pre_tokenizer` configuration to one of the implemented pre-tokenizers.
    private static func preTokenizer(_ config: TokenizerJSONValue?) throws -> PreTokenizer {
        guard let config, !config.isNull else {
            throw TokenizerError.unsupportedPreTokenizerConfig("pre_tokenizer is missing; byte-level BPE needs ByteLevel or Split")
        }
        var pattern: SplitPattern?
        var isolatesDigits = false
        let stages = config["type"]?.stringValue == "Sequence" ? (config["pretokenizers"]?.arrayValue ?? []) : [config]
        for stage in stages {
            let type = stage["type"]?.stringValue ?? "missing"
            switch type {
            case "Digits":
                guard stage["individual_digits"]?.boolValue == true else {
                    throw TokenizerError.unsupportedPreTokenizerConfig("Digits without individual_digits")
                }
                guard pattern == nil else {
                    throw TokenizerError.unsupportedPreTokenizerConfig("Digits after a regex stage")
                }
                isolatesDigits = true
            case "ByteLevel":
                if stage["add_prefix_space"]?.boolValue == true {
                    throw TokenizerError.unsupportedPreTokenizerConfig("ByteLevel with add_prefix_space")
                }
                if stage["use_regex"]?.boolValue ?? true {
                    try setPattern(.gpt2, &pattern)
                }
            case "Split":
                guard let regex = stage["pattern"]?["Regex"]?.stringValue else {
                    throw TokenizerError.unsupportedPreTokenizerConfig("Split without a \"Regex\" pattern")
                }
                guard let known = SplitPattern.allCases.first(where: { $0.regex == regex }) else {
                    throw TokenizerError.unsupportedPreTokenizerConfig("Split regex \(regex.debugDescription) is not one of the implemented patterns (GPT-2, Llama 3)")
                }
                let behavior = stage["behavior"]?.stringValue ?? "Isolated"
                guard behavior == "Isolated", stage["invert"]?.boolValue != true else {
                    throw TokenizerError.unsupportedPreTokenizerConfig("Split behavior \(behavior) (only Isolated, not inverted)")
                }
                try setPattern(known, &pattern)
            default:
                throw TokenizerError.unsupportedPreTokenizerConfig("pre-tokenizer type \"\(type)\" (supported: ByteLevel, Split, Digits, Sequence)")
            }
        }
        guard let pattern else {
            throw TokenizerError.unsupportedPreTokenizerConfig("no regex stage (ByteLevel with use_regex or Split)")
        }
        return PreTokenizer(pattern: pattern, isolatesDigits: isolatesDigits)
    }

    private static func setPattern(_ new: SplitPattern, _ pattern: inout SplitPattern?) throws {
        guard pattern == nil else {
            throw TokenizerError.unsupportedPreTokenizerConfig("more than one regex stage")
        }
        pattern = new
    }
}
