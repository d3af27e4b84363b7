import Kernels

/// What a Hugging Face export wrote, and anything the caller should know about it.
public struct HuggingFaceExportResult: Sendable, Equatable {
    /// The folder written.
    public var path: String
    /// Whether the folder holds a `tokenizer.json` (built from GGUF metadata or copied).
    public var hasTokenizer: Bool
    /// Whether the folder holds `modeling_cfsp.py` (per-layer widths: load it with
    /// `trust_remote_code=True`).
    public var hasModelingFile: Bool
    /// The tensors and data bytes of each stored dtype (`F32`, `BF16`...).
    public var tensorTally: [TensorTypeTally]
    /// Caveats in plain words (no tokenizer.json, per-layer widths, a bias, ...).
    public var notes: [String]
}

/// Writes a `LlamaModel` as a Hugging Face folder that transformers and cfsp's
/// `HuggingFaceFolder` load: `config.json`, `model.safetensors`, the tokenizer files and, for
/// per-layer FFN widths, `modeling_cfsp.py`.
///
/// - Q/K rows are written in Hugging Face's rotate-half order, permuting a GGUF-loaded model's
///   interleaved rows back.
/// - One FFN width for every block: the family's stock class loads the folder.
/// - Per-layer FFN widths go to `config.json` as `intermediate_sizes` (with `intermediate_size`
///   the widest), with `auto_map` naming the classes of `modeling_cfsp.py`
///   (`HuggingFaceModelingFile`), which build each block's MLP at its width:
///   `AutoModelForCausalLM.from_pretrained(folder, trust_remote_code=True)` loads it.
/// - The tokenizer: from a GGUF source, `tokenizer.json` is built from its metadata
///   (`TokenizerJSONWriter`) with `tokenizer_config.json` and `generation_config.json`; from a
///   Hugging Face source, its tokenizer files are copied. The special token ids go to config.json.
/// - A pruned model's `provenance` goes to config.json under `cfsp`.
/// - A tied output head is not written (`tie_word_embeddings: true`).
/// - A FLAP down bias is written as `model.layers.N.mlp.down_proj.bias`; cfsp applies it,
///   transformers (`mlp_bias: false`) does not.
public enum HuggingFaceExporter {
    /// Exports `model` to the folder `path` (made, with its parents, when missing).
    /// - Parameters:
    ///   - precision: storage type of every tensor: f32, f16 or bf16 (the quantized types are GGUF's).
    ///   - tokenizer: where the tokenizer files come from; none: the folder has no tokenizer.
    ///   - provenance: how a pruned model was made, recorded in config.json.
    ///   - overwrite: replace an existing folder at `path` (otherwise that is an error).
    /// - Throws: `ExportError.unsupportedPrecision` for a quantized precision,
    ///   `ExportError.unsupportedModel` for per-layer heads or a removed sublayer, `HuggingFaceError`
    ///   or `SafetensorsError` if the folder cannot be written; on any failure nothing is left at `path`.
    @discardableResult
    public static func export(
        _ model: LlamaModel, to path: String, precision: ExportPrecision = .f32,
        tokenizer: HuggingFaceTokenizerSource? = nil, provenance: PruningProvenance? = nil, overwrite: Bool = false
    ) throws -> HuggingFaceExportResult {
        guard let dtype = precision.safetensorsDType else {
            throw ExportError.unsupportedPrecision(precision, format: "Hugging Face safetensors")
        }
        var config = model.config
        // modeling_cfsp.py builds per-layer MLP widths only; per-layer heads and removed
        // sublayers have no class to load them into.
        if config.hasPerLayerAttention || config.intermediateSizes.contains(0) {
            throw ExportError.unsupportedModel(
                "this model has per-layer attention heads or removed sublayers (attention or depth pruning), which the Hugging Face export cannot describe (its modeling_cfsp.py builds per-layer FFN widths only); export it as GGUF (llama.cpp's deci architecture holds per-layer heads and removed sublayers), or prune with structures: [\"ffn\"] for a Hugging Face folder")
        }
        config.ropeLayout = .rotateHalf
        let family = try config.family
        let tensors = try ExportTensorList.tensors(of: model, naming: family.huggingFaceNaming, layout: .rotateHalf,
                                               normOffset: family.huggingFaceNormOffset).map { tensor in
            SafetensorsTensor(name: tensor.name, shape: tensor.shape, values: try tensor.values(), dtype: dtype)
        }
        var notes: [String] = []
        var files: [HuggingFaceFolderFile] = []
        var configFields: [(String, String)] = []
        if let tokenizer {
            do {
                let made = try HuggingFaceTokenizerFiles.files(for: tokenizer, contextLength: config.contextLength)
                files += made.files
                configFields += made.specialTokens.fields
            } catch let error as TokenizerError {
                notes.append("no tokenizer.json written: \(error)")
            }
        } else {
            notes.append("no tokenizer.json written: no tokenizer was given; copy the original model's tokenizer files into the folder")
        }
        let modeling = try HuggingFaceModelingFile.make(for: config)
        if let modeling {
            files.append(.contents(name: HuggingFaceModelingFile.fileName, bytes: Array(modeling.source.utf8)))
            configFields += modeling.configFields
            notes.append("per-layer FFN widths: config.json's intermediate_sizes and \(HuggingFaceModelingFile.fileName) (load with trust_remote_code=True); the stock transformers class cannot hold this model")
        }
        if let provenance {
            configFields.append(("cfsp", provenance.configJSON))
        }
        try HuggingFaceFolderWriter.write(
            config: config, tensors: tensors, files: files, configFields: configFields, to: path, overwrite: overwrite)

        if model.blocks.contains(where: { $0.downBias != nil }) {
            notes.append("FFN down biases written as model.layers.N.mlp.down_proj.bias: cfsp applies them, transformers ignores them")
        }
        return HuggingFaceExportResult(
            path: path, hasTokenizer: files.contains { $0.name == "tokenizer.json" }, hasModelingFile: modeling != nil,
            tensorTally: TensorTypeTally.tallies(tensors.map { (dtype.rawValue, $0.shape.reduce(1, *) * dtype.byteCount) }),
            notes: notes)
    }
}
