import Kernels

/// One decoder block with LoRA adapters, forward (keeping its intermediates in the workspace)
/// and backward (from the gradient of its output to that of its input, adding the adapters'
/// gradients). The backward pass must follow a forward pass of the same block on the same input.
struct BlockTrainingPass {
    let config: LlamaConfig
    let block: LlamaBlockWeights
    let rotary: RotaryTable
    /// The seven adapted layers, in `LoRATarget` order.
    let linears: [LoRALinearPass]
    let workspace: TrainingWorkspace
    let pool: ThreadPool

    private func linear(_ target: LoRATarget) -> LoRALinearPass { linears[target.rawValue] }
    private func adapterActivation(_ target: LoRATarget) -> UnsafeMutablePointer<Float> {
        workspace.adapterActivations[target.rawValue]
    }

    /// Runs the block on `input` (tokens x hidden) and writes its output to `output`.
    func forward(input: UnsafePointer<Float>, tokens t: Int, output: UnsafeMutablePointer<Float>) {
        let c = config, ws = workspace
        let h = c.hiddenSize
        block.attentionNorm.withUnsafeBufferPointer {
            rmsNorm(input, rows: t, cols: h, weight: $0.baseAddress!, eps: c.rmsNormEps, into: ws.norm1)
        }
        linear(.query).forward(ws.norm1, tokens: t, into: ws.query, accumulate: false, adapterActivation: adapterActivation(.query))
        linear(.key).forward(ws.norm1, tokens: t, into: ws.key, accumulate: false, adapterActivation: adapterActivation(.key))
        linear(.value).forward(ws.norm1, tokens: t, into: ws.value, accumulate: false, adapterActivation: adapterActivation(.value))
        applyRotary(ws.query, tokens: t, heads: c.numHeads, headDim: c.headDim, table: rotary, layout: c.ropeLayout)
        applyRotary(ws.key, tokens: t, heads: c.numKVHeads, headDim: c.headDim, table: rotary, layout: c.ropeLayout)
        causalAttention(q: ws.query, k: ws.key, v: ws.value, tokens: t, heads: c.numHeads, kvHeads: c.numKVHeads,
                        headDim: c.headDim, into: ws.attention, pool: pool)
        ws.middle.update(from: input, count: t * h)
        linear(.attentionOutput).forward(ws.attention, tokens: t, into: ws.middle, accumulate: true,
                                         adapterActivation: adapterActivation(.attentionOutput))

        block.ffnNorm.withUnsafeBufferPointer {
            rmsNorm(ws.middle, rows: t, cols: h, weight: $0.baseAddress!, eps: c.rmsNormEps, into: ws.norm2)
        }
        let width = block.ffnWidth
        linear(.gate).forward(ws.norm2, tokens: t, into: ws.gate, accumulate: false, adapterActivation: adapterActivation(.gate))
        linear(.up).forward(ws.norm2, tokens: t, into: ws.up, accumulate: false, adapterActivation: adapterActivation(.up))
        siluGate(gate: ws.gate, up: ws.up, count: t * width, into: ws.gated)
        output.update(from: ws.middle, count: t * h)
        linear(.down).forward(ws.gated, tokens: t, into: output, accumulate: true, adapterActivation: adapterActivation(.down))
        if let bias = block.downBias {
            for row in 0..<t {
                let o = output + row * h
                for j in 0..<h { o[j] += bias[j] }
            }
        }
    }

    /// Given dL/d(output) in `workspace.gradHidden`, replaces it with dL/d(input) and adds the
    /// adapters' gradients. `input` is the block input the preceding forward pass used.
    func backward(input: UnsafePointer<Float>, tokens t: Int) {
        let c = config, ws = workspace
        let width = block.ffnWidth
        let dx = ws.gradHidden
        // FFN: output = middle + down(silu(gate(n2)) * up(n2)).
        linear(.down).backward(gradOut: dx, input: ws.gated, tokens: t, adapterActivation: adapterActivation(.down),
                               gradInput: ws.gradGated, accumulate: false, scratch: ws.gradAdapter,
                               transposeScratch: ws.adapterTranspose)
        siluGateBackward(gate: ws.gate, up: ws.up, gradOut: ws.gradGated, count: t * width,
                         gradGate: ws.gradGate, gradUp: ws.gradUp)
        linear(.gate).backward(gradOut: ws.gradGate, input: ws.norm2, tokens: t, adapterActivation: adapterActivation(.gate),
                               gradInput: ws.gradNorm, accumulate: false, scratch: ws.gradAdapter,
                               transposeScratch: ws.adapterTranspose)
        linear(.up).backward(gradOut: ws.gradUp, input: ws.norm2, tokens: t, adapterActivation: adapterActivation(.up),
                             gradInput: ws.gradNorm, accumulate: true, scratch: ws.gradAdapter,
                             transposeScratch: ws.adapterTranspose)
        addNormBackward(ws.middle, weight: block.ffnNorm, tokens: t, gradOut: ws.gradNorm, into: dx)

        // Attention: middle = input + o(attention(rope(q(n1)), rope(k(n1)), v(n1))).
        linear(.attentionOutput).backward(gradOut: dx, input: ws.attention, tokens: t,
                                          adapterActivation: adapterActivation(.attentionOutput),
                                          gradInput: ws.gradAttention, accumulate: false, scratch: ws.gradAdapter,
                                          transposeScratch: ws.adapterTranspose)
        causalAttentionBackward(q: ws.query, k: ws.key, v: ws.value, output: ws.attention, gradOut: ws.gradAttention,
                                tokens: t, heads: c.numHeads, kvHeads: c.numKVHeads, headDim: c.headDim,
                                gradQ: ws.gradQuery, gradK: ws.gradKey, gradV: ws.gradValue, pool: pool)
        applyInverseRotary(ws.gradQuery, tokens: t, heads: c.numHeads, headDim: c.headDim, table: rotary, layout: c.ropeLayout)
        applyInverseRotary(ws.gradKey, tokens: t, heads: c.numKVHeads, headDim: c.headDim, table: rotary, layout: c.ropeLayout)
        linear(.query).backward(gradOut: ws.gradQuery, input: ws.norm1, tokens: t, adapterActivation: adapterActivation(.query),
                                gradInput: ws.gradNorm, accumulate: false, scratch: ws.gradAdapter,
                                transposeScratch: ws.adapterTranspose)
        linear(.key).backward(gradOut: ws.gradKey, input: ws.norm1, tokens: t, adapterActivation: adapterActivation(.key),
                              gradInput: ws.gradNorm, accumulate: true, scratch: ws.gradAdapter,
                              transposeScratch: ws.adapterTranspose)
        linear(.value).backward(gradOut: ws.gradValue, input: ws.norm1, tokens: t, adapterActivation: adapterActivation(.value),
                                gradInput: ws.gradNorm, accumulate: true, scratch: ws.gradAdapter,
                                transposeScratch: ws.adapterTranspose)
        addNormBackward(input, weight: block.attentionNorm, tokens: t, gradOut: ws.gradNorm, into: dx)
    }

    /// dx += RMSNorm backward of (x, weight) applied to gradOut (the residual branch's gradient).
    private func addNormBackward(_ x: UnsafePointer<Float>, weight: [Float], tokens t: Int,
                                 gradOut: UnsafeMutablePointer<Float>, into dx: UnsafeMutablePointer<Float>) {
        let h = config.hiddenSize
        weight.withUnsafeBufferPointer {
            rmsNormBackward(x, rows: t, cols: h, weight: $0.baseAddress!, eps: config.rmsNormEps,
                            gradOut: gradOut, gradInput: gradOut)
        }
        for i in 0..<(t * h) { dx[i] += gradOut[i] }
    }
}
