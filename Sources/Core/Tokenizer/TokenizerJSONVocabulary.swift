/// The vocabulary of a Hugging Face `tokenizer.json`: `model.vocab` and `added_tokens` as one
/// id-ordered list of texts and kinds, plus `model.merges` as pairs. Shared by the byte-level
/// BPE and SentencePiece readers, which differ only in what they do with it.
struct TokenizerJSONVocabulary {
    /// Token texts indexed by id.
    var tokens: [String]
    /// Token kinds indexed by id: vocabulary entries are normal, special added tokens control,
    /// other added tokens user-defined.
    var types: [VocabularyTokenType]

    /// Reads `model.vocab` and `added_tokens`; ids must be contiguous from 0.
    init(root: TokenizerJSONValue) throws {
        guard let vocab = root["model"]?["vocab"]?.objectValue else {
            throw TokenizerError.invalidTokenizerJSON("missing the \"model.vocab\" object")
        }
        var textForID: [Int: String] = [:]
        var typeForID: [Int: VocabularyTokenType] = [:]
        textForID.reserveCapacity(vocab.count)
        typeForID.reserveCapacity(vocab.count)
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

        // Distinct ids are contiguous from 0 exactly when each of 0..<entries is present: checked
        // before anything is sized, since a corrupt file's largest id can be 2^31 - 2.
        let count = textForID.count
        var tokens: [String] = []
        var types: [VocabularyTokenType] = []
        tokens.reserveCapacity(count)
        types.reserveCapacity(count)
        for id in 0..<count {
            guard let text = textForID[id], let type = typeForID[id] else {
                let largest = textForID.keys.max() ?? 0
                throw TokenizerError.invalidTokenizerJSON("no token has id \(id) (ids must be contiguous from 0 to \(largest))")
            }
            tokens.append(text)
            types.append(type)
        }
        self.tokens = tokens
        self.types = types
    }

    /// `model.merges`: "a b" strings (split at the first space after the first character) or
    /// [a, b] arrays, in rank order.
    static func mergePairs(_ merges: TokenizerJSONValue?) throws -> [(String, String)] {
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
}
