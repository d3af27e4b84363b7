/// Writes the Hugging Face `tokenizer.json` (the `tokenizers` library's format) of the
/// tokenizer a GGUF file describes, so that transformers' `PreTrainedTokenizerFast`, cfsp's own
/// `tokenizer.json` reader and `makeTokenizer(metadata:)` encode every text to the same ids.
///
/// - `gpt2` (byte-level BPE, SmolLM2, Llama 3): the vocabulary and merges as they are; the
///   pre-tokenizer `tokenizer.ggml.pre` names (`PreTokenizer(ggufName:)`): digits one by one
///   then GPT-2's regex for `smollm`, GPT-2's regex for `gpt2`/`default`, Llama 3's regex (and
///   `ignore_merges`) for `llama-bpe`. No unknown token in the model, so a byte without a token
///   is dropped, as llama.cpp drops it.
/// - `llama` (SentencePiece, Gemma, Llama 2): a BPE model with byte fallback whose merges are
///   recovered from the scores (`SentencePieceMergeList`); spaces become `▁` in a normalizer,
///   with a `▁` prepended to each piece of text when `add_space_prefix` (llama.cpp's default)
///   says so; the text is not split at spaces (llama.cpp merges across them).
/// - Control, user-defined and unknown tokens are `added_tokens` (control and unknown ones
///   `special`), matched whole in the raw text as llama.cpp matches them.
/// - A post-processor adds BOS (and EOS) when `add_bos_token` (`add_eos_token`) says so, with
///   llama.cpp's default (BPE no, SentencePiece yes) when the key is absent.
public enum TokenizerJSONWriter {
    /// The `tokenizer.json` bytes for `meta`.
    /// - Throws: `TokenizerError.unsupportedModel` or `.unsupportedPreTokenizer` for a tokenizer
    ///   cfsp does not implement, `.notExpressibleAsTokenizerJSON` when two tokens share a text
    ///   (tokenizer.json's vocabulary is keyed by text), or the tokenizer's own validation errors.
    public static func json(for meta: GGUFTokenizerMetadata) throws -> [UInt8] {
        // Validates everything the writer relies on (types, ids, merges, pre-tokenizer) once.
        let tokenizer = try makeTokenizer(metadata: meta)
        let types = meta.tokenTypes.isEmpty
            ? [VocabularyTokenType](repeating: .normal, count: meta.tokens.count)
            : meta.tokenTypes.map { VocabularyTokenType(rawValue: Int32(truncatingIfNeeded: $0)) ?? .normal }
        try checkDistinct(meta.tokens)

        var out = JSONTextWriter(capacity: meta.tokens.count * 40 + meta.merges.count * 24)
        out.raw("{\n  ")
        out.key("version"); out.raw("\"1.0\",\n  ")
        out.key("truncation"); out.raw("null,\n  ")
        out.key("padding"); out.raw("null,\n  ")
        out.key("added_tokens")
        writeAddedTokens(meta.tokens, types, to: &out)
        out.raw(",\n  ")
        switch meta.model {
        case "gpt2":
            let pre = try PreTokenizer(ggufName: meta.preTokenizer ?? "default")
            out.key("normalizer"); out.raw("null,\n  ")
            out.key("pre_tokenizer"); out.raw(byteLevelPreTokenizer(pre) + ",\n  ")
            out.key("post_processor"); out.raw(postProcessor(tokenizer, meta: meta) ?? byteLevelStage)
            out.raw(",\n  ")
            out.key("decoder"); out.raw(byteLevelStage + ",\n  ")
            var pairs: [(String, String)] = []
            pairs.reserveCapacity(meta.merges.count)
            for (index, rule) in meta.merges.enumerated() {
                pairs.append(try BPETokenizer.splitMergeRule(rule, index: index))
            }
            writeModel(
                tokens: meta.tokens, merges: pairs, unknown: nil, fuseUnknown: false, byteFallback: false,
                ignoreMerges: pre.pattern == .llama3, to: &out)
        case "llama":
            let prefix = meta.addSpacePrefix ?? true
            let replace = #"{"type": "Replace", "pattern": {"String": " "}, "content": "▁"}"#
            out.key("normalizer")
            out.raw(prefix ? #"{"type": "Sequence", "normalizers": [{"type": "Prepend", "prepend": "▁"}, "# + replace + "]}" : replace)
            out.raw(",\n  ")
            out.key("pre_tokenizer"); out.raw("null,\n  ")
            out.key("post_processor"); out.raw(postProcessor(tokenizer, meta: meta) ?? "null")
            out.raw(",\n  ")
            out.key("decoder")
            out.raw(#"{"type": "Sequence", "decoders": [{"type": "Replace", "pattern": {"String": "▁"}, "content": " "}, {"type": "ByteFallback"}, {"type": "Fuse"}"#
                + (prefix ? #", {"type": "Strip", "content": " ", "start": 1, "stop": 0}"# : "") + "]},\n  ")
            let merges = SentencePieceMergeList.merges(tokens: meta.tokens, scores: meta.scores) { !types[$0].isMatchedWhole }
            writeModel(
                tokens: meta.tokens, merges: merges.map { (meta.tokens[Int($0.left)], meta.tokens[Int($0.right)]) },
                unknown: meta.unknownTokenID.map { meta.tokens[$0] }, fuseUnknown: false, byteFallback: true,
                ignoreMerges: false, to: &out)
        default:
            throw TokenizerError.unsupportedModel(meta.model)
        }
        out.raw("\n}\n")
        return out.bytes
    }

    /// The ByteLevel stage as a decoder or offset-only post-processor (GPT-2's settings).
    private static let byteLevelStage = #"{"type": "ByteLevel", "add_prefix_space": true, "trim_offsets": true, "use_regex": true}"#

    /// The pre-tokenizer stages reproducing `pre`: Digits, then ByteLevel with GPT-2's regex,
    /// or a Split on Llama 3's regex before a regex-free ByteLevel.
    static func byteLevelPreTokenizer(_ pre: PreTokenizer) -> String {
        var stages: [String] = []
        if pre.isolatesDigits { stages.append(#"{"type": "Digits", "individual_digits": true}"#) }
        switch pre.pattern {
        case .gpt2:
            stages.append(#"{"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": true}"#)
        case .llama3:
            stages.append(#"{"type": "Split", "pattern": {"Regex": "# + JSONTextWriter.literal(pre.pattern.regex)
                          + #"}, "behavior": "Isolated", "invert": false}"#)
            stages.append(#"{"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": false}"#)
        }
        return stages.count == 1 ? stages[0] : #"{"type": "Sequence", "pretokenizers": ["# + stages.joined(separator: ", ") + "]}"
    }

    /// A TemplateProcessing that puts BOS before (and EOS after) each sequence, as the
    /// tokenizer's `addsBOSToken` and GGUF's `add_eos_token` say; nil when it adds nothing.
    static func postProcessor(_ tokenizer: any TextTokenizer, meta: GGUFTokenizerMetadata) -> String? {
        let bos = tokenizer.addsBOSToken ? tokenizer.bosTokenID.map { meta.tokens[Int($0)] } : nil
        let eos = meta.addEOSToken == true ? tokenizer.eosTokenID.map { meta.tokens[Int($0)] } : nil
        guard bos != nil || eos != nil else { return nil }
        func special(_ text: String, _ typeID: Int) -> String {
            #"{"SpecialToken": {"id": "# + JSONTextWriter.literal(text) + #", "type_id": \#(typeID)}}"#
        }
        func sequence(_ id: String, _ typeID: Int) -> [String] {
            (bos.map { [special($0, typeID)] } ?? []) + [#"{"Sequence": {"id": "\#(id)", "type_id": \#(typeID)}}"#]
                + (eos.map { [special($0, typeID)] } ?? [])
        }
        var specials: [String] = []
        for (text, id) in [(bos, tokenizer.bosTokenID), (eos, tokenizer.eosTokenID)] {
            guard let text, let id, !specials.contains(where: { $0.hasPrefix(JSONTextWriter.literal(text)) }) else { continue }
            let literal = JSONTextWriter.literal(text)
            specials.append(literal + #": {"id": "# + literal + #", "ids": [\#(id)], "tokens": ["# + literal + "]}")
        }
        return #"{"type": "TemplateProcessing", "single": ["# + sequence("A", 0).joined(separator: ", ")
            + #"], "pair": ["# + (sequence("A", 0) + sequence("B", 1)).joined(separator: ", ")
            + #"], "special_tokens": {"# + specials.joined(separator: ", ") + "}}"
    }

    /// Every token matched whole in the text, in id order.
    private static func writeAddedTokens(_ tokens: [String], _ types: [VocabularyTokenType], to out: inout JSONTextWriter) {
        out.raw("[")
        var first = true
        for (id, type) in types.enumerated() where type.isMatchedWhole {
            out.raw(first ? "\n    " : ",\n    ")
            first = false
            out.raw("{\"id\": \(id), \"content\": ")
            out.string(tokens[id])
            out.raw(", \"single_word\": false, \"lstrip\": false, \"rstrip\": false, \"normalized\": false, \"special\": ")
            out.raw(type == .userDefined ? "false}" : "true}")
        }
        out.raw(first ? "]" : "\n  ]")
    }

    private static func writeModel(
        tokens: [String], merges: [(String, String)], unknown: String?, fuseUnknown: Bool, byteFallback: Bool,
        ignoreMerges: Bool, to out: inout JSONTextWriter
    ) {
        out.key("model")
        out.raw("{\n    \"type\": \"BPE\", \"dropout\": null, \"unk_token\": ")
        out.stringOrNull(unknown)
        out.raw(", \"continuing_subword_prefix\": null, \"end_of_word_suffix\": null, ")
        out.raw("\"fuse_unk\": \(fuseUnknown), \"byte_fallback\": \(byteFallback), \"ignore_merges\": \(ignoreMerges),\n    ")
        out.key("vocab")
        out.raw("{")
        for (id, text) in tokens.enumerated() {
            out.raw(id == 0 ? "\n      " : ",\n      ")
            out.key(text)
            out.raw(String(id))
        }
        out.raw("\n    },\n    ")
        out.key("merges")
        out.raw("[")
        for (index, merge) in merges.enumerated() {
            out.raw(index == 0 ? "\n      [" : ",\n      [")
            out.string(merge.0)
            out.raw(", ")
            out.string(merge.1)
            out.raw("]")
        }
        out.raw(merges.isEmpty ? "]\n  }" : "\n    ]\n  }")
    }

    /// Throws unless every token's text (as bytes) is unique.
    private static func checkDistinct(_ tokens: [String]) throws {
        var seen: [[UInt8]: Int] = [:]
        seen.reserveCapacity(tokens.count)
        for (id, text) in tokens.enumerated() {
            if let earlier = seen.updateValue(id, forKey: Array(text.utf8)) {
                throw TokenizerError.notExpressibleAsTokenizerJSON(
                    "tokens \(earlier) and \(id) have the same text \(text.debugDescription), and tokenizer.json's vocabulary is keyed by text")
            }
        }
    }
}
