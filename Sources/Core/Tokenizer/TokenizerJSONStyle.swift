/// Which of cfsp's tokenizers a Hugging Face `tokenizer.json` needs, decided from its model,
/// normalizer and pre-tokenizer before either reader runs, so an unsupported file gets one
/// message saying what it is and what is supported.
enum TokenizerJSONStyle: Equatable {
    /// GPT-2 style: a ByteLevel (or byte-level regex Split) pre-tokenizer, no normalizer.
    case byteLevelBPE
    /// Gemma / Llama 2 style: byte fallback, spaces as `▁`.
    case sentencePieceBPE

    init(root: TokenizerJSONValue) throws {
        guard let model = root["model"], model.objectValue != nil else {
            throw TokenizerError.invalidTokenizerJSON("missing the \"model\" object")
        }
        let type = model["type"]?.stringValue ?? "BPE"
        guard type == "BPE" else {
            throw TokenizerError.unsupportedTokenizerJSON(found: "a \"\(type)\" model")
        }
        let normalizers = Self.stageTypes(root["normalizer"], list: "normalizers")
        let preTokenizers = Self.stageTypes(root["pre_tokenizer"], list: "pretokenizers")
        if model["byte_fallback"]?.boolValue == true || preTokenizers.contains("Metaspace")
            || normalizers.contains("Replace") || normalizers.contains("Prepend") {
            self = .sentencePieceBPE
        } else if preTokenizers.contains("ByteLevel") || preTokenizers.contains("Split") {
            self = .byteLevelBPE
        } else {
            let normalizer = normalizers.isEmpty ? "none" : normalizers.joined(separator: ", ")
            let preTokenizer = preTokenizers.isEmpty ? "none" : preTokenizers.joined(separator: ", ")
            throw TokenizerError.unsupportedTokenizerJSON(
                found: "a BPE model without byte_fallback, with normalizer \(normalizer) and pre_tokenizer \(preTokenizer)")
        }
    }

    /// The `type` of each stage of a configuration that may be a `Sequence` (none for null).
    private static func stageTypes(_ config: TokenizerJSONValue?, list: String) -> [String] {
        guard let config, !config.isNull else { return [] }
        let stages = config["type"]?.stringValue == "Sequence" ? (config[list]?.arrayValue ?? []) : [config]
        return stages.map { $0["type"]?.stringValue ?? "untyped" }
    }
}
