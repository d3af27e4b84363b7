// Building blocks shared by the attention forward and backward passes: transposed 64-column
// panels, the 4x64 dot-product tile (rows against panel columns) and the 4x64 weighted-sum tile
// (weights times value rows). Every output element is accumulated in a fixed order (over
// headDim for dots, over keys for sums), so results do not depend on how tasks are scheduled.

/// Columns per panel and per score tile.
let attentionTile = 64

/// Copies rows first..<first+64 of a strided matrix (headDim floats each) into a
/// (headDim x 64) panel, column c holding row first + c; zero beyond `total` rows.
func attentionTransposeTile(_ source: UnsafePointer<Float>, stride: Int, first: Int, total: Int,
                            headDim: Int, into panel: UnsafeMutablePointer<Float>) {
    for column in 0..<attentionTile {
        let row = first + column
        if row < total {
            let values = source + row * stride
            for d in 0..<headDim { panel[d * attentionTile + column] = values[d] }
        } else {
            for d in 0..<headDim { panel[d * attentionTile + column] = 0 }
        }
    }
}

/// Panels of every 64-row tile of `count` matrices: matrix m starts at source + m * headDim
/// (heads interleaved in one row, `stride` floats apart); its tiles go to panels + (m * tiles +
/// tile) * headDim * 64. Spread over the pool.
func attentionTransposeAll(_ source: UnsafePointer<Float>, stride: Int, rows: Int, count: Int, headDim: Int,
                           into panels: UnsafeMutablePointer<Float>, pool: ThreadPool) {
    let tiles = (rows + attentionTile - 1) / attentionTile
    let panelFloats = headDim * attentionTile
    pool.parallelFor(count * tiles) { index in
        attentionTransposeTile(source + (index / tiles) * headDim, stride: stride,
                               first: (index % tiles) * attentionTile, total: rows, headDim: headDim,
                               into: panels + index * panelFloats)
    }
}

/// Dot products of `rowCount` contiguous rows (headDim floats each) with panel columns:
/// scores[r][tile * 64 + c] = rows[r] . column c of panel `tile`, for the tiles
/// `tileRange(firstRowOfGroup, rowsInGroup)` of each group of 4 rows (then single rows).
func attentionScores(_ rows: UnsafePointer<Float>, rowCount: Int, headDim: Int, panels: UnsafePointer<Float>,
                     tileRange: (Int, Int) -> Range<Int>, into scores: UnsafeMutablePointer<Float>,
                     stride: Int) {
    let panelFloats = headDim * attentionTile
    var r = 0
    while r + 4 <= rowCount {
        for tile in tileRange(r, 4) {
            scoreTile4x64(rows + r * headDim, headDim: headDim, panel: panels + tile * panelFloats,
                          into: scores + r * stride + tile * attentionTile, stride: stride)
        }
        r += 4
    }
    while r < rowCount {
        for tile in tileRange(r, 1) {
            scoreTile1x64(rows + r * headDim, headDim: headDim, panel: panels + tile * panelFloats,
                          into: scores + r * stride + tile * attentionTile)
        }
        r += 1
    }
}

/// Weighted sums of value rows: for each of `rowCount` weight rows r,
/// out[r] = factors[r] * sum over j in keyRange(group) of weights[r][j] * values[j]
/// (headDim floats, values `valueStride` apart), or added to out[r] when `accumulate`.
/// Groups of 4 rows share one key range (weights outside a row's own range must be 0).
func attentionWeightedSums(_ weights: UnsafePointer<Float>, weightStride: Int, rowCount: Int,
                           keyRange: (Int, Int) -> Range<Int>, values: UnsafePointer<Float>, valueStride: Int,
                           headDim: Int, factors: UnsafePointer<Float>, into out: UnsafeMutablePointer<Float>,
                           outStride: Int, accumulate: Bool) {
    var r = 0
    while r + 4 <= rowCount {
        let keys = keyRange(r, 4)
        let w = weights + r * weightStride + keys.lowerBound
        let vs = values + keys.lowerBound * valueStride
        let target = out + r * outStride
        var d = 0
        while d + 64 <= headDim {
            valueTile4x64(w, weightStride: weightStride, keys: keys.count, v: vs + d, vStride: valueStride,
                          factors: factors + r, into: target + d, outStride: outStride, accumulate: accumulate)
            d += 64
        }
        for row in 0..<4 {
            valueRemainder(w + row * weightStride, keys: keys.count, v: vs, vStride: valueStride, from: d,
                           to: headDim, factor: factors[r + row], into: target + row * outStride,
                           accumulate: accumulate)
        }
        r += 4
    }
    while r < rowCount {
        let keys = keyRange(r, 1)
        valueRemainder(weights + r * weightStride + keys.lowerBound, keys: keys.count,
                       v: values + keys.lowerBound * valueStride, vStride: valueStride, from: 0, to: headDim,
                       factor: factors[r], into: out + r * outStride, accumulate: accumulate)
        r += 1
    }
}

/// scores[row][0..<64] = rows[row] . panel columns, for 4 consecutive rows.
@inline(__always)
private func scoreTile4x64(_ queries: UnsafePointer<Float>, headDim: Int, panel: UnsafePointer<Float>,
                           into scores: UnsafeMutablePointer<Float>, stride: Int) {
    var a00 = SIMD16<Float>(), a01 = SIMD16<Float>(), a02 = SIMD16<Float>(), a03 = SIMD16<Float>()
    var a10 = SIMD16<Float>(), a11 = SIMD16<Float>(), a12 = SIMD16<Float>(), a13 = SIMD16<Float>()
    var a20 = SIMD16<Float>(), a21 = SIMD16<Float>(), a22 = SIMD16<Float>(), a23 = SIMD16<Float>()
    var a30 = SIMD16<Float>(), a31 = SIMD16<Float>(), a32 = SIMD16<Float>(), a33 = SIMD16<Float>()
    let q0 = queries, q1 = queries + headDim, q2 = queries + 2 * headDim, q3 = queries + 3 * headDim
    for d in 0..<headDim {
        let keys = panel + d * attentionTile
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

/// scores[0..<64] = row . panel columns, for one row (same order as the 4-row tile).
@inline(__always)
private func scoreTile1x64(_ query: UnsafePointer<Float>, headDim: Int, panel: UnsafePointer<Float>,
                           into scores: UnsafeMutablePointer<Float>) {
    var a0 = SIMD16<Float>(), a1 = SIMD16<Float>(), a2 = SIMD16<Float>(), a3 = SIMD16<Float>()
    for d in 0..<headDim {
        let keys = panel + d * attentionTile
        let b = SIMD16<Float>(repeating: query[d])
        a0.addProduct(b, OpsSIMD.load(keys)); a1.addProduct(b, OpsSIMD.load(keys + 16))
        a2.addProduct(b, OpsSIMD.load(keys + 32)); a3.addProduct(b, OpsSIMD.load(keys + 48))
    }
    OpsSIMD.store(a0, scores); OpsSIMD.store(a1, scores + 16)
    OpsSIMD.store(a2, scores + 32); OpsSIMD.store(a3, scores + 48)
}

/// Writes (or adds) factor * value where `accumulate` says.
@inline(__always)
private func put(_ value: SIMD16<Float>, _ factor: SIMD16<Float>, _ target: UnsafeMutablePointer<Float>,
                 _ accumulate: Bool) {
    if accumulate {
        OpsSIMD.store(OpsSIMD.load(target).addingProduct(value, factor), target)
    } else {
        OpsSIMD.store(value * factor, target)
    }
}

/// out[row][0..<64] = factors[row] * sum over keys j of weights[row][j] * v[j][0..<64] (or
/// added to out), for 4 consecutive rows.
@inline(__always)
private func valueTile4x64(_ weights: UnsafePointer<Float>, weightStride: Int, keys: Int, v: UnsafePointer<Float>,
                           vStride: Int, factors: UnsafePointer<Float>, into out: UnsafeMutablePointer<Float>,
                           outStride: Int, accumulate: Bool) {
    var a00 = SIMD16<Float>(), a01 = SIMD16<Float>(), a02 = SIMD16<Float>(), a03 = SIMD16<Float>()
    var a10 = SIMD16<Float>(), a11 = SIMD16<Float>(), a12 = SIMD16<Float>(), a13 = SIMD16<Float>()
    var a20 = SIMD16<Float>(), a21 = SIMD16<Float>(), a22 = SIMD16<Float>(), a23 = SIMD16<Float>()
    var a30 = SIMD16<Float>(), a31 = SIMD16<Float>(), a32 = SIMD16<Float>(), a33 = SIMD16<Float>()
    let w0 = weights, w1 = weights + weightStride, w2 = weights + 2 * weightStride, w3 = weights + 3 * weightStride
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
    let f0 = SIMD16<Float>(repeating: factors[0]), f1 = SIMD16<Float>(repeating: factors[1])
    let f2 = SIMD16<Float>(repeating: factors[2]), f3 = SIMD16<Float>(repeating: factors[3])
    let o0 = out, o1 = out + outStride, o2 = out + 2 * outStride, o3 = out + 3 * outStride
    put(a00, f0, o0, accumulate); put(a01, f0, o0 + 16, accumulate); put(a02, f0, o0 + 32, accumulate); put(a03, f0, o0 + 48, accumulate)
    put(a10, f1, o1, accumulate); put(a11, f1, o1 + 16, accumulate); put(a12, f1, o1 + 32, accumulate); put(a13, f1, o1 + 48, accumulate)
    put(a20, f2, o2, accumulate); put(a21, f2, o2 + 16, accumulate); put(a22, f2, o2 + 32, accumulate); put(a23, f2, o2 + 48, accumulate)
    put(a30, f3, o3, accumulate); put(a31, f3, o3 + 16, accumulate); put(a32, f3, o3 + 32, accumulate); put(a33, f3, o3 + 48, accumulate)
}

/// Dimensions from..<to of one output row: 16 at a time, then one at a time, each
/// accumulated over keys in order, times `factor` (written, or added when `accumulate`).
private func valueRemainder(_ weights: UnsafePointer<Float>, keys: Int, v: UnsafePointer<Float>, vStride: Int,
                            from: Int, to: Int, factor: Float, into out: UnsafeMutablePointer<Float>,
                            accumulate: Bool) {
    var d = from
    while d + 16 <= to {
        var acc = SIMD16<Float>()
        for j in 0..<keys { acc.addProduct(SIMD16(repeating: weights[j]), OpsSIMD.load(v + j * vStride + d)) }
        put(acc, SIMD16(repeating: factor), out + d, accumulate)
        d += 16
    }
    while d < to {
        var acc: Float = 0
        for j in 0..<keys { acc = acc.addingProduct(weights[j], v[j * vStride + d]) }
        out[d] = accumulate ? out[d].addingProduct(acc, factor) : acc * factor
        d += 1
    }
}
