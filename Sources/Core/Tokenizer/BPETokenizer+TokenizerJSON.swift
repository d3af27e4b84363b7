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
        let root = try TokenizerJSONValue.parse([UInt8](tokenizerJSON))
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
        guard let vocab = model["vocab"]?.objectValue else {
            throw TokenizerError.invalidTokenizerJSON("missing the \"model.vocab\" object")
        }

        var textForID: [Int: String] = [:]
        var typeForID: [Int: VocabularyTokenType] = [:]
        func assign(_ text: String, _ rawID: TokenizerJSONValue, type: VocabularyTokenType, field: String) throws {
            guard let id = rawID.intValue, id >= 0, id < Int(Int32.max) else {
                throw TokenizerError.invalidTokenizerJSON("\(field) \(text.debugDescription) has an invalid id")
            }
            if let existing = textForID[id], !existing.utf8.elementsEqual(text.utf8) {
                throw TokenizerError.invalidTokenizerJSON("id \(id) is used by both \(existing.debugDescription) and \(text.debugDescription)")
            }
            textForID[id] = text
            typeForID[id] = type
        }
        for (text, id) in vocab {
            try assign(text, id, type: .normal, field: "vocab entry")
        }
        for added in root["added_tokens"]?.arrayValue ?? [] {
            guard let content = added["content"]?.stringValue, let id = added["id"] else {
                throw TokenizerError.invalidTokenizerJSON("an added_tokens entry lacks \"content\" or \"id\"")
            }
            let special = added["special"]?.boolValue ?? false
            try assign(content, id, type: special ? .control : .userDefined, field: "added token")
        }

        let count = (textForID.keys.max() ?? -1) + 1
        var tokens: [String] = []
        var types: [VocabularyTokenType] = []
        tokens.reserveCapacity(count)
        types.reserveCapacity(count)
        for id in 0..<count {
            guard let text = textForID[id], let type = typeForID[id] else {
                throw TokenizerError.invalidTokenizerJSON("no token has id \(id) (ids must be contiguous from 0 to \(count - 1))")
            }
            tokens.append(text)
            types.append(type)
        }

        let pairs = try Self.mergePairs(model["merges"])
        let preTokenizer = try Self.preTokenizer(root["pre_tokenizer"])
        let unknownID = model["unk_token"]?.stringValue.flatMap { unk in
            tokens.firstIndex { $0.utf8.elementsEqual(unk.utf8) }.map { Int32($0) }
        }
        try self.init(
            tokens: tokens, mergePairs: pairs, tokenTypes: types, preTokenizer: preTokenizer,
            ignoresMerges: model["ignore_merges"]?.boolValue ?? false,
            bosTokenID: bosTokenID, eosTokenID: eosTokenID, unknownTokenID: unknownID, paddingTokenID: nil,
            missingByteReplacement: unknownID)
    }

    /// `model.merges`: "a b" strings (split at the first space) or [a, b] arrays.
    private static func mergePairs(_ merges: TokenizerJSONValue?) throws -> [(String, String)] {
        guard let items = merges?.arrayValue else {
            throw TokenizerError.invalidTokenizerJSON("missing the \"model.merges\" array")
        }
        var pairs: [(String, String)] = []
        pairs.reserveCapacity(items.count)
        for (index, item) in items.enumerated() {
            if let rule = item.stringValue {
                let scalars = rule.unicodeScalars
                guard !scalars.isEmpty,
                      let space = scalars[scalars.index(after: scalars.startIndex)...].firstIndex(of: " ")
                else {
                    throw TokenizerError.invalidMerge(index: index, rule: rule, reason: "expected two texts separated by a space")
                }
                pairs.append((String(scalars[..<space]), String(scalars[scalars.index(after: space)...])))
            } else if let pair = item.arrayValue, pair.count == 2,
                      let left = pair[0].stringValue, let right = pair[1].stringValue {
                pairs.append((left, right))
            } else {
                throw TokenizerError.invalidMerge(index: index, rule: "\(item)", reason: "expected \"a b\" or [\"a\", \"b\"]")
            }
        }
        return pairs
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
