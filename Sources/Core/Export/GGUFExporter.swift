import Kernels

/// What a GGUF export wrote, and anything the caller should know about it.
public struct GGUFExportResult: Sendable, Equatable {
    /// The file written.
    public var path: String
    /// The GGUF architecture written (`llama`/`deci`, `qwen2`, `qwen3`, `gemma3`).
    public var architecture: String
    /// Number of tensors in the file.
    public var tensorCount: Int
    /// Whether the file carries `tokenizer.*` metadata (copied from the source GGUF).
    public var hasTokenizer: Bool
    /// The tensors and data bytes of each stored type (norms and biases included, as F32),
    /// the most bytes first.
    public var tensorTally: [TensorTypeTally]
    /// Caveats in plain words (no tokenizer, a bias llama.cpp ignores, tensors that fell back
    /// to another type, ...).
    public var notes: [String]

    /// How many tensors each stored type holds (read from `tensorTally`).
    public var tensorTypes: [TensorType: Int] {
        var counts: [TensorType: Int] = [:]
        for type in TensorType.allCases {
            if let tally = tensorTally.first(where: { $0.type == type.ggmlName }) { counts[type] = tally.tensors }
        }
        return counts
    }
}

/// Writes a `LlamaModel` as a GGUF file that llama.cpp and cfsp load.
///
/// - Architecture: the family's export rule (`Architecture.ggufExport`): its own llama.cpp
///   architecture when all blocks share one FFN width; with per-layer widths `deci` (whose
///   loader reads `deci.feed_forward_length` and the head counts as per-layer arrays) for
///   llama and qwen2, and an error naming the remedy for families llama.cpp runs with one
///   width only (qwen3, gemma3). The `{arch}.*` hyperparameters are written under that name.
/// - Tensors are named as llama.cpp names them; matrices are stored in the requested precision,
///   norm vectors and biases in f32 (as llama.cpp's converter does). Q/K rows (and biases) are written
///   in the rotary order llama.cpp's graph for that architecture applies.
/// - A quantized precision picks each matrix's type as `llama-quantize` does for that file type
///   (`GGUFQuantizationMix`, fallbacks included) and quantizes as ggml does (`Quantize`), so the
///   file matches what llama.cpp makes from this model's f32 export; each tensor is quantized
///   when the writer reaches it, never the whole model at once.
/// - Per-layer head counts go to `deci`'s arrays (0: no attention). A block without an FFN but
///   with attention is written with a 1-neuron FFN whose down column is zero (`DeciFFNPadding`):
///   llama.cpp's deci graph treats `feed_forward_length` 0 as "skip the whole layer", attention
///   included (checked with llama-cpp-python 0.3.36), so only blocks with neither sublayer get 0.
/// - A tied output head is not written (llama.cpp then reuses `token_embd.weight`).
/// - A FLAP down bias is written as `blk.N.ffn_down.bias`: cfsp reads it back, but llama.cpp's
///   llama/deci graphs do not apply an FFN down bias, so there such a model runs without it.
/// - A pruned model's `provenance` is written under `cfsp.*` (source, method, sparsity,
///   calibration) and names the model unless `name` does.
/// - `general.*` (except storage details) and every `tokenizer.*` key are copied from `source`,
///   the GGUF file the model was loaded from; without it the file has no tokenizer, which
///   cfsp does not need but llama.cpp does.
public enum GGUFExporter {
    /// Exports `model` to `path`.
    /// - Parameters:
    ///   - precision: storage type of the weight matrices, or the quantized mix (norms stay f32).
    ///   - source: the GGUF file the model came from, whose general and tokenizer metadata to carry.
    ///   - name: `general.name` to record (replacing the source's); without one, a pruned
    ///     model is named after its source and `provenance` ("SmolLM2 (cfsp 30%)").
    ///   - provenance: how a pruned model was made, recorded under `cfsp.*`.
    ///   - overwrite: replace an existing file at `path` (otherwise that is an error).
    /// - Throws: `ExportError` if the source tokenizer does not fit the model, `GGUFWriterError`
    ///   if the file cannot be written (or a weight cannot be quantized: NaN, infinity, or a
    ///   magnitude beyond the type's scale); on any failure no file is left at `path`.
    @discardableResult
    public static func export(
        _ model: LlamaModel, to path: String, precision: ExportPrecision = .f32, source: GGUFFile? = nil,
        name: String? = nil, provenance: PruningProvenance? = nil, overwrite: Bool = false
    ) throws -> GGUFExportResult {
        let (model, padded) = try DeciFFNPadding.padded(model)
        return try write(model, paddedBlocks: padded, to: path, precision: precision, source: source, name: name,
                         provenance: provenance, overwrite: overwrite)
    }

    /// `export`'s work for any model an export can read, loaded or streamed; `paddedBlocks`
    /// are the blocks `DeciFFNPadding` gave a 1-neuron FFN (named in the notes).
    static func write(
        _ model: some ExportableModel, paddedBlocks padded: [Int], to path: String, precision: ExportPrecision,
        source: GGUFFile?, name: String?, provenance: PruningProvenance?, overwrite: Bool
    ) throws -> GGUFExportResult {
        let config = model.config
        let metadata = try GGUFExportMetadata.entries(
            config: config, precision: precision, source: source, name: name ?? provenance?.modelName)
            + (provenance?.ggufEntries ?? [])
        let rule = try GGUFExportMetadata.rule(for: config)
        let list = ExportTensorList.tensors(of: model, naming: .gguf, layout: rule.rotaryLayout)
        let mix = GGUFQuantizationMix(
            precision: precision, layers: config.numLayers, tiedOutput: !list.contains { $0.name == "output.weight" })
        var fallbacks: [GGUFQuantizationNotes.Fallback] = []
        let tensors = list.map { tensor in
            let rowLength = tensor.shape.last ?? 1
            let choice = tensor.isVector ? nil : mix.choice(name: tensor.name, rowLength: rowLength)
            if let choice, choice.stored != choice.preferred {
                fallbacks.append(.init(name: tensor.name, rowLength: rowLength, choice: choice))
            }
            let type = choice?.stored ?? .f32
            if let rows = tensor.rows { return GGUFWriterTensor(name: tensor.name, shape: tensor.shape, type: type, rows: rows) }
            return GGUFWriterTensor(name: tensor.name, shape: tensor.shape, type: type, values: tensor.values)
        }
        try GGUFWriter.write(metadata: metadata, tensors: tensors, to: path, overwrite: overwrite)

        let hasTokenizer = metadata.contains { $0.key.hasPrefix("tokenizer.") }
        var notes = rule.notes
        if !hasTokenizer {
            notes.append("no tokenizer metadata: the model was not exported from a GGUF source, so llama.cpp cannot load this file until tokenizer.* keys are added")
        }
        if (0..<config.numLayers).contains(where: model.hasDownBias) {
            notes.append("FFN down biases written as blk.N.ffn_down.bias: cfsp applies them, llama.cpp ignores them")
        }
        if !padded.isEmpty {
            notes.append("blocks \(padded.map(String.init).joined(separator: ", ")) keep their attention without an FFN: written with a 1-neuron FFN whose down projection is zero (the same output), since llama.cpp's deci graph skips a whole layer whose feed_forward_length is 0")
        }
        notes += GGUFQuantizationNotes.describe(fallbacks, precision: precision)
        return GGUFExportResult(
            path: path, architecture: rule.architecture, tensorCount: tensors.count, hasTokenizer: hasTokenizer,
            tensorTally: TensorTypeTally.tallies(tensors.map { tensor in
                (tensor.type.ggmlName, tensor.type.byteCount(elements: tensor.shape.reduce(1, *)) ?? 0)
            }),
            notes: notes)
    }
}
