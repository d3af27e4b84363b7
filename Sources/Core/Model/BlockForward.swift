import Kernels

/// Multiplies by the linear layers of one block: the frozen weights at inference and in
/// calibration, the weights plus LoRA adapters in training. The block forward is written once
/// over this, so all three run the same computation.
protocol BlockLinears {
    /// y (+)= x W_layer^T for `tokens` rows (plus whatever the implementation adds).
    func apply(_ layer: BlockLinear, _ x: UnsafePointer<Float>, tokens: Int, into y: UnsafeMutablePointer<Float>,
               accumulate: Bool)

    /// y_i = x W_i^T for several layers that read the same x (Q/K/V, gate/up): the same values
    /// as one `apply` each, which is what the default does; frozen weights share the work.
    func apply(_ layers: [(BlockLinear, UnsafeMutablePointer<Float>)], _ x: UnsafePointer<Float>, tokens: Int)
}

extension BlockLinears {
    func apply(_ layers: [(BlockLinear, UnsafeMutablePointer<Float>)], _ x: UnsafePointer<Float>, tokens: Int) {
        for (layer, y) in layers { apply(layer, x, tokens: tokens, into: y, accumulate: false) }
    }
}

/// The block's own frozen weights.
struct FrozenBlockLinears: BlockLinears {
    let block: LlamaBlockWeights
    let pool: ThreadPool

    func apply(_ layer: BlockLinear, _ x: UnsafePointer<Float>, tokens: Int, into y: UnsafeMutablePointer<Float>,
               accumulate: Bool) {
        let w = layer.weights(in: block)
        matmul(x, rows: tokens, lda: w.cols, weights: w, into: y, ldc: w.rows, accumulate: accumulate, pool: pool)
    }

    func apply(_ layers: [(BlockLinear, UnsafeMutablePointer<Float>)], _ x: UnsafePointer<Float>, tokens: Int) {
        let outputs = layers.map { layer, y in
            let w = layer.weights(in: block)
            return MatmulOutput(weights: w, c: y, ldc: w.rows)
        }
        guard let k = outputs.first?.weights.cols else { return }
        matmul(x, rows: tokens, lda: k, outputs: outputs, pool: pool)
    }
}

/// The forward pass of one decoder block of any family, the only one in cfsp:
///
///     n1 = rmsnorm(x)                          q, k, v = n1 Wq^T (+bq), n1 Wk^T (+bk), n1 Wv^T (+bv)
///     q, k = headnorm(q), headnorm(k)          (queryKeyNorm)
///     q, k = rope(q), rope(k)                  (the layer's table: global or local base)
///     a = attention(q, k, v)                   (the layer's window, the family's scale)
///     m = x + post(a Wo^T)                     (post = rmsnorm with sandwichNorms, else identity)
///     z = act(n2 Wg^T) * (n2 Wu^T), n2 = rmsnorm(m)
///     y = m + post(z Wd^T + bd)
///
/// Every intermediate stays in `activations` for the backward pass. `output` may be `input`.
/// A block without attention heads (depth pruning) skips the attention sublayer (m = x), one
/// of FFN width 0 skips the FFN (y = m), as llama.cpp's `deci` graph does.
///
/// With a `cache` (incremental decoding), the window's tokens sit at positions cache.start...,
/// their rotated keys and values are written into the cache's rows, and attention reads every
/// cached row before them; without one the window starts at position 0 and sees only itself.
struct BlockForward {
    let config: LlamaConfig
    let layer: Int
    let block: LlamaBlockWeights
    let rotary: RotaryCache
    let pool: ThreadPool
    /// How attention forms its two products: in bf16 when the block's attention weights are bf16
    /// (the precision a user picks for speed: its GEMMs already round activations to bf16), else
    /// in f32. Training sets `.f32`, as its backward pass differentiates the f32 attention.
    var attentionPrecision: AttentionPrecision

    init(model: LlamaModel, layer: Int, pool: ThreadPool) {
        self.init(config: model.config, layer: layer, block: model.blocks[layer], rotary: model.rotary(layer: layer),
                  pool: pool)
    }

    /// Block `layer` of a model shaped `config`, with weights that need not belong to a loaded
    /// model (a layer-sequential pass reads them one block at a time).
    init(config: LlamaConfig, layer: Int, block: LlamaBlockWeights, rotary: RotaryCache, pool: ThreadPool) {
        self.config = config
        self.layer = layer
        self.block = block
        self.rotary = rotary
        self.pool = pool
        self.attentionPrecision = block.query.precision == .bf16 ? .bf16 : .f32
    }

    func run<L: BlockLinears>(input x: UnsafePointer<Float>, tokens t: Int, output y: UnsafeMutablePointer<Float>,
                              linears: L, activations a: BlockActivations, cache: LayerCache? = nil) {
        let h = config.hiddenSize
        if config.hasAttention(layer: layer) {
            attention(input: x, tokens: t, linears: linears, activations: a, cache: cache)
        } else {
            a.middle.update(from: x, count: t * h)
        }
        if block.ffnWidth > 0 {
            ffn(tokens: t, output: y, linears: linears, activations: a)
        } else {
            y.update(from: a.middle, count: t * h)
        }
    }

    /// m = x + post(attention(...) Wo^T) into `a.middle`, with this block's heads (the attention
    /// features before Wo stay in `a.attention`). Block reconstruction runs it alone.
    func attention<L: BlockLinears>(input x: UnsafePointer<Float>, tokens t: Int, linears: L,
                                            activations a: BlockActivations, cache: LayerCache?) {
        let c = config
        let h = c.hiddenSize
        let heads = c.heads(layer: layer), kvHeads = c.kvHeads(layer: layer)
        norm(x, block.attentionNorm, rows: t, cols: h, into: a.attentionNormed)
        linears.apply([(.query, a.queryProjection), (.key, a.keyProjection), (.value, a.value)], a.attentionNormed,
                      tokens: t)
        addBias(block.queryBias, to: a.queryProjection, rows: t)
        addBias(block.keyBias, to: a.keyProjection, rows: t)
        addBias(block.valueBias, to: a.value, rows: t)
        if let qNorm = block.queryNorm, let kNorm = block.keyNorm {
            norm(a.queryProjection, qNorm, rows: t * heads, cols: c.headDim, into: a.normedQuery)
            norm(a.keyProjection, kNorm, rows: t * kvHeads, cols: c.headDim, into: a.normedKey)
        }
        let q = a.rotatedQuery(c), k = a.rotatedKey(c)
        let start = cache?.start ?? 0
        let rotary = self.rotary.table(covering: start + t)
        pool.parallelRanges(t) { r in
            applyRotary(q + r.lowerBound * heads * c.headDim, tokens: r.count, heads: heads, headDim: c.headDim,
                        startPosition: start + r.lowerBound, table: rotary, layout: c.ropeLayout)
            applyRotary(k + r.lowerBound * kvHeads * c.headDim, tokens: r.count, heads: kvHeads, headDim: c.headDim,
                        startPosition: start + r.lowerBound, table: rotary, layout: c.ropeLayout)
        }
        if let cache {
            let width = cache.rowWidth
            (cache.keys + start * width).update(from: k, count: t * width)
            (cache.values + start * width).update(from: a.value, count: t * width)
        }
        if let cache, start > 0 {
            cachedAttention(q: q, keys: cache.keys, values: cache.values, start: start, tokens: t,
                            heads: heads, kvHeads: kvHeads, headDim: c.headDim, scale: c.attentionScale,
                            window: c.window(layer: layer), into: a.attention, pool: pool)
        } else {
            causalAttention(q: q, k: k, v: a.value, tokens: t, heads: heads, kvHeads: kvHeads,
                            headDim: c.headDim, scale: c.attentionScale, window: c.window(layer: layer),
                            precision: attentionPrecision, into: a.attention, pool: pool)
        }
        if let post = block.postAttentionNorm {
            linears.apply(.attentionOutput, a.attention, tokens: t, into: a.attentionProjection, accumulate: false)
            norm(a.attentionProjection, post, rows: t, cols: h, into: a.postNormed)
            for i in 0..<(t * h) { a.middle[i] = x[i] + a.postNormed[i] }
        } else {
            a.middle.update(from: x, count: t * h)
            linears.apply(.attentionOutput, a.attention, tokens: t, into: a.middle, accumulate: true)
        }
    }

    /// y = m + post(act(n2 Wg^T) * (n2 Wu^T) Wd^T + bd), n2 = rmsnorm(m).
    private func ffn<L: BlockLinears>(tokens t: Int, output y: UnsafeMutablePointer<Float>, linears: L,
                                      activations a: BlockActivations) {
        let h = config.hiddenSize, width = block.ffnWidth
        norm(a.middle, block.ffnNorm, rows: t, cols: h, into: a.ffnNormed)
        linears.apply([(.gate, a.gate), (.up, a.up)], a.ffnNormed, tokens: t)
        pool.parallelRanges(t) { r in
            let offset = r.lowerBound * width
            gatedActivation(config.activation, gate: a.gate + offset, up: a.up + offset, count: r.count * width,
                            into: a.gated + offset)
        }
        if let post = block.postFFNNorm {
            linears.apply(.down, a.gated, tokens: t, into: a.ffnProjection, accumulate: false)
            addBias(block.downBias, to: a.ffnProjection, rows: t)
            norm(a.ffnProjection, post, rows: t, cols: h, into: a.postNormed)
            for i in 0..<(t * h) { y[i] = a.middle[i] + a.postNormed[i] }
        } else {
            y.update(from: a.middle, count: t * h)
            linears.apply(.down, a.gated, tokens: t, into: y, accumulate: true)
            addBias(block.downBias, to: y, rows: t)
        }
    }

    private func norm(_ x: UnsafePointer<Float>, _ weight: [Float], rows: Int, cols: Int, into out: UnsafeMutablePointer<Float>) {
        weight.withUnsafeBufferPointer { w in
            pool.parallelRanges(rows) { r in
                rmsNorm(x + r.lowerBound * cols, rows: r.count, cols: cols, weight: w.baseAddress!, eps: config.rmsNormEps,
                        into: out + r.lowerBound * cols)
            }
        }
    }

    private func addBias(_ bias: [Float]?, to x: UnsafeMutablePointer<Float>, rows: Int) {
        guard let bias else { return }
        let n = bias.count
        for r in 0..<rows {
            let row = x + r * n
            for j in 0..<n { row[j] += bias[j] }
        }
    }
}
