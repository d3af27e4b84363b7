/// Keys per score tile: the QK^T micro-kernel computes 4 queries x 64 keys at a time.
private let keyTile = 64
/// Queries per task: one task is one (head, block of this many consecutive queries).
private let queryBlock = 64

/// Causal self-attention over one window with grouped KV heads.
///
/// q is (tokens x heads*headDim), k and v are (tokens x kvHeads*headDim), out is
/// (tokens x heads*headDim), all f32 row-major. Query head h uses KV head h / (heads/kvHeads);
/// query t attends to keys 0...t with scores q.k / sqrt(headDim) and an exact softmax.
///
/// The keys are first transposed into per-tile panels (headDim x 64 floats, contiguous), so
/// the score micro-kernel streams them with broadcast-FMA into 4x64 register tiles; the value
/// micro-kernel accumulates 4 queries x 64 dimensions over keys. Work is split over
/// (head, block of 64 queries), longest blocks first; every output element is computed by one
/// task in a fixed order (f32 accumulators, sequential over keys and dimensions), so the result
/// has the same bits for any thread count. Scratch: one panel copy of K plus
/// 64 x tokens floats per running task.
///
/// Shapes must be consistent (heads and kvHeads positive, heads a multiple of kvHeads,
/// headDim positive); the model configuration guarantees it.
public func causalAttention(q: UnsafePointer<Float>, k: UnsafePointer<Float>, v: UnsafePointer<Float>,
                            tokens: Int, heads: Int, kvHeads: Int, headDim: Int,
                            into out: UnsafeMutablePointer<Float>, pool: ThreadPool) {
    precondition(heads > 0 && kvHeads > 0 && heads % kvHeads == 0 && headDim > 0,
                 "causalAttention: need heads (\(heads)) a positive multiple of kvHeads (\(kvHeads)) and headDim (\(headDim)) > 0")
    if tokens <= 0 { return }
    let tiles = (tokens + keyTile - 1) / keyTile
    let panelFloats = headDim * keyTile
    let panels = UnsafeMutablePointer<Float>.allocate(capacity: kvHeads * tiles * panelFloats)
    defer { panels.deallocate() }
    let kvStride = kvHeads * headDim

    pool.parallelFor(kvHeads * tiles) { index in
        let kvHead = index / tiles
        let tile = index % tiles
        transposeKeyTile(k + kvHead * headDim, stride: kvStride, firstKey: tile * keyTile,
                         tokens: tokens, headDim: headDim, into: panels + index * panelFloats)
    }

    let blocks = (tokens + queryBlock - 1) / queryBlock
    let scale = Float(1 / Double(headDim).squareRoot())
    let geometry = AttentionGeometry(tokens: tokens, heads: heads, kvHeads: kvHeads, headDim: headDim,
                                     scale: scale)
    pool.parallelFor(heads * blocks) { index in
        let block = blocks - 1 - index / heads
        let head = index % heads
        let kvHead = head / (heads / kvHeads)
        attendQueryBlock(q: q, keyPanels: panels + kvHead * tiles * panelFloats, v: v + kvHead * headDim,
                         out: out, head: head, firstQuery: block * queryBlock,
                         endQuery: Swift.min(tokens, (block + 1) * queryBlock), geometry: geometry)
    }
}

/// Sizes shared by every task of one attention call.
private struct AttentionGeometry {
    let tokens: Int
    let heads: Int
    let kvHeads: Int
    let headDim: Int
    let scale: Float
    var queryStride: Int { heads * headDim }
    var kvStride: Int { kvHeads * headDim }
    var panelFloats: Int { headDim * keyTile }
}

/// Copies keys firstKey..<firstKey+64 of one KV head into a (headDim x 64) panel, zero beyond
/// the last token.
private func transposeKeyTile(_ k: UnsafePointer<Float>, stride: Int, firstKey: Int, tokens: Int,
                              headDim: Int, into panel: UnsafeMutablePointer<Float>) {
    for column in 0..<keyTile {
        let key = firstKey + column
        if key < tokens {
            let source = k + key * stride
            for d in 0..<headDim { panel[d * keyTile + column] = source[d] }
        } else {
            for d in 0..<headDim { panel[d * keyTile + column] = 0 }
        }
    }
}

/// One task: queries firstQuery..<endQuery of one head.
private func attendQueryBlock(q: UnsafePointer<Float>, keyPanels: UnsafePointer<Float>,
                              v: UnsafePointer<Float>, out: UnsafeMutablePointer<Float>, head: Int,
                              firstQuery: Int, endQuery: Int, geometry g: AttentionGeometry) {
    let rows = endQuery - firstQuery
    let headDim = g.headDim
    let scoreStride = (endQuery + keyTile - 1) / keyTile * keyTile
    let scores = UnsafeMutablePointer<Float>.allocate(capacity: rows * scoreStride)
    let queries = UnsafeMutablePointer<Float>.allocate(capacity: rows * headDim)
    let inverseSums = UnsafeMutablePointer<Float>.allocate(capacity: rows)
    defer {
        scores.deallocate()
        queries.deallocate()
        inverseSums.deallocate()
    }

    // Scaled queries of this head, contiguous.
    for r in 0..<rows {
        let source = q + (firstQuery + r) * g.queryStride + head * headDim
        for d in 0..<headDim { queries[r * headDim + d] = source[d] * g.scale }
    }

    // Scores of every query against the keys up to its group's last query.
    var r = 0
    while r + 4 <= rows {
        let keyEnd = firstQuery + r + 4
        for tile in 0..<(keyEnd + keyTile - 1) / keyTile {
            scoreTile4x64(queries + r * headDim, headDim: headDim, panel: keyPanels + tile * g.panelFloats,
                          into: scores + r * scoreStride + tile * keyTile, stride: scoreStride)
        }
        r += 4
    }
    while r < rows {
        let keyEnd = firstQuery + r + 1
        for tile in 0..<(keyEnd + keyTile - 1) / keyTile {
            scoreTile1x64(queries + r * headDim, headDim: headDim, panel: keyPanels + tile * g.panelFloats,
                          into: scores + r * scoreStride + tile * keyTile)
        }
        r += 1
    }

    // Unnormalised softmax over keys 0...query; later keys (up to the block end) become 0.
    for r in 0..<rows {
        let row = scores + r * scoreStride
        let visible = firstQuery + r + 1
        let maximum = softmaxRowMaximum(row, count: visible)
        inverseSums[r] = 1 / softmaxExponentiate(row, count: visible, minus: maximum)
        if visible < endQuery { (row + visible).update(repeating: 0, count: endQuery - visible) }
    }

    // Weighted sums of values, scaled by the inverse softmax sums.
    let vStride = g.kvStride
    let outStride = g.queryStride
    r = 0
    while r + 4 <= rows {
        let keys = firstQuery + r + 4
        let target = out + (firstQuery + r) * outStride + head * headDim
        var d = 0
        while d + 64 <= headDim {
            valueTile4x64(scores + r * scoreStride, scoreStride: scoreStride, keys: keys, v: v + d,
                          vStride: vStride, inverseSums: inverseSums + r, into: target + d, outStride: outStride)
            d += 64
        }
        for row in 0..<4 {
            valueRemainder(scores + (r + row) * scoreStride, keys: keys, v: v, vStride: vStride,
                           from: d, to: headDim, inverseSum: inverseSums[r + row],
                           into: target + row * outStride)
        }
        r += 4
    }
    while r < rows {
        valueRemainder(scores + r * scoreStride, keys: firstQuery + r + 1, v: v, vStride: vStride,
                       from: 0, to: headDim, inverseSum: inverseSums[r],
                       into: out + (firstQuery + r) * outStride + head * headDim)
        r += 1
    }
}

/// scores[row][0..<64] = queries[row] . panel columns, for 4 consecutive query rows.
@inline(__always)
private func scoreTile4x64(_ queries: UnsafePointer<Float>, headDim: Int, panel: UnsafePointer<Float>,
                           into scores: UnsafeMutablePointer<Float>, stride: Int) {
    var a00 = SIMD16<Float>(), a01 = SIMD16<Float>(), a02 = SIMD16<Float>(), a03 = SIMD16<Float>()
    var a10 = SIMD16<Float>(), a11 = SIMD16<Float>(), a12 = SIMD16<Float>(), a13 = SIMD16<Float>()
    var a20 = SIMD16<Float>(), a21 = SIMD16<Float>(), a22 = SIMD16<Float>(), a23 = SIMD16<Float>()
    var a30 = SIMD16<Float>(), a31 = SIMD16<Float>(), a32 = SIMD16<Float>(), a33 = SIMD16<Float>()
    let q0 = queries, q1 = queries + headDim, q2 = queries + 2 * headDim, q3 = queries + 3 * headDim
    for d in 0..<headDim {
        let keys = panel + d * keyTile
        let k0 = OpsSIMD.load(keys), k1 = OpsSIMD.load(keys + 16)
        let k2 = OpsSIMD.load(keys + 32), k3 = OpsSIMD.load(keys + 48)
        let b0 = SIMD16<Float>(repeating: q0[d])
        a00.addProduct(b0, k0); a01.addProduct(b0, k1); a02.addProduct(b0, k2); a03.addProduct(b0, k3)
        let b1 = SIMD16<Float>(repeating: q1[d])
        a10.addProduct(b1, k0); a11.addProduct(b1, k1); a12.addProduct(b1, k2); a13.addProduct(b1, k3)
        let b2 = SIMD16<Float>(repeating: q2[d])
        a20.addProduct(b2, k0); a21.addProduct(b2, k1); a22.addProduct(b2, k2); a23.addProduct(b2, k3)
        let b3 = SIMD16<Float>(repeating: q3[d])
        a30.addProduct(b3, k0); a31.addProduct(b3, k1); a32.addProduct(b3, k2); a33.addProduct(b3, k3)
    }
    let s0 = scores, s1 = scores + stride, s2 = scores + 2 * stride, s3 = scores + 3 * stride
    OpsSIMD.store(a00, s0); OpsSIMD.store(a01, s0 + 16); OpsSIMD.store(a02, s0 + 32); OpsSIMD.store(a03, s0 + 48)
    OpsSIMD.store(a10, s1); OpsSIMD.store(a11, s1 + 16); OpsSIMD.store(a12, s1 + 32); OpsSIMD.store(a13, s1 + 48)
    OpsSIMD.store(a20, s2); OpsSIMD.store(a21, s2 + 16); OpsSIMD.store(a22, s2 + 32); OpsSIMD.store(a23, s2 + 48)
    OpsSIMD.store(a30, s3); OpsSIMD.store(a31, s3 + 16); OpsSIMD.store(a32, s3 + 32); OpsSIMD.store(a33, s3 + 48)
}

/// scores[0..<64] = query . panel columns, for one query row (same order as the 4-row tile).
@inline(__always)
private func scoreTile1x64(_ query: UnsafePointer<Float>, headDim: Int, panel: UnsafePointer<Float>,
                           into scores: UnsafeMutablePointer<Float>) {
    var a0 = SIMD16<Float>(), a1 = SIMD16<Float>(), a2 = SIMD16<Float>(), a3 = SIMD16<Float>()
    for d in 0..<headDim {
        let keys = panel + d * keyTile
        let b = SIMD16<Float>(repeating: query[d])
        a0.addProduct(b, OpsSIMD.load(keys)); a1.addProduct(b, OpsSIMD.load(keys + 16))
        a2.addProduct(b, OpsSIMD.load(keys + 32)); a3.addProduct(b, OpsSIMD.load(keys + 48))
    }
    OpsSIMD.store(a0, scores); OpsSIMD.store(a1, scores + 16)
    OpsSIMD.store(a2, scores + 32); OpsSIMD.store(a3, scores + 48)
}

/// out[row][0..<64] = inverseSums[row] * sum over keys j of weights[row][j] * v[j][0..<64],
/// for 4 consecutive rows (weights of keys a row may not see are 0).
@inline(__always)
private func valueTile4x64(_ weights: UnsafePointer<Float>, scoreStride: Int, keys: Int, v: UnsafePointer<Float>,
                           vStride: Int, inverseSums: UnsafePointer<Float>, into out: UnsafeMutablePointer<Float>,
                           outStride: Int) {
    var a00 = SIMD16<Float>(), a01 = SIMD16<Float>(), a02 = SIMD16<Float>(), a03 = SIMD16<Float>()
    var a10 = SIMD16<Float>(), a11 = SIMD16<Float>(), a12 = SIMD16<Float>(), a13 = SIMD16<Float>()
    var a20 = SIMD16<Float>(), a21 = SIMD16<Float>(), a22 = SIMD16<Float>(), a23 = SIMD16<Float>()
    var a30 = SIMD16<Float>(), a31 = SIMD16<Float>(), a32 = SIMD16<Float>(), a33 = SIMD16<Float>()
    let w0 = weights, w1 = weights + scoreStride, w2 = weights + 2 * scoreStride, w3 = weights + 3 * scoreStride
    for j in 0..<keys {
        let values = v + j * vStride
        let v0 = OpsSIMD.load(values), v1 = OpsSIMD.load(values + 16)
        let v2 = OpsSIMD.load(values + 32), v3 = OpsSIMD.load(values + 48)
        let b0 = SIMD16<Float>(repeating: w0[j])
        a00.addProduct(b0, v0); a01.addProduct(b0, v1); a02.addProduct(b0, v2); a03.addProduct(b0, v3)
        let b1 = SIMD16<Float>(repeating: w1[j])
        a10.addProduct(b1, v0); a11.addProduct(b1, v1); a12.addProduct(b1, v2); a13.addProduct(b1, v3)
        let b2 = SIMD16<Float>(repeating: w2[j])
        a20.addProduct(b2, v0); a21.addProduct(b2, v1); a22.addProduct(b2, v2); a23.addProduct(b2, v3)
        let b3 = SIMD16<Float>(repeating: w3[j])
        a30.addProduct(b3, v0); a31.addProduct(b3, v1); a32.addProduct(b3, v2); a33.addProduct(b3, v3)
    }
    let i0 = SIMD16<Float>(repeating: inverseSums[0]), i1 = SIMD16<Float>(repeating: inverseSums[1])
    let i2 = SIMD16<Float>(repeating: inverseSums[2]), i3 = SIMD16<Float>(repeating: inverseSums[3])
    let o0 = out, o1 = out + outStride, o2 = out + 2 * outStride, o3 = out + 3 * outStride
    OpsSIMD.store(a00 * i0, o0); OpsSIMD.store(a01 * i0, o0 + 16); OpsSIMD.store(a02 * i0, o0 + 32); OpsSIMD.store(a03 * i0, o0 + 48)
    OpsSIMD.store(a10 * i1, o1); OpsSIMD.store(a11 * i1, o1 + 16); OpsSIMD.store(a12 * i1, o1 + 32); OpsSIMD.store(a13 * i1, o1 + 48)
    OpsSIMD.store(a20 * i2, o2); OpsSIMD.store(a21 * i2, o2 + 16); OpsSIMD.store(a22 * i2, o2 + 32); OpsSIMD.store(a23 * i2, o2 + 48)
    OpsSIMD.store(a30 * i3, o3); OpsSIMD.store(a31 * i3, o3 + 16); OpsSIMD.store(a32 * i3, o3 + 32); OpsSIMD.store(a33 * i3, o3 + 48)
}

/// Dimensions from..<to of one output row: 16 at a time, then one at a time, each
/// accumulated over keys in order.
private func valueRemainder(_ weights: UnsafePointer<Float>, keys: Int, v: UnsafePointer<Float>, vStride: Int,
                            from: Int, to: Int, inverseSum: Float, into out: UnsafeMutablePointer<Float>) {
    var d = from
    while d + 16 <= to {
        var acc = SIMD16<Float>()
        for j in 0..<keys { acc.addProduct(SIMD16(repeating: weights[j]), OpsSIMD.load(v + j * vStride + d)) }
        OpsSIMD.store(acc * SIMD16(repeating: inverseSum), out + d)
        d += 16
    }
    while d < to {
        var acc: Float = 0
        for j in 0..<keys { acc = acc.addingProduct(weights[j], v[j * vStride + d]) }
        out[d] = acc * inverseSum
        d += 1
    }
}
