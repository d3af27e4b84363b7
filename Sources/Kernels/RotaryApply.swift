/// Rotary position embeddings, in place, on x (tokens x heads*headDim, row-major): token t is
/// at position startPosition + t, and each pair of dimensions (a, b) of every head becomes
/// (a cos - b sin, a sin + b cos). `layout` says which dimensions pair up: `.rotateHalf`
/// (Hugging Face, i with i + headDim/2) or `.interleaved` (GGUF, 2i with 2i + 1).
///
/// The table must have the same headDim and cover positions up to startPosition + tokens.
public func applyRotary(_ x: UnsafeMutablePointer<Float>, tokens: Int, heads: Int, headDim: Int,
                        startPosition: Int = 0, table: RotaryTable, layout: RotaryLayout) {
    rotate(x, tokens: tokens, heads: heads, headDim: headDim, startPosition: startPosition,
           table: table, layout: layout, sinSign: 1)
}

/// The inverse (transpose) of `applyRotary`: rotates every pair by minus its angle. It is the
/// backward pass of rotary embeddings (the gradient with respect to the input is the inverse
/// rotation of the gradient with respect to the output), and undoes `applyRotary`.
public func applyInverseRotary(_ x: UnsafeMutablePointer<Float>, tokens: Int, heads: Int,
                               headDim: Int, startPosition: Int = 0, table: RotaryTable,
                               layout: RotaryLayout) {
    rotate(x, tokens: tokens, heads: heads, headDim: headDim, startPosition: startPosition,
           table: table, layout: layout, sinSign: -1)
}

private func rotate(_ x: UnsafeMutablePointer<Float>, tokens: Int, heads: Int, headDim: Int,
                    startPosition: Int, table: RotaryTable, layout: RotaryLayout, sinSign: Float) {
    if tokens <= 0 || heads <= 0 { return }
    precondition(headDim == table.headDim,
                 "applyRotary: headDim \(headDim) does not match the table's \(table.headDim)")
    precondition(startPosition >= 0 && startPosition + tokens <= table.positions,
                 "applyRotary: positions \(startPosition)..<\(startPosition + tokens) exceed the table's \(table.positions)")
    let half = headDim / 2
    table.cosines.withUnsafeBufferPointer { cosines in
        table.sines.withUnsafeBufferPointer { sines in
            guard let cosBase = cosines.baseAddress, let sinBase = sines.baseAddress else { return }
            for t in 0..<tokens {
                let position = startPosition + t
                let c = cosBase + position * half
                let s = sinBase + position * half
                for h in 0..<heads {
                    let head = x + (t * heads + h) * headDim
                    switch layout {
                    case .rotateHalf:
                        rotateHalfPairs(head, half: half, cos: c, sin: s, sinSign: sinSign)
                    case .interleaved:
                        rotateAdjacentPairs(head, half: half, cos: c, sin: s, sinSign: sinSign)
                    }
                }
            }
        }
    }
}

/// Pairs (i, i + half): 16 pairs per vector step, then a scalar tail.
@inline(__always)
private func rotateHalfPairs(_ head: UnsafeMutablePointer<Float>, half: Int, cos: UnsafePointer<Float>,
                             sin: UnsafePointer<Float>, sinSign: Float) {
    let sign = SIMD16<Float>(repeating: sinSign)
    var i = 0
    while i + 16 <= half {
        let a = OpsSIMD.load(head + i)
        let b = OpsSIMD.load(head + half + i)
        let cv = OpsSIMD.load(cos + i)
        let sv = OpsSIMD.load(sin + i) * sign
        OpsSIMD.store(a * cv - b * sv, head + i)
        OpsSIMD.store(a * sv + b * cv, head + half + i)
        i += 16
    }
    while i < half {
        let a = head[i], b = head[half + i]
        let cv = cos[i], sv = sin[i] * sinSign
        head[i] = a * cv - b * sv
        head[half + i] = a * sv + b * cv
        i += 1
    }
}

/// Pairs (2i, 2i + 1), scalar (the layout costs a shuffle per vector and the whole kernel is
/// a rounding error next to the projections).
@inline(__always)
private func rotateAdjacentPairs(_ head: UnsafeMutablePointer<Float>, half: Int, cos: UnsafePointer<Float>,
                                 sin: UnsafePointer<Float>, sinSign: Float) {
    for i in 0..<half {
        let a = head[2 * i], b = head[2 * i + 1]
        let cv = cos[i], sv = sin[i] * sinSign
        head[2 * i] = a * cv - b * sv
        head[2 * i + 1] = a * sv + b * cv
    }
}
