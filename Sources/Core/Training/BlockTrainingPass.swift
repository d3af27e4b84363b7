import Kernels

/// The block's linear layers with their LoRA adapters, keeping each adapter's activation for
/// the backward pass: what `BlockForward` multiplies by in training.
struct LoRABlockLinears: BlockLinears {
    /// The seven adapted layers, in `BlockLinear` order.
    let linears: [LoRALinearPass]
    let workspace: TrainingWorkspace

    func apply(_ layer: BlockLinear, _ x: UnsafePointer<Float>, tokens: Int, into y: UnsafeMutablePointer<Float>,
               accumulate: Bool) {
        linears[layer.rawValue].forward(x, tokens: tokens, into: y, accumulate: accumulate,
                                        adapterActivation: workspace.adapterActivations[layer.rawValue])
    }

    /// The frozen products of layers that share x in one shared-input matmul, then each adapter:
    /// the same values as one `apply` each.
    func apply(_ layers: [(BlockLinear, UnsafeMutablePointer<Float>)], _ x: UnsafePointer<Float>, tokens: Int) {
        let outputs = layers.map { layer, y in
            let pass = linears[layer.rawValue]
            return MatmulOutput(weights: pass.frozen.forward, c: y, ldc: pass.layout.outputs)
        }
        guard let k = outputs.first?.weights.cols else { return }
        matmul(x, rows: tokens, lda: k, outputs: outputs, pool: linears[0].pool)
        for (layer, y) in layers {
            linears[layer.rawValue].addAdapter(x, tokens: tokens, into: y,
                                               adapterActivation: workspace.adapterActivations[layer.rawValue])
        }
    }
}

/// One decoder block with LoRA adapters: the shared `BlockForward` (keeping its intermediates
/// in the workspace) and its backward pass (from the gradient of the block's output to that of
/// its input, adding the adapters' gradients). The backward pass must follow a forward pass of
/// the same block on the same input. Frozen biases and norm weights get no gradient.
struct BlockTrainingPass {
    let forwardPass: BlockForward
    let linears: LoRABlockLinears
    let workspace: TrainingWorkspace
    let pool: ThreadPool

    private var config: LlamaConfig { forwardPass.config }
    private var block: LlamaBlockWeights { forwardPass.block }

    /// Runs the block on `input` (tokens x hidden) and writes its output to `output`.
    func forward(input: UnsafePointer<Float>, tokens t: Int, output: UnsafeMutablePointer<Float>) {
        forwardPass.run(input: input, tokens: t, output: output, linears: linears, activations: workspace.activations)
    }

    private func backward(_ layer: BlockLinear, gradOut: UnsafePointer<Float>, input: UnsafePointer<Float>, tokens t: Int,
                          into gradInput: UnsafeMutablePointer<Float>, accumulate: Bool) {
        let ws = workspace
        linears.linears[layer.rawValue].backward(
            gradOut: gradOut, input: input, tokens: t, adapterActivation: ws.adapterActivations[layer.rawValue],
            gradInput: gradInput, accumulate: accumulate, scratch: ws.gradAdapter, transposeScratch: ws.adapterTranspose)
    }

    /// Given dL/d(output) in `workspace.gradHidden`, replaces it with dL/d(input) and adds the
    /// adapters' gradients. `input` is the block input the preceding forward pass used.
    func backward(input: UnsafePointer<Float>, tokens t: Int) {
        // A removed sublayer is the identity: its gradient passes through unchanged.
        if block.ffnWidth > 0 { ffnBackward(tokens: t) }
        if config.hasAttention(layer: forwardPass.layer) { attentionBackward(input: input, tokens: t) }
    }

    /// The FFN sublayer's backward: dL/d(output) in gradHidden becomes dL/d(middle).
    private func ffnBackward(tokens t: Int) {
        let c = config, ws = workspace, a = ws.activations
        let h = c.hiddenSize, width = block.ffnWidth
        let dx = ws.gradHidden
        // FFN: y = m + post(down(act(gate(n2)) * up(n2))).
        var downGrad: UnsafePointer<Float> = UnsafePointer(dx)
        if let post = block.postFFNNorm {
            ws.gradPost.update(from: dx, count: t * h)
            normBackward(a.ffnProjection, post, rows: t, cols: h, gradient: ws.gradPost)
            downGrad = UnsafePointer(ws.gradPost)
        }
        backward(.down, gradOut: downGrad, input: a.gated, tokens: t, into: ws.gradGated, accumulate: false)
        pool.parallelRanges(t) { r in
            let offset = r.lowerBound * width
            gatedActivationBackward(c.activation, gate: a.gate + offset, up: a.up + offset, gradOut: ws.gradGated + offset,
                                    count: r.count * width, gradGate: ws.gradGate + offset, gradUp: ws.gradUp + offset)
        }
        backward(.gate, gradOut: ws.gradGate, input: a.ffnNormed, tokens: t, into: ws.gradNorm, accumulate: false)
        backward(.up, gradOut: ws.gradUp, input: a.ffnNormed, tokens: t, into: ws.gradNorm, accumulate: true)
        addNormBackward(a.middle, weight: block.ffnNorm, tokens: t, gradOut: ws.gradNorm, into: dx)
    }

    /// The attention sublayer's backward: dL/d(middle) in gradHidden becomes dL/d(input).
    private func attentionBackward(input: UnsafePointer<Float>, tokens t: Int) {
        let c = config, ws = workspace, a = ws.activations
        let h = c.hiddenSize
        let dx = ws.gradHidden
        let heads = c.heads(layer: forwardPass.layer), kvHeads = c.kvHeads(layer: forwardPass.layer)
        // Attention: m = x + post(o(attention(rope(qnorm(q(n1))), rope(knorm(k(n1))), v(n1)))).
        var outputGrad: UnsafePointer<Float> = UnsafePointer(dx)
        if let post = block.postAttentionNorm {
            ws.gradPost.update(from: dx, count: t * h)
            normBackward(a.attentionProjection, post, rows: t, cols: h, gradient: ws.gradPost)
            outputGrad = UnsafePointer(ws.gradPost)
        }
        backward(.attentionOutput, gradOut: outputGrad, input: a.attention, tokens: t, into: ws.gradAttention, accumulate: false)
        causalAttentionBackward(q: a.rotatedQuery(c), k: a.rotatedKey(c), v: a.value, output: a.attention,
                                gradOut: ws.gradAttention, tokens: t, heads: heads, kvHeads: kvHeads,
                                headDim: c.headDim, scale: c.attentionScale, window: c.window(layer: forwardPass.layer),
                                gradQ: ws.gradQuery, gradK: ws.gradKey, gradV: ws.gradValue, pool: pool)
        let rotary = forwardPass.rotary.table(covering: t)
        pool.parallelRanges(t) { r in
            applyInverseRotary(ws.gradQuery + r.lowerBound * heads * c.headDim, tokens: r.count, heads: heads,
                               headDim: c.headDim, startPosition: r.lowerBound, table: rotary, layout: c.ropeLayout)
            applyInverseRotary(ws.gradKey + r.lowerBound * kvHeads * c.headDim, tokens: r.count, heads: kvHeads,
                               headDim: c.headDim, startPosition: r.lowerBound, table: rotary, layout: c.ropeLayout)
        }
        if let qNorm = block.queryNorm, let kNorm = block.keyNorm {
            normBackward(a.queryProjection, qNorm, rows: t * heads, cols: c.headDim, gradient: ws.gradQuery)
            normBackward(a.keyProjection, kNorm, rows: t * kvHeads, cols: c.headDim, gradient: ws.gradKey)
        }
        backward(.query, gradOut: ws.gradQuery, input: a.attentionNormed, tokens: t, into: ws.gradNorm, accumulate: false)
        backward(.key, gradOut: ws.gradKey, input: a.attentionNormed, tokens: t, into: ws.gradNorm, accumulate: true)
        backward(.value, gradOut: ws.gradValue, input: a.attentionNormed, tokens: t, into: ws.gradNorm, accumulate: true)
        addNormBackward(input, weight: block.attentionNorm, tokens: t, gradOut: ws.gradNorm, into: dx)
    }

    /// Replaces `gradient` (of the norm's output) by that of its input `x`, in place.
    private func normBackward(_ x: UnsafePointer<Float>, _ weight: [Float], rows: Int, cols: Int,
                              gradient: UnsafeMutablePointer<Float>) {
        // No weight gradient (the gains are frozen), so every row is independent: split over the pool.
        weight.withUnsafeBufferPointer { w in
            pool.parallelRanges(rows) { r in
                let offset = r.lowerBound * cols
                rmsNormBackward(x + offset, rows: r.count, cols: cols, weight: w.baseAddress!, eps: config.rmsNormEps,
                                gradOut: gradient + offset, gradInput: gradient + offset)
            }
        }
    }

    /// dx += RMSNorm backward of (x, weight) applied to gradOut (the residual branch's gradient).
    private func addNormBackward(_ x: UnsafePointer<Float>, weight: [Float], tokens t: Int,
                                 gradOut: UnsafeMutablePointer<Float>, into dx: UnsafeMutablePointer<Float>) {
        let h = config.hiddenSize
        normBackward(x, weight, rows: t, cols: h, gradient: gradOut)
        for i in 0..<(t * h) { dx[i] += gradOut[i] }
    }
}
