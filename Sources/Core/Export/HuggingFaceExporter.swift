import Kernels

/// What a Hugging Face export wrote, and anything the caller should know about it.
public struct HuggingFaceExportResult: Sendable, Equatable {
    /// The folder written.
    public var path: String
    /// Whether `tokenizer.json` was copied into the folder.
    public var hasTokenizer: Bool
    /// Caveats in plain words (no tokenizer.json, per-layer widths, a bias, ...).
    public var notes: [String]
}

/// Writes a `LlamaModel` as a Hugging Face folder (`config.json`, `model.safetensors`, and
/// `tokenizer.json` when one is given) that cfsp's `HuggingFaceFolder` loads back.
///
/// - Q/K rows are written in Hugging Face's rotate-half order, permuting a GGUF-loaded model's
///   interleaved rows back.
/// - Per-layer FFN widths go to `config.json` as `intermediate_sizes` (with `intermediate_size`
///   the widest): cfsp reads that, stock transformers does not.
/// - A tied output head is not written (`tie_word_embeddings: true`).
/// - A FLAP down bias is written as `model.layers.N.mlp.down_proj.bias`; cfsp applies it, stock
///   transformers (`mlp_bias: false`) does not.
/// - A model loaded from GGUF has no `tokenizer.json` (its tokenizer is GGUF metadata): the
///   folder is then written without one and the result says so.
public enum HuggingFaceExporter {
    /// Exports `model` to the folder `path`.
    /// - Parameters:
    ///   - precision: storage type of every tensor: f32, f16 or bf16 (the quantized types are GGUF's).
    ///   - tokenizerJSONPath: a `tokenizer.json` to copy in (the source folder's), if any.
    ///   - overwrite: replace an existing folder at `path` (otherwise that is an error).
    /// - Throws: `ExportError.unsupportedPrecision` for a quantized precision, `HuggingFaceError`
    ///   or `SafetensorsError` if the folder cannot be written; on any failure nothing is left at `path`.
    @discardableResult
    public static func export(
        _ model: LlamaModel, to path: String, precision: ExportPrecision = .f32, tokenizerJSONPath: String? = nil,
        overwrite: Bool = false
    ) throws -> HuggingFaceExportResult {
        guard let dtype = precision.safetensorsDType else {
            throw ExportError.unsupportedPrecision(precision, format: "Hugging Face safetensors")
        }
        var config = model.config
        config.ropeLayout = .rotateHalf
        let family = try config.family
        let tensors = ExportTensorList.tensors(of: model, naming: family.huggingFaceNaming, layout: .rotateHalf,
                                               normOffset: family.huggingFaceNormOffset).map { tensor in
            SafetensorsTensor(name: tensor.name, shape: tensor.shape, values: tensor.values(), dtype: dtype)
        }
        try HuggingFaceFolderWriter.write(
            config: config, tensors: tensors, tokenizerJSONPath: tokenizerJSONPath, to: path, overwrite: overwrite)

        var notes: [String] = []
        if tokenizerJSONPath == nil {
            notes.append("no tokenizer.json written: none was given (a model loaded from GGUF keeps its tokenizer as GGUF metadata); copy the original model's tokenizer files into the folder")
        }
        if Set(config.intermediateSizes).count > 1 {
            notes.append("per-layer FFN widths are in config.json's intermediate_sizes, which cfsp reads but stock transformers does not")
        }
        if model.blocks.contains(where: { $0.downBias != nil }) {
            notes.append("FFN down biases written as model.layers.N.mlp.down_proj.bias: cfsp applies them, stock transformers ignores them")
        }
        return HuggingFaceExportResult(path: path, hasTokenizer: tokenizerJSONPath != nil, notes: notes)
    }
}
