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
}
