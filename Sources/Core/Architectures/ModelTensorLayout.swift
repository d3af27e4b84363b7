/// What a tensor is to the model, whatever a format calls it.
public enum TensorRole: Sendable, Equatable {
    case embedding, finalNorm, outputHead, ropeFrequencies
    case block(Int, BlockTensor)
}

/// One tensor a model of a given configuration has: its name in a format, its shape
/// (outermost first, PyTorch's `[out, in]` for matrices) and its role.
public struct ExpectedTensor: Sendable, Equatable {
    public var name: String
    public var shape: [Int]
    public var role: TensorRole

    /// An RMSNorm weight (Gemma's Hugging Face files store these offset by 1).
    public var isNorm: Bool {
        switch role {
        case .finalNorm: return true
        case .block(_, let part): return part.isNorm
        default: return false
        }
    }
}

extension BlockTensor {
    /// Whether this part is an RMSNorm weight.
    var isNorm: Bool {
        switch self {
        case .attentionNorm, .ffnNorm, .queryNorm, .keyNorm, .postAttentionNorm, .postFFNNorm: return true
        default: return false
        }
    }

    /// Whether this part is a projection matrix.
    var isMatrix: Bool {
        switch self {
        case .query, .key, .value, .attentionOutput, .gate, .up, .down: return true
        default: return false
        }
    }

    /// The parts every block of `config` has, in checkpoint order (the optional FLAP down
    /// bias is not among them: a block may or may not carry one).
    static func parts(of config: LlamaConfig) -> [BlockTensor] {
        attentionParts(of: config) + ffnParts(of: config)
    }

    /// The parts block `layer` of `config` has: those of `parts(of:)` minus the attention
    /// sublayer's (norm included) when the block has none, and the FFN's when its width is 0.
    static func parts(of config: LlamaConfig, layer: Int) -> [BlockTensor] {
        (config.hasAttention(layer: layer) ? attentionParts(of: config) : [])
            + (config.hasFFN(layer: layer) ? ffnParts(of: config) : [])
    }

    /// The attention sublayer's parts, in checkpoint order.
    static func attentionParts(of config: LlamaConfig) -> [BlockTensor] {
        var parts: [BlockTensor] = [.attentionNorm, .query, .key, .value]
        if config.attentionBias { parts += [.queryBias, .keyBias, .valueBias] }
        if config.queryKeyNorm { parts += [.queryNorm, .keyNorm] }
        parts.append(.attentionOutput)
        if config.sandwichNorms { parts.append(.postAttentionNorm) }
        return parts
    }

    /// The FFN sublayer's parts, in checkpoint order.
    static func ffnParts(of config: LlamaConfig) -> [BlockTensor] {
        var parts: [BlockTensor] = [.ffnNorm, .gate, .up, .down]
        if config.sandwichNorms { parts.append(.postFFNNorm) }
        return parts
    }

    /// Whether this part belongs to the attention sublayer (else to the FFN's).
    var isAttention: Bool {
        switch self {
        case .attentionNorm, .query, .key, .value, .queryBias, .keyBias, .valueBias, .queryNorm, .keyNorm,
             .attentionOutput, .postAttentionNorm: return true
        case .ffnNorm, .gate, .up, .down, .downBias, .postFFNNorm: return false
        }
    }

    /// This part's shape in block `layer` of `config`.
    func shape(layer: Int, config: LlamaConfig) -> [Int] {
        let h = config.hiddenSize, width = config.intermediateSizes[layer]
        let q = config.heads(layer: layer) * config.headDim, kv = config.kvHeads(layer: layer) * config.headDim
        switch self {
        case .attentionNorm, .ffnNorm, .postAttentionNorm, .postFFNNorm, .downBias: return [h]
        case .query: return [q, h]
        case .key, .value: return [kv, h]
        case .attentionOutput: return [h, q]
        case .gate, .up: return [width, h]
        case .down: return [h, width]
        case .queryBias: return [q]
        case .keyBias, .valueBias: return [kv]
        case .queryNorm, .keyNorm: return [config.headDim]
        }
    }
}

/// The one list of a model's tensors, derived from its configuration: loaders check and read
/// files by it, exporters write by it, so the formats cannot disagree about what a family has.
public enum ModelTensorLayout {
    /// Every tensor of `config` under `naming`, in checkpoint order: embedding, each block's
    /// parts, final norm, output head unless tied, and (where the format names it) the rotary
    /// frequency factors.
    public static func expected(_ config: LlamaConfig, naming: TensorNaming) -> [ExpectedTensor] {
        var list = [ExpectedTensor(name: naming.tokenEmbedding, shape: [config.vocabSize, config.hiddenSize], role: .embedding)]
        for layer in 0..<config.numLayers {
            for part in BlockTensor.parts(of: config, layer: layer) {
                list.append(ExpectedTensor(name: naming.block(layer, part), shape: part.shape(layer: layer, config: config),
                                           role: .block(layer, part)))
            }
        }
        list.append(ExpectedTensor(name: naming.finalNorm, shape: [config.hiddenSize], role: .finalNorm))
        if !config.tieWordEmbeddings {
            list.append(ExpectedTensor(name: naming.outputHead, shape: [config.vocabSize, config.hiddenSize], role: .outputHead))
        }
        if let factors = config.ropeFrequencyFactors, let name = naming.ropeFrequencies {
            list.append(ExpectedTensor(name: name, shape: [factors.count], role: .ropeFrequencies))
        }
        return list
    }

    /// Throws `ModelError.missingTensor` or `.inconsistentShape` for the first tensor of
    /// `config` that `shapeOf` lacks or gets wrong. A vector stored as [1, n] counts as [n].
    public static func validate(_ config: LlamaConfig, naming: TensorNaming, shapeOf: (String) -> [Int]?) throws {
        for tensor in expected(config, naming: naming) {
            guard let actual = shapeOf(tensor.name) else { throw ModelError.missingTensor(tensor.name) }
            guard squeezed(actual, like: tensor.shape) == tensor.shape else {
                throw ModelError.inconsistentShape(tensor: tensor.name, expected: tensor.shape, actual: actual)
            }
        }
    }

    /// `actual` with a leading 1 dropped when a vector is expected.
    static func squeezed(_ actual: [Int], like expected: [Int]) -> [Int] {
        actual.count == 2 && actual[0] == 1 && expected.count == 1 ? [actual[1]] : actual
    }
}

extension LlamaConfig {
    /// Parameters of a model of this shape, counted as `LlamaModel.parameterCount` counts a
    /// loaded one (embedding, every block's tensors, final norm, an untied output head; rotary
    /// frequency factors are not parameters), with an FFN down bias in the blocks `downBias`
    /// names: the count without loading a weight (a model larger than memory).
    public func parameterCount(downBias: (Int) -> Bool = { _ in false }) -> Int {
        var total = vocabSize * hiddenSize + hiddenSize + (tieWordEmbeddings ? 0 : vocabSize * hiddenSize)
        for layer in 0..<numLayers {
            for part in BlockTensor.parts(of: self, layer: layer) {
                total += part.shape(layer: layer, config: self).reduce(1, *)
            }
            if downBias(layer) { total += hiddenSize }
        }
        return total
    }

    /// FFN parameters (gate, up, down and any down bias) over all blocks, as
    /// `LlamaModel.ffnParameterCount` counts them.
    public func ffnParameterCount(downBias: (Int) -> Bool = { _ in false }) -> Int {
        (0..<numLayers).reduce(0) { total, layer in
            total + 3 * intermediateSizes[layer] * hiddenSize + (downBias(layer) ? hiddenSize : 0)
        }
    }
}
