/// The metadata of an exported GGUF file: `general.*`, the architecture's hyperparameters and
/// the source file's tokenizer.
enum GGUFExportMetadata {
    /// `general.*` keys that describe the source file's storage, not the model, and are
    /// therefore recomputed (or dropped) rather than copied.
    static let regeneratedGeneralKeys: Set<String> = [
        "general.architecture", "general.alignment", "general.file_type", "general.quantization_version",
    ]

    /// How `config` is written: the family's export rule (`Architecture.ggufExport`), e.g.
    /// `llama` when every block has the same FFN width and `deci` when widths differ.
    static func rule(for config: LlamaConfig) throws -> GGUFExportRule {
        try config.family.ggufExport(config)
    }

    /// Every entry, in the order written.
    static func entries(
        config: LlamaConfig, precision: ExportPrecision, source: GGUFFile?, name: String?
    ) throws -> [GGUFMetadataEntry] {
        let rule = try rule(for: config)
        let arch = rule.architecture
        var entries = [GGUFMetadataEntry("general.architecture", .string(arch))]
        var generalKeys = Set<String>()
        if let source {
            for key in source.metadataKeys where key.hasPrefix("general.") && !regeneratedGeneralKeys.contains(key) {
                guard let value = source.metadata[key] else { continue }
                if key == "general.name", let name {
                    entries.append(GGUFMetadataEntry(key, .string(name)))
                } else {
                    entries.append(GGUFMetadataEntry(key, value))
                }
                generalKeys.insert(key)
            }
        }
        if let name, !generalKeys.contains("general.name") {
            entries.append(GGUFMetadataEntry("general.name", .string(name)))
        }
        entries.append(GGUFMetadataEntry("general.file_type", .uint32(precision.ggufFileType)))
        if precision.isQuantized {
            // ggml's GGML_QNT_VERSION: the block layouts written are those of version 2.
            entries.append(GGUFMetadataEntry("general.quantization_version", .uint32(2)))
        }

        let hyperparameters = try self.hyperparameters(config: config, rule: rule)
        entries += hyperparameters
        if let source {
            entries += carriedArchitectureKeys(from: source, arch: arch, except: Set(hyperparameters.map(\.key)))
            entries += try tokenizerKeys(from: source, vocabSize: config.vocabSize)
        }
        return entries
    }

    /// The `{arch}.*` keys llama.cpp reads for a block, then the family's own. Under `deci`,
    /// the FFN width and both head counts are per-layer arrays, as llama.cpp's deci loader reads them.
    static func hyperparameters(config: LlamaConfig, rule: GGUFExportRule) throws -> [GGUFMetadataEntry] {
        let arch = rule.architecture
        func u32(_ value: Int, _ what: String) throws -> GGUFValue {
            guard let v = UInt32(exactly: value) else {
                throw ExportError.unsupportedModel("\(what) \(value) does not fit GGUF's 32-bit field")
            }
            return .uint32(v)
        }
        func perLayer(_ values: [Int], _ what: String) throws -> GGUFValue {
            .array(.int32, try values.map { value in
                guard let v = Int32(exactly: value) else {
                    throw ExportError.unsupportedModel("\(what) \(value) does not fit GGUF's 32-bit field")
                }
                return .int32(v)
            })
        }
        let layers = config.numLayers
        let p = arch + "."
        var entries = [
            GGUFMetadataEntry(p + "vocab_size", try u32(config.vocabSize, "vocabulary size")),
            GGUFMetadataEntry(p + "context_length", try u32(config.contextLength, "context length")),
            GGUFMetadataEntry(p + "embedding_length", try u32(config.hiddenSize, "hidden size")),
            GGUFMetadataEntry(p + "block_count", try u32(layers, "block count")),
        ]
        if rule.perLayerArrays {
            entries += [
                GGUFMetadataEntry(p + "feed_forward_length", try perLayer(config.intermediateSizes, "FFN width")),
                GGUFMetadataEntry(p + "attention.head_count", try perLayer((0..<layers).map { config.heads(layer: $0) }, "head count")),
                GGUFMetadataEntry(p + "attention.head_count_kv", try perLayer((0..<layers).map { config.kvHeads(layer: $0) }, "KV head count")),
            ]
        } else {
            entries += [
                GGUFMetadataEntry(p + "feed_forward_length", try u32(config.intermediateSizes.first ?? 0, "FFN width")),
                GGUFMetadataEntry(p + "attention.head_count", try u32(config.numHeads, "head count")),
                GGUFMetadataEntry(p + "attention.head_count_kv", try u32(config.numKVHeads, "KV head count")),
            ]
        }
        entries += [
            GGUFMetadataEntry(p + "attention.key_length", try u32(config.headDim, "head size")),
            GGUFMetadataEntry(p + "attention.value_length", try u32(config.headDim, "head size")),
            GGUFMetadataEntry(p + "rope.dimension_count", try u32(config.headDim, "rotary dimension count")),
            GGUFMetadataEntry(p + "rope.freq_base", .float32(config.ropeTheta)),
            GGUFMetadataEntry(p + "attention.layer_norm_rms_epsilon", .float32(config.rmsNormEps)),
        ]
        entries += rule.extraEntries.map { GGUFMetadataEntry(p + $0.key, $0.value) }
        return entries
    }

    /// The source's own `{sourceArch}.*` keys that cfsp does not compute (rope scaling and the
    /// like), renamed to the exported architecture so nothing the source said is lost.
    static func carriedArchitectureKeys(from source: GGUFFile, arch: String, except written: Set<String>) -> [GGUFMetadataEntry] {
        guard let sourceArch = source.architecture, !sourceArch.isEmpty else { return [] }
        let prefix = sourceArch + "."
        return source.metadataKeys.compactMap { key in
            guard key.hasPrefix(prefix), let value = source.metadata[key] else { return nil }
            let renamed = arch + "." + key.dropFirst(prefix.count)
            return written.contains(renamed) ? nil : GGUFMetadataEntry(renamed, value)
        }
    }

    /// Every `tokenizer.*` key of the source, after checking that its vocabulary matches the
    /// model's embedding rows (llama.cpp refuses a file where they differ).
    static func tokenizerKeys(from source: GGUFFile, vocabSize: Int) throws -> [GGUFMetadataEntry] {
        if let tokens = source.metadata["tokenizer.ggml.tokens"]?.array, tokens.count != vocabSize {
            throw ExportError.tokenizerMismatch(
                "the source file lists \(tokens.count) tokens but the model has \(vocabSize) embedding rows")
        }
        return source.metadataKeys.compactMap { key in
            guard key.hasPrefix("tokenizer."), let value = source.metadata[key] else { return nil }
            return GGUFMetadataEntry(key, value)
        }
    }
}
