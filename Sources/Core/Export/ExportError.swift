/// Why a model could not be exported, with what to do about it.
public enum ExportError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The source file's tokenizer does not fit the model (`reason` says how).
    case tokenizerMismatch(String)
    /// The model's shape cannot be expressed in the target format (`reason` says why).
    case unsupportedModel(String)
    /// The format cannot store this precision (llama.cpp's quantized types exist only in GGUF).
    case unsupportedPrecision(ExportPrecision, format: String)

    public var description: String {
        switch self {
        case .tokenizerMismatch(let reason):
            return "cannot carry the source tokenizer into the export: \(reason); export without a source file or pass the file the model was loaded from"
        case .unsupportedModel(let reason):
            return "cannot export this model: \(reason)"
        case let .unsupportedPrecision(precision, format):
            return "cannot export \(format) as \(precision.rawValue): that quantized type exists only in GGUF; choose f32, f16 or bf16, or export GGUF"
        }
    }
}
