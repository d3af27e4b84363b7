/// Sees every block of a forward pass: its input and output hidden states and the activations
/// that enter its down projection. Calibration implements it to accumulate statistics while
/// the windows stream through, so nothing per window has to be stored.
///
/// Pointers are valid only during the call. `input` and `output` are tokens x hidden,
/// `ffnActivations` is tokens x (the block's FFN width), all row-major.
public protocol BlockObserver: AnyObject {
    func observe(
        block: Int, tokens: Int, input: UnsafePointer<Float>, output: UnsafePointer<Float>,
        ffnActivations: UnsafePointer<Float>)

    /// See the extension's default: sublayer intermediates for calibration.
    func observeSublayers(block: Int, tokens: Int, input: UnsafePointer<Float>, middle: UnsafePointer<Float>,
                          output: UnsafePointer<Float>, attentionOutput: UnsafePointer<Float>, attentionWidth: Int)
}

extension BlockObserver {
    /// Sees one block's sublayers before `observe`: `input` and `output` as there, `middle` the block input plus
    /// the attention branch (tokens x hidden), `attentionOutput` the attention's output before
    /// the output projection (tokens x `attentionWidth`, the block's query heads x head size,
    /// head by head; width 0 when the block has no attention). Ignored unless implemented.
    public func observeSublayers(block: Int, tokens: Int, input: UnsafePointer<Float>, middle: UnsafePointer<Float>,
                                 output: UnsafePointer<Float>, attentionOutput: UnsafePointer<Float>,
                                 attentionWidth: Int) {}
}

extension BlockObserver {
    /// Tells this observer about block `index` just run over `tokens` rows (sublayers first,
    /// then the block), from the intermediates `activations` holds: the one place both the
    /// window-by-window and the layer-sequential pass report a block.
    func sawBlock(_ index: Int, config: LlamaConfig, tokens: Int, input: UnsafePointer<Float>,
                  output: UnsafePointer<Float>, activations: BlockActivations) {
        observeSublayers(block: index, tokens: tokens, input: input, middle: activations.middle, output: output,
                         attentionOutput: activations.attention,
                         attentionWidth: config.heads(layer: index) * config.headDim)
        observe(block: index, tokens: tokens, input: input, output: output, ffnActivations: activations.gated)
    }
}
