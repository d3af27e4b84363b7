import Kernels

extension GGUFFile {
    /// Every `general.architecture` cfsp reads (`Architecture.all`'s GGUF names).
    public static var supportedArchitectures: [String] { Architecture.supportedGGUFNames }

    /// The model's configuration from `{arch}.*` metadata, checked against the tensor table.
    ///
    /// The family comes from `general.architecture` (`Architecture.forGGUF`); the common
    /// hyperparameters are read here, the family's own keys by its description. Per-layer FFN
    /// widths are read from the `ffn_gate` shapes and must agree with `{arch}.feed_forward_length`
    /// (a scalar, or one width per layer for `deci`). Every tensor the config implies is then
    /// checked for presence and shape (`ModelTensorLayout`).
    /// - Throws: `GGUFError` naming the missing key or tensor, the contradicting shape, or the
    ///   unsupported architecture.
    public func llamaConfig() throws -> LlamaConfig {
        let archKey = "general.architecture"
        guard let archValue = metadata[archKey] else { throw GGUFError.missingMetadata(key: archKey) }
        guard let arch = archValue.string else {
            throw GGUFError.metadataTypeMismatch(key: archKey, expected: "a string", found: archValue.typeDescription)
        }
        guard let family = Architecture.forGGUF(arch) else { throw GGUFError.unsupportedArchitecture(arch) }
        let keys = GGUFConfigReader(file: self, arch: arch)

        let layers = try keys.positiveInt("block_count")
        // Every block has tensors of its own: a count beyond the tensor table cannot be true, and
        // is refused before anything (per-block arrays, tensor lookups) is sized by it.
        guard layers <= tensors.count else {
            throw GGUFError.invalidMetadata(
                key: keys.key("block_count"),
                reason: "is \(layers), but the file has only \(tensors.count) tensors (every block has several)")
        }
        let hidden = try keys.size("embedding_length")
        let layerHeads = try keys.perLayer("attention.head_count", layers: layers)
        let layerKVHeads = try keys.perLayer("attention.head_count_kv", layers: layers, default: layerHeads)
        // The dense counts are the largest a block has; every block keeps whole KV groups.
        let heads = layerHeads.max() ?? 0, kvHeads = layerKVHeads.max() ?? 0
        guard kvHeads > 0, heads % kvHeads == 0 else {
            throw GGUFError.inconsistentModel("\(heads) attention heads are not a multiple of \(kvHeads) KV heads")
        }
        for (l, (q, kv)) in zip(layerHeads, layerKVHeads).enumerated() where q != kv * (heads / kvHeads) {
            throw GGUFError.inconsistentModel(
                "block \(l) has \(q) attention heads and \(kv) KV heads; cfsp runs blocks of whole KV groups of \(heads / kvHeads) heads (or none: 0 and 0)")
        }
        let headDim = try keys.optionalSize("attention.key_length")
            ?? keys.optionalSize("rope.dimension_count")
            ?? (hidden % heads == 0 ? hidden / heads : nil)
        guard let headDim else {
            throw GGUFError.inconsistentModel("hidden size \(hidden) is not divisible by \(heads) heads and no head size key is present")
        }
        if let valueDim = try keys.optionalPositiveInt("attention.value_length"), valueDim != headDim {
            throw GGUFError.inconsistentModel("value head size \(valueDim) differs from key head size \(headDim)")
        }
        if let rotary = try keys.optionalPositiveInt("rope.dimension_count"), rotary != headDim {
            throw GGUFError.inconsistentModel("\(keys.key("rope.dimension_count")) is \(rotary) but the head size is \(headDim): partial rotary embeddings are not supported")
        }
        let eps = try keys.float("attention.layer_norm_rms_epsilon")
        let ropeTheta = try keys.optionalFloat("rope.freq_base") ?? 10_000
        let contextLength = try keys.positiveInt("context_length")

        guard let embedding = tensorInfo("token_embd.weight") else { throw GGUFError.tensorNotFound("token_embd.weight") }
        guard embedding.shape.count == 2, embedding.shape[1] == hidden else {
            throw GGUFError.tensorShapeMismatch(tensor: "token_embd.weight", expected: [embedding.shape.first ?? 0, hidden], actual: embedding.shape)
        }
        let vocab = embedding.shape[0]
        if let declared = try keys.optionalPositiveInt("vocab_size"), declared != vocab {
            throw GGUFError.inconsistentModel("\(arch).vocab_size is \(declared) but token_embd.weight has \(vocab) rows")
        }
        let ffnWidths = try feedForwardWidths(keys: keys, layers: layers, hidden: hidden)

        var config = LlamaConfig(
            architecture: family.name, vocabSize: vocab, hiddenSize: hidden, intermediateSizes: ffnWidths,
            numHeads: heads, numKVHeads: kvHeads, headDim: headDim, rmsNormEps: eps, ropeTheta: ropeTheta,
            contextLength: contextLength, tieWordEmbeddings: tensorInfo("output.weight") == nil,
            ropeLayout: family.ggufRotaryLayout)
        config.layerHeadCounts = layerHeads.allSatisfy { $0 == heads } ? nil : layerHeads
        config.layerKVHeadCounts = layerKVHeads.allSatisfy { $0 == kvHeads } ? nil : layerKVHeads
        try family.configureFromGGUF(&config, keys)
        do {
            try ModelTensorLayout.validate(config, naming: .gguf) { tensorInfo($0)?.shape }
        } catch let error as ModelError {
            switch error {
            case .missingTensor(let name): throw GGUFError.familyTensorMissing(tensor: name, family: family.name)
            case .inconsistentShape(let name, let expected, let actual):
                throw GGUFError.tensorShapeMismatch(tensor: name, expected: expected, actual: actual)
            default: throw error
            }
        }
        return config
    }

    /// FFN widths from the `ffn_gate` shapes, checked against `{arch}.feed_forward_length`
    /// (a block declared 0 wide has no FFN).
    private func feedForwardWidths(keys: GGUFConfigReader, layers: Int, hidden: Int) throws -> [Int] {
        let key = keys.key("feed_forward_length")
        guard let value = metadata[key] else { throw GGUFError.missingMetadata(key: key) }
        let declared: [Int]
        if let scalar = value.int {
            declared = Array(repeating: scalar, count: layers)
        } else if let perLayer = value.intArray {
            guard perLayer.count == layers, perLayer.allSatisfy({ $0 >= 0 }) else {
                throw GGUFError.invalidMetadata(key: key, reason: "has \(perLayer.count) widths for \(layers) blocks")
            }
            declared = perLayer
        } else {
            throw GGUFError.metadataTypeMismatch(key: key, expected: "an integer or an array of integers", found: value.typeDescription)
        }
        var widths: [Int] = []
        for layer in 0..<layers {
            let name = "blk.\(layer).ffn_gate.weight"
            // Width 0: a block without an FFN sublayer (deci), whose tensors may be absent.
            if declared[layer] == 0, tensorInfo(name).map({ $0.shape.contains(0) }) ?? true {
                widths.append(0)
                continue
            }
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
}
