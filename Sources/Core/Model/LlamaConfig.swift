import Kernels

/// The shape of a decoder of any supported family (see `Architecture`), whatever file it came
/// from: the LLaMA block plus the switches other families add (biases, query/key norms,
/// sandwich norms, GELU gating, scaled embeddings, sliding-window layers, rotary scaling).
///
/// FFN widths are per layer because pruned models (and `deci` files) have different widths in
/// every block: nothing may assume one `intermediate_size`.
public struct LlamaConfig: Sendable, Equatable, Codable {
    /// The family (`Architecture.name`: `llama`, `qwen2`, `qwen3`, `gemma3`).
    public var architecture: String
    public var vocabSize: Int
    public var hiddenSize: Int
    /// FFN width of each block; its count is the number of blocks.
    public var intermediateSizes: [Int]
    /// Query heads of the dense model (the most any block has; `heads(layer:)` is one block's).
    public var numHeads: Int
    /// KV heads of the dense model (the most any block has; `kvHeads(layer:)` is one block's).
    public var numKVHeads: Int
    public var headDim: Int
    public var rmsNormEps: Float
    /// Rotary base of the global (full-attention) layers.
    public var ropeTheta: Float
    public var contextLength: Int
    public var tieWordEmbeddings: Bool
    /// Rotary pairing the stored Q/K weights expect.
    public var ropeLayout: RotaryLayout

    /// Q, K and V projections carry biases (Qwen2).
    public var attentionBias: Bool = false
    /// RMSNorm over each query and key head before the rotary embedding (Qwen3, Gemma 3).
    public var queryKeyNorm: Bool = false
    /// RMSNorm on the attention and FFN outputs before they join the residual (Gemma 3).
    public var sandwichNorms: Bool = false
    /// The FFN's gate activation.
    public var activation: GatedActivation = .silu
    /// Token embeddings are multiplied by this (Gemma: sqrt(hidden), rounded to f32).
    public var embeddingScale: Float = 1
    /// Attention logits are q.k times this; nil means 1/sqrt(headDim).
    public var attentionScale: Float? = nil
    /// Keys visible to a query on a sliding-window layer: the query and the window - 1 before it.
    public var slidingWindow: Int? = nil
    /// Per block, whether it attends through the sliding window (empty: no block does).
    public var slidingWindowLayers: [Bool] = []
    /// Rotary base of the sliding-window layers (nil: `ropeTheta`).
    public var localRopeTheta: Float? = nil
    /// Llama 3 rotary scaling, when the model has it (the divisors of each pair's frequency
    /// follow from it, `ropeFrequencyFactors`).
    public var ropeScaling: Llama3RopeScaling? = nil
    /// Divisor of each rotary pair's frequency (llama.cpp's `rope_freqs.weight`), global layers.
    public var ropeFrequencyFactors: [Float]? = nil

    /// Query heads of each block when KV-group pruning made them differ from `numHeads` (0: the
    /// block has no attention sublayer); nil: every block has `numHeads`. Like
    /// `intermediateSizes`, a model derives it from its weights.
    public var layerHeadCounts: [Int]? = nil
    /// KV heads of each block, as `layerHeadCounts` (nil: every block has `numKVHeads`).
    public var layerKVHeadCounts: [Int]? = nil

    public var numLayers: Int { intermediateSizes.count }

    /// Query heads that share one KV head (the size of a KV group).
    public var headsPerKVHead: Int { numKVHeads > 0 ? numHeads / numKVHeads : 0 }

    /// Query heads of block `layer` (0: no attention sublayer).
    public func heads(layer: Int) -> Int { layerHeadCounts?[layer] ?? numHeads }

    /// KV heads of block `layer` (0: no attention sublayer).
    public func kvHeads(layer: Int) -> Int { layerKVHeadCounts?[layer] ?? numKVHeads }

    /// Whether block `layer` has its attention sublayer (depth pruning may remove it).
    public func hasAttention(layer: Int) -> Bool { heads(layer: layer) > 0 }

    /// Whether block `layer` has its FFN sublayer (depth pruning may remove it: width 0).
    public func hasFFN(layer: Int) -> Bool { intermediateSizes[layer] > 0 }

    /// Whether any block differs from the dense shape in its head counts or lacks a sublayer:
    /// what only per-layer formats (GGUF `deci`) can hold.
    public var hasPerLayerAttention: Bool { layerHeadCounts != nil || layerKVHeadCounts != nil }

    /// Whether blocks differ in shape (FFN widths, head counts, a missing sublayer): what a
    /// runtime needs per-layer arrays for (llama.cpp's `deci`, the HF export's remote code).
    public var hasPerLayerShapes: Bool {
        Set(intermediateSizes).count > 1 || intermediateSizes.contains(0) || hasPerLayerAttention
    }

    /// Per-layer head counts derived from block shapes (`queryRows[l] / headDim` and
    /// `keyRows[l] / headDim`): nil when every block has the dense counts, so a dense model's
    /// config is the same as before per-layer heads existed.
    mutating func setLayerHeads(queryRows: [Int], keyRows: [Int]) {
        let d = max(headDim, 1)
        let q = queryRows.map { $0 / d }, kv = keyRows.map { $0 / d }
        layerHeadCounts = q.allSatisfy { $0 == numHeads } ? nil : q
        layerKVHeadCounts = kv.allSatisfy { $0 == numKVHeads } ? nil : kv
    }

    /// The largest value one size of a model may have when read from a file (vocabulary,
    /// hidden size, FFN width, head counts, head size): far above every supported model
    /// (vocabularies reach 262,144), and small enough that a product of two sizes cannot
    /// overflow and no table sized by one is huge. The GGUF and config.json readers refuse
    /// larger values before anything is computed or allocated from them.
    public static let maxDimension = 1 << 20

    public init(
        architecture: String, vocabSize: Int, hiddenSize: Int, intermediateSizes: [Int],
        numHeads: Int, numKVHeads: Int, headDim: Int, rmsNormEps: Float, ropeTheta: Float,
        contextLength: Int, tieWordEmbeddings: Bool, ropeLayout: RotaryLayout
    ) {
        self.architecture = architecture
        self.vocabSize = vocabSize
        self.hiddenSize = hiddenSize
        self.intermediateSizes = intermediateSizes
        self.numHeads = numHeads
        self.numKVHeads = numKVHeads
        self.headDim = headDim
        self.rmsNormEps = rmsNormEps
        self.ropeTheta = ropeTheta
        self.contextLength = contextLength
        self.tieWordEmbeddings = tieWordEmbeddings
        self.ropeLayout = ropeLayout
    }

    /// The sliding window of block `layer`, or nil when it attends to the whole prefix.
    public func window(layer: Int) -> Int? {
        guard let slidingWindow, layer < slidingWindowLayers.count, slidingWindowLayers[layer] else { return nil }
        return slidingWindow
    }

    /// Whether block `layer` uses the local rotary table (a sliding-window layer with its own base).
    func usesLocalRotary(layer: Int) -> Bool { localRopeTheta != nil && window(layer: layer) != nil }

    /// The block's switches in words (`q/k/v bias, q/k norm, sliding window 512 on 15 of 18
    /// blocks, ...`), for summaries; "plain LLaMA block" when none is on.
    public var blockSummary: String {
        var parts: [String] = []
        if attentionBias { parts.append("q/k/v bias") }
        if queryKeyNorm { parts.append("q/k head norm") }
        if sandwichNorms { parts.append("post-attention and post-FFN norms") }
        parts.append(activation == .silu ? "SiLU gate" : "GELU-tanh gate")
        if embeddingScale != 1 { parts.append("embeddings x \(embeddingScale)") }
        if let attentionScale { parts.append("attention scale \(attentionScale)") }
        if let slidingWindow {
            let local = slidingWindowLayers.filter { $0 }.count
            parts.append("sliding window \(slidingWindow) on \(local) of \(numLayers) blocks" + (localRopeTheta.map { " (rope theta \($0))" } ?? ""))
        }
        if let ropeScaling { parts.append("llama3 rope scaling x\(ropeScaling.factor) from \(ropeScaling.originalContext)") }
        else if ropeFrequencyFactors != nil { parts.append("rope frequency factors") }
        return parts.joined(separator: ", ")
    }

    /// The family's description.
    public var family: Architecture { get throws { try Architecture.named(architecture) } }
}
