import Kernels

/// Reorders the rows of a Q or K projection between the two rotary layouts.
///
/// Within each head of `headDim` rows, Hugging Face's rotate-half order pairs row `i` with row
/// `i + headDim/2`; llama.cpp's converter permutes them so that the pair sits at rows `2i` and
/// `2i + 1` (interleaved). Row `h * headDim/2 + i` (h = 0, 1) of the rotate-half order is row
/// `2i + h` of the interleaved order. Only the row order changes, so the model computes the
/// same function either way.
enum RotaryRowPermutation {
    /// The rows of `values` ([heads * headDim, cols], row-major) rearranged from `source` to
    /// `target` layout; unchanged when they are the same.
    static func reorder(
        _ values: [Float], heads: Int, headDim: Int, cols: Int, from source: RotaryLayout, to target: RotaryLayout
    ) -> [Float] {
        guard source != target else { return values }
        let half = headDim / 2
        var result = values
        values.withUnsafeBufferPointer { input in
            result.withUnsafeMutableBufferPointer { output in
                for head in 0..<heads {
                    for pairIndex in 0..<half {
                        for member in 0..<2 {
                            let rotateHalfRow = head * headDim + member * half + pairIndex
                            let interleavedRow = head * headDim + 2 * pairIndex + member
                            let (from, to) = source == .rotateHalf
                                ? (rotateHalfRow, interleavedRow) : (interleavedRow, rotateHalfRow)
                            for c in 0..<cols { output[to * cols + c] = input[from * cols + c] }
                        }
                    }
                }
            }
        }
        return result
    }
}
