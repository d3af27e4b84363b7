import Kernels

extension GGUFFile {
    /// Architectures whose blocks are plain LLaMA blocks: `deci` (NVIDIA's Nemotron-NAS variant)
    /// only adds per-layer FFN widths, which is how cfsp exports pruned models.
    public static let supportedArchitectures = ["llama", "deci"]

    /// The model's configuration from `{arch}.*` metadata, checked against the tensor table.
    ///
    /// Per-layer FFN widths are read from the `ffn_gate` shapes and must agree with
    /// `{arch}.feed_forward_length` (a scalar, or one width per layer for `deci`). Q/K rows are
    /// stored permuted by llama.cpp's converter, so `ropeLayout` is `.interleaved`.
    /// - Throws: `GGUFError` naming the missing key or tensor, the contradicting shape, or the
    ///   unsupported architecture.
    public func llamaConfig() throws -> LlamaConfig {
        let archKey = "general.architecture"
        guard let archValue = metadata[archKey] else { throw GGUFError.missingMetadata(key: archKey) }
        guard let arch = archValue.string else {
            throw GGUFError.metadataTypeMismatch(key: archKey, expected: "a string", found: archValue.typeDescription)
        }
        guard Self.supportedArchitectures.contains(arch) else { throw GGUFError.unsupportedArchitecture(arch) }

        let layers = try positiveInt("\(arch).block_count")
        let hidden = try positiveInt("\(arch).embedding_length")
        let heads = try uniformPerLayer("\(arch).attention.head_count", layers: layers)
        let kvHeads = try uniformPerLayer("\(arch).attention.head_count_kv", layers: layers, default: heads)
        guard heads % kvHeads == 0 else {
            throw GGUFError.inconsistentModel("\(heads) attention heads are not a multiple of \(kvHeads) KV heads")
        }
        let headDim = try optionalPositiveInt("\(arch).attention.key_length")
            ?? optionalPositiveInt("\(arch).rope.dimension_count")
            ?? (hidden % heads == 0 ? hidden / heads : nil)
        guard let headDim else {
            throw GGUFError.inconsistentModel("hidden size \(hidden) is not divisible by \(heads) heads and no head size key is present")
        }
        if let valueDim = try optionalPositiveInt("\(arch).attention.value_length"), valueDim != headDim {
            throw GGUFError.inconsistentModel("value head size \(valueDim) differs from key head size \(headDim)")
        }
        let eps = try float("\(arch).attention.layer_norm_rms_epsilon")
        let ropeTheta = try optionalFloat("\(arch).rope.freq_base") ?? 10_000
        let contextLength = try positiveInt("\(arch).context_length")

        guard let embedding = tensorInfo("token_embd.weight") else { throw GGUFError.tensorNotFound("token_embd.weight") }
        guard embedding.shape.count == 2, embedding.shape[1] == hidden else {
            throw GGUFError.tensorShapeMismatch(tensor: "token_embd.weight", expected: [embedding.shape.first ?? 0, hidden], actual: embedding.shape)
        }
        let vocab = embedding.shape[0]
        if let declared = try optionalPositiveInt("\(arch).vocab_size"), declared != vocab {
            throw GGUFError.inconsistentModel("\(arch).vocab_size is \(declared) but token_embd.weight has \(vocab) rows")
        }

        let ffnWidths = try feedForwardWidths(arch: arch, layers: layers, hidden: hidden)
        let qWidth = heads * headDim
        let kvWidth = kvHeads * headDim
        for layer in 0..<layers {
            let p = "blk.\(layer)."
            try expectShape(p + "attn_norm.weight", [hidden])
            try expectShape(p + "attn_q.weight", [qWidth, hidden])
            try expectShape(p + "attn_k.weight", [kvWidth, hidden])
            try expectShape(p + "attn_v.weight", [kvWidth, hidden])
            try expectShape(p + "attn_output.weight", [hidden, qWidth])
            try expectShape(p + "ffn_norm.weight", [hidden])
            try expectShape(p + "ffn_up.weight", [ffnWidths[layer], hidden])
            try expectShape(p + "ffn_down.weight", [hidden, ffnWidths[layer]])
        }
        try expectShape("output_norm.weight", [hidden])
        let tied = tensorInfo("output.weight") == nil
        if !tied { try expectShape("output.weight", [vocab, hidden]) }

        return LlamaConfig(
            architecture: arch, vocabSize: vocab, hiddenSize: hidden, intermediateSizes: ffnWidths,
            numHeads: heads, numKVHeads: kvHeads, headDim: headDim, rmsNormEps: eps, ropeTheta: ropeTheta,
            contextLength: contextLength, tieWordEmbeddings: tied, ropeLayout: .interleaved
        )
    }

    /// FFN widths from the `ffn_gate` shapes, checked against `{arch}.feed_forward_length`.
    private func feedForwardWidths(arch: String, layers: Int, hidden: Int) throws -> [Int] {
        let key = "\(arch).feed_forward_length"
        guard let value = metadata[key] else { throw GGUFError.missingMetadata(key: key) }
        let declared: [Int]
        if let scalar = value.int {
            declared = Array(repeating: scalar, count: layers)
        } else if let perLayer = value.intArray {
            guard perLayer.count == layers else {
                throw GGUFError.invalidMetadata(key: key, reason: "has \(perLayer.count) widths for \(layers) blocks")
            }
            declared = perLayer
        } else {
            throw GGUFError.metadataTypeMismatch(key: key, expected: "an integer or an array of integers", found: value.typeDescription)
        }
        var widths: [Int] = []
        for layer in 0..<layers {
            let name = "blk.\(layer).ffn_gate.weight"
            guard let gate = tensorInfo(name) else { throw GGUFError.tensorNotFound(name) }
            guard gate.shape.count == 2, gate.shape[1] == hidden else {
                throw GGUFError.tensorShapeMismatch(tensor: name, expected: [declared[layer], hidden], actual: gate.shape)
            }
            guard gate.shape[0] == declared[layer] else {
                throw GGUFError.inconsistentModel("\(key) gives block \(layer) an FFN width of \(declared[layer]), but \(name) has shape \(gate.shape)")
            }
            widths.append(gate.shape[0])
        }
        return widths
    }

    private func expectShape(_ name: String, _ expected: [Int]) throws {
        guard let info = tensorInfo(name) else { throw GGUFError.tensorNotFound(name) }
        guard info.shape == expected else {
            throw GGUFError.tensorShapeMismatch(tensor: name, expected: expected, actual: info.shape)
        }
    }

    private func optionalPositiveInt(_ key: String) throws -> Int? {
        guard let value = metadata[key] else { return nil }
        guard let v = value.int else {
            throw GGUFError.metadataTypeMismatch(key: key, expected: "an integer", found: value.typeDescription)
        }
        guard v > 0 else { throw GGUFError.invalidMetadata(key: key, reason: "must be positive, is \(v)") }
        return v
    }

    private func positiveInt(_ key: String) throws -> Int {
        guard let v = try optionalPositiveInt(key) else { throw GGUFError.missingMetadata(key: key) }
        return v
    }

    /// A per-layer count stored as a scalar or as an array whose entries must all be equal
    /// (`LlamaConfig` has one head count for all blocks).
    private func uniformPerLayer(_ key: String, layers: Int, default fallback: Int? = nil) throws -> Int {
        guard let value = metadata[key] else {
            if let fallback { return fallback }
            throw GGUFError.missingMetadata(key: key)
        }
        if value.int != nil { return try positiveInt(key) }
        guard let items = value.intArray else {
            throw GGUFError.metadataTypeMismatch(key: key, expected: "an integer or an array of integers", found: value.typeDescription)
        }
        guard items.count == layers else {
            throw GGUFError.invalidMetadata(key: key, reason: "has \(items.count) entries for \(layers) blocks")
        }
        guard let first = items.first, first > 0, items.allSatisfy({ $0 == first }) else {
            throw GGUFError.invalidMetadata(key: key, reason: "per-block values \(items) differ or are zero; cfsp supports one positive value for all blocks")
        }
        return first
    }

    private func optionalFloat(_ key: String) throws -> Float? {
        guard let value = metadata[key] else { return nil }
        guard let v = value.float else {
            throw GGUFError.metadataTypeMismatch(key: key, expected: "a number", found: value.typeDescription)
        }
        guard v.isFinite, v > 0 else { throw GGUFError.invalidMetadata(key: key, reason: "must be a positive finite number, is \(v)") }
        return v
    }

    private func float(_ key: String) throws -> Float {
        guard let v = try optionalFloat(key) else { throw GGUFError.missingMetadata(key: key) }
        return v
    }
}
