import Kernels

/// One model family as cfsp reads, runs and writes it: the single place that says how a family
/// differs from the plain LLaMA block. A family is one file in this folder that declares its
/// description (`Llama.swift`, `Qwen2.swift`, ...) and one entry in `Architecture.all`.
///
/// What a description holds:
/// - the GGUF `general.architecture` names and Hugging Face `model_type`s it reads, and the
///   Hugging Face class it writes;
/// - tensor names per format (`TensorNaming` tables, overridden part by part where a family
///   differs) — which tensors exist follows from the config's switches;
/// - the rotary layout of each format's Q/K rows, and the norm convention (Gemma stores w for
///   an effective 1 + w in Hugging Face folders; GGUF converters fold the 1 in);
/// - how the family's own keys set the config's switches (biases, norms, activation,
///   embedding scale, attention scale, sliding windows, rotary scaling), per format;
/// - the export rule: which GGUF architecture llama.cpp runs it as, and when it cannot.
public struct Architecture: Sendable {
    /// cfsp's name for the family (`LlamaConfig.architecture`).
    public let name: String
    /// GGUF `general.architecture` values read as this family.
    public let ggufNames: [String]
    /// Hugging Face `model_type` -> the `architectures` class written for it; the first is the default.
    public let huggingFaceModelTypes: [(modelType: String, className: String)]
    /// Rotary pairing of Q/K rows in this family's GGUF files (llama.cpp's converter permutes
    /// LLaMA's rows to interleaved pairs; NEOX-style families keep Hugging Face's halves).
    public let ggufRotaryLayout: RotaryLayout
    /// Tensor names in Hugging Face folders.
    public let huggingFaceNaming: TensorNaming
    /// Added to every RMSNorm weight read from a Hugging Face folder (and subtracted on write):
    /// 1 for Gemma, whose norms compute x * (1 + w); cfsp keeps the effective weight, as GGUF does.
    public let huggingFaceNormOffset: Float
    /// `tie_word_embeddings` when config.json omits it (transformers' per-class default).
    let huggingFaceTiesByDefault: Bool
    /// Sets the family's switches from GGUF metadata (the common keys are already read).
    let configureFromGGUF: @Sendable (inout LlamaConfig, GGUFConfigReader) throws -> Void
    /// Sets the family's switches from config.json (the common keys are already read).
    let configureFromHuggingFace: @Sendable (inout LlamaConfig, HuggingFaceConfigKeys) throws -> Void
    /// The family's own config.json fields (model_type and architectures are written by the caller).
    let huggingFaceFields: @Sendable (LlamaConfig) -> [(String, String)]
    /// How a model of this family is written as GGUF, or why it cannot be.
    let ggufExport: @Sendable (LlamaConfig) throws -> GGUFExportRule
    /// Sets every switch the family has to a value that shows when it is ignored (a window
    /// shorter than a test window, an unusual scale), for tiny seeded test models.
    let exampleSwitches: @Sendable (inout LlamaConfig) -> Void

    /// Every supported family.
    public static let all: [Architecture] = [.llama, .qwen2, .gemma3, .qwen3]

    /// The family named `name` (`LlamaConfig.architecture`).
    public static func named(_ name: String) throws -> Architecture {
        guard let found = all.first(where: { $0.name == name }) else {
            throw ModelError.invalidConfig("unknown model family '\(name)'; supported: \(all.map(\.name).joined(separator: ", "))")
        }
        return found
    }

    /// The family a GGUF file of `general.architecture` = `ggufName` belongs to.
    public static func forGGUF(_ ggufName: String) -> Architecture? { all.first { $0.ggufNames.contains(ggufName) } }

    /// The family of a Hugging Face `model_type`.
    public static func forHuggingFace(modelType: String) -> Architecture? {
        all.first { $0.huggingFaceModelTypes.contains { $0.modelType == modelType } }
    }

    /// Every GGUF architecture name cfsp reads.
    public static var supportedGGUFNames: [String] { all.flatMap(\.ggufNames) }
    /// Every Hugging Face model_type cfsp reads.
    public static var supportedModelTypes: [String] { all.flatMap { $0.huggingFaceModelTypes.map(\.modelType) } }
}

/// How one model is written as GGUF: the architecture llama.cpp runs it as, the rotary
/// layout its Q/K rows (and biases) must be in, and its family-specific metadata.
struct GGUFExportRule {
    /// `general.architecture` to write.
    var architecture: String
    /// Rotary pairing llama.cpp's graph for `architecture` applies.
    var rotaryLayout: RotaryLayout
    /// Head counts and FFN widths as per-layer arrays (`deci`).
    var perLayerArrays: Bool = false
    /// Family keys beyond the common hyperparameters (without the `{arch}.` prefix).
    var extraEntries: [(key: String, value: GGUFValue)] = []
    /// Caveats to report (something the target runtime will not apply).
    var notes: [String] = []
}

/// Why a family cannot be written as GGUF with per-layer FFN widths (or per-layer heads, or a
/// removed sublayer), and what to do instead.
func perLayerWidthsRefused(_ family: String, _ config: LlamaConfig) -> ExportError {
    if config.hasPerLayerAttention || config.intermediateSizes.contains(0) {
        return .unsupportedModel(
            "llama.cpp's '\(family)' architecture gives every block the same head counts and both sublayers, and no architecture it has runs \(family)'s blocks with per-layer heads or removed sublayers; prune with structures: [\"ffn\"] and uniformWidths: true to export a GGUF llama.cpp loads")
    }
    return .unsupportedModel(
        "llama.cpp's '\(family)' architecture creates every FFN tensor with one width, and no architecture it has runs \(family)'s blocks with per-layer widths; prune with uniformWidths: true (the same width in every block, neurons still chosen by the scores) to export a GGUF llama.cpp loads, or export as a Hugging Face folder")
}
