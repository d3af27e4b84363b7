import Kernels

/// A frozen linear layer prepared for training: its weights packed for the forward product
/// (x Wᵀ) and, transposed, for the input gradient (dY W), both in the training precision. In
/// native training the forward keeps each matrix as the model holds it (encoded or f32) and the
/// transpose, which no file encodes, is f32.
struct FrozenLinear: Sendable {
    let forward: PackedWeights
    let backward: PackedWeights
    var inputs: Int { forward.cols }
    var outputs: Int { forward.rows }

    init(_ weights: PackedWeights, precision: WeightPrecision) {
        let values = weights.unpacked()
        let rows = weights.rows, cols = weights.cols
        var transposed = [Float](repeating: 0, count: rows * cols)
        values.withUnsafeBufferPointer { source in
            transposed.withUnsafeMutableBufferPointer { target in
                guard let s = source.baseAddress, let t = target.baseAddress else { return }
                transposeMatrix(s, rows: rows, cols: cols, lda: cols, into: t)
            }
        }
        forward = weights.precision == precision || precision == .native
            ? weights : PackedWeights(rows: rows, cols: cols, values: values, precision: precision)
        backward = PackedWeights(rows: cols, cols: rows, values: transposed, precision: precision)
    }
}
