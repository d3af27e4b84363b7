#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Backward pass of `causalAttention` for fine-tuning: given the forward inputs, its `output`
/// and the upstream gradient `gradOut` (all in the forward layouts), overwrites gradQ
/// (tokens x heads*headDim) and gradK, gradV (tokens x kvHeads*headDim).
///
/// With P the attention weights, D_t = gradOut_t . output_t, dP = gradOut V^T and
/// dS = P * (dP - D): gradQ = dS K / sqrt(d), gradK = dS^T Q / sqrt(d), gradV = P^T gradOut,
/// where the query heads sharing a KV head add their contributions (in head order).
/// P is recomputed from the scores in two passes: one per (head, 64 queries) that also
/// records each row's log-sum-exp and writes gradQ, then one per (KV head, 64 keys) that writes
/// gradK and gradV. Each output element is owned by one task and accumulated in a fixed order,
/// so results are bit-identical for any thread count. Accumulates in f32, like the forward.
///
/// `scale` and `window` must be those of the forward call (same defaults, same meaning: scores
/// (q.k) * scale, key j visible to query t when 0 <= t - j < window); the formulas above hold
/// with 1/sqrt(d) replaced by the scale, masked pairs contribute exactly 0 to every gradient,
/// and tiles outside the window are skipped. Defaults give the same bits as before these
/// parameters existed.
public func causalAttentionBackward(q: UnsafePointer<Float>, k: UnsafePointer<Float>, v: UnsafePointer<Float>,
                                    output: UnsafePointer<Float>, gradOut: UnsafePointer<Float>,
                                    tokens: Int, heads: Int, kvHeads: Int, headDim: Int,
                                    scale: Float? = nil, window: Int? = nil,
                                    gradQ: UnsafeMutablePointer<Float>, gradK: UnsafeMutablePointer<Float>,
                                    gradV: UnsafeMutablePointer<Float>, pool: ThreadPool) {
    let shape = AttentionShape(tokens: tokens, heads: heads, kvHeads: kvHeads, headDim: headDim,
                               scale: scale, window: window)
    if tokens <= 0 { return }
    let perMatrix = shape.panelsPerMatrix
    let keyPanels = UnsafeMutablePointer<Float>.allocate(capacity: kvHeads * perMatrix)
    let valuePanels = UnsafeMutablePointer<Float>.allocate(capacity: kvHeads * perMatrix)
    let queryPanels = UnsafeMutablePointer<Float>.allocate(capacity: heads * perMatrix)
    let gradOutPanels = UnsafeMutablePointer<Float>.allocate(capacity: heads * perMatrix)
    // Per (head, query): D_t = gradOut_t . output_t and the log-sum-exp of the scaled scores.
    let outputDots = UnsafeMutablePointer<Float>.allocate(capacity: heads * tokens)
    let logSumExps = UnsafeMutablePointer<Float>.allocate(capacity: heads * tokens)
    defer {
        keyPanels.deallocate()
        valuePanels.deallocate()
        queryPanels.deallocate()
        gradOutPanels.deallocate()
        outputDots.deallocate()
        logSumExps.deallocate()
    }
    attentionTransposeAll(k, stride: shape.kvStride, rows: tokens, count: kvHeads, headDim: headDim,
                          into: keyPanels, pool: pool)
    attentionTransposeAll(v, stride: shape.kvStride, rows: tokens, count: kvHeads, headDim: headDim,
                          into: valuePanels, pool: pool)
    attentionTransposeAll(q, stride: shape.queryStride, rows: tokens, count: heads, headDim: headDim,
                          into: queryPanels, pool: pool)
    attentionTransposeAll(gradOut, stride: shape.queryStride, rows: tokens, count: heads, headDim: headDim,
                          into: gradOutPanels, pool: pool)
    for head in 0..<heads {
        for t in 0..<tokens {
            let offset = t * shape.queryStride + head * headDim
            outputDots[head * tokens + t] = dot(gradOut + offset, output + offset, count: headDim)
        }
    }

    let blocks = (tokens + attentionQueryBlock - 1) / attentionQueryBlock
    pool.parallelFor(heads * blocks) { index in
        let block = blocks - 1 - index / heads
        let head = index % heads
        let kvHead = shape.kvHead(of: head)
        queryGradients(q: q, gradOut: gradOut, k: k + kvHead * headDim,
                       keyPanels: keyPanels + kvHead * perMatrix, valuePanels: valuePanels + kvHead * perMatrix,
                       outputDots: outputDots + head * tokens, logSumExps: logSumExps + head * tokens,
                       head: head,
                       queries: (block * attentionQueryBlock)..<Swift.min(tokens, (block + 1) * attentionQueryBlock),
                       shape: shape, into: gradQ)
    }
    pool.parallelFor(kvHeads * blocks) { index in
        let kvHead = index / blocks
        let block = index % blocks
        keyValueGradients(q: q, gradOut: gradOut, k: k, v: v, queryPanels: queryPanels,
                          gradOutPanels: gradOutPanels, outputDots: outputDots, logSumExps: logSumExps,
                          kvHead: kvHead,
                          keys: (block * attentionQueryBlock)..<Swift.min(tokens, (block + 1) * attentionQueryBlock),
                          shape: shape, gradK: gradK, gradV: gradV)
    }
}

/// Pass 1, one task: gradQ rows of the given queries of one head, and their log-sum-exps.
private func queryGradients(q: UnsafePointer<Float>, gradOut: UnsafePointer<Float>, k: UnsafePointer<Float>,
                            keyPanels: UnsafePointer<Float>, valuePanels: UnsafePointer<Float>,
                            outputDots: UnsafePointer<Float>, logSumExps: UnsafeMutablePointer<Float>,
                            head: Int, queries: Range<Int>, shape: AttentionShape,
                            into gradQ: UnsafeMutablePointer<Float>) {
    let rows = queries.count
    let first = queries.lowerBound
    let headDim = shape.headDim
    let stride = shape.paddedColumns(queries.upperBound)
    let weights = UnsafeMutablePointer<Float>.allocate(capacity: rows * stride)
    let gradScores = UnsafeMutablePointer<Float>.allocate(capacity: rows * stride)
    let scaledQueries = UnsafeMutablePointer<Float>.allocate(capacity: rows * headDim)
    let upstream = UnsafeMutablePointer<Float>.allocate(capacity: rows * headDim)
    let scales = UnsafeMutablePointer<Float>.allocate(capacity: rows)
    defer {
        weights.deallocate()
        gradScores.deallocate()
        scaledQueries.deallocate()
        upstream.deallocate()
        scales.deallocate()
    }
    for r in 0..<rows {
        let offset = (first + r) * shape.queryStride + head * headDim
        for d in 0..<headDim {
            scaledQueries[r * headDim + d] = q[offset + d] * shape.scale
            upstream[r * headDim + d] = gradOut[offset + d]
        }
        scales[r] = shape.scale
    }
    let tiles: (Int, Int) -> Range<Int> = { r, count in
        (shape.firstKey(of: first + r) / attentionTile)..<(shape.paddedColumns(first + r + count) / attentionTile)
    }
    attentionScores(scaledQueries, rowCount: rows, headDim: headDim, panels: keyPanels, tileRange: tiles,
                    into: weights, stride: stride)
    attentionScores(upstream, rowCount: rows, headDim: headDim, panels: valuePanels, tileRange: tiles,
                    into: gradScores, stride: stride)

    // Each query's keys are firstKey...query; the other keys a group reads (from the block's
    // first key to the padded end) become 0.
    let blockFirstKey = shape.firstKey(of: first)
    for r in 0..<rows {
        let t = first + r
        let start = shape.firstKey(of: t)
        let visible = t + 1 - start
        let p = weights + r * stride
        let ds = gradScores + r * stride
        let maximum = softmaxRowMaximum(p + start, count: visible)
        let total = softmaxExponentiate(p + start, count: visible, minus: maximum)
        softmaxScale(p + start, count: visible, by: 1 / total)
        logSumExps[t] = maximum + Float(log(Double(total)))
        subtractAndMultiply(ds + start, minus: outputDots[t], times: p + start, count: visible)
        let padded = shape.paddedColumns(queries.upperBound)
        if t + 1 < padded {
            (p + t + 1).update(repeating: 0, count: padded - t - 1)
            (ds + t + 1).update(repeating: 0, count: padded - t - 1)
        }
        if start > blockFirstKey {
            (p + blockFirstKey).update(repeating: 0, count: start - blockFirstKey)
            (ds + blockFirstKey).update(repeating: 0, count: start - blockFirstKey)
        }
    }
    attentionWeightedSums(gradScores, weightStride: stride, rowCount: rows,
                          keyRange: { r, count in shape.firstKey(of: first + r)..<(first + r + count) },
                          values: k, valueStride: shape.kvStride,
                          headDim: headDim, factors: scales,
                          into: gradQ + first * shape.queryStride + head * headDim, outStride: shape.queryStride,
                          accumulate: false)
}

/// Pass 2, one task: gradK and gradV rows of the given keys of one KV head, summed over the
/// query heads of its group in head order.
private func keyValueGradients(q: UnsafePointer<Float>, gradOut: UnsafePointer<Float>, k: UnsafePointer<Float>,
                               v: UnsafePointer<Float>, queryPanels: UnsafePointer<Float>,
                               gradOutPanels: UnsafePointer<Float>, outputDots: UnsafePointer<Float>,
                               logSumExps: UnsafePointer<Float>, kvHead: Int, keys: Range<Int>,
                               shape: AttentionShape, gradK: UnsafeMutablePointer<Float>,
                               gradV: UnsafeMutablePointer<Float>) {
    let rows = keys.count
    let first = keys.lowerBound
    let tokens = shape.tokens
    let headDim = shape.headDim
    let stride = shape.paddedColumns(tokens)
    let weights = UnsafeMutablePointer<Float>.allocate(capacity: rows * stride)
    let gradScores = UnsafeMutablePointer<Float>.allocate(capacity: rows * stride)
    let scaledKeys = UnsafeMutablePointer<Float>.allocate(capacity: rows * headDim)
    let values = UnsafeMutablePointer<Float>.allocate(capacity: rows * headDim)
    let ones = UnsafeMutablePointer<Float>.allocate(capacity: rows)
    let scales = UnsafeMutablePointer<Float>.allocate(capacity: rows)
    defer {
        weights.deallocate()
        gradScores.deallocate()
        scaledKeys.deallocate()
        values.deallocate()
        ones.deallocate()
        scales.deallocate()
    }
    for r in 0..<rows {
        let offset = (first + r) * shape.kvStride + kvHead * headDim
        for d in 0..<headDim {
            scaledKeys[r * headDim + d] = k[offset + d] * shape.scale
            values[r * headDim + d] = v[offset + d]
        }
        ones[r] = 1
        scales[r] = shape.scale
    }
    let group = shape.heads / shape.kvHeads
    // The queries that see a group's keys end with those of its last key; tiles past them skipped.
    let tiles: (Int, Int) -> Range<Int> = { r, count in
        (first / attentionTile)..<(shape.paddedColumns(shape.queryEnd(ofKey: first + r + count - 1)) / attentionTile)
    }
    let queriesSeen: (Int, Int) -> Range<Int> = { r, count in first..<shape.queryEnd(ofKey: first + r + count - 1) }
    let blockQueryEnd = shape.queryEnd(ofKey: first + rows - 1)
    let kOut = gradK + first * shape.kvStride + kvHead * headDim
    let vOut = gradV + first * shape.kvStride + kvHead * headDim
    for head in (kvHead * group)..<((kvHead + 1) * group) {
        let perMatrix = shape.panelsPerMatrix
        // Transposed scores (keys x queries) and gradOut . v, for queries first..<tokens.
        attentionScores(scaledKeys, rowCount: rows, headDim: headDim, panels: queryPanels + head * perMatrix,
                        tileRange: tiles, into: weights, stride: stride)
        attentionScores(values, rowCount: rows, headDim: headDim, panels: gradOutPanels + head * perMatrix,
                        tileRange: tiles, into: gradScores, stride: stride)
        let lse = logSumExps + head * tokens
        let dots = outputDots + head * tokens
        for r in 0..<rows {
            let key = first + r
            let end = shape.queryEnd(ofKey: key)
            let p = weights + r * stride
            let ds = gradScores + r * stride
            // P^T[key][t] = exp(s - lse_t) for key <= t < end; queries before the key, or past
            // its window, never see it.
            exponentiateShifted(p + key, minus: lse + key, count: end - key)
            subtractEachAndMultiply(ds + key, minus: dots + key, times: p + key, count: end - key)
            if key > first {
                (p + first).update(repeating: 0, count: key - first)
                (ds + first).update(repeating: 0, count: key - first)
            }
            if end < blockQueryEnd {
                (p + end).update(repeating: 0, count: blockQueryEnd - end)
                (ds + end).update(repeating: 0, count: blockQueryEnd - end)
            }
        }
        let accumulate = head != kvHead * group
        attentionWeightedSums(weights, weightStride: stride, rowCount: rows, keyRange: queriesSeen,
                              values: gradOut + head * headDim, valueStride: shape.queryStride, headDim: headDim,
                              factors: ones, into: vOut, outStride: shape.kvStride, accumulate: accumulate)
        attentionWeightedSums(gradScores, weightStride: stride, rowCount: rows, keyRange: queriesSeen,
                              values: q + head * headDim, valueStride: shape.queryStride, headDim: headDim,
                              factors: scales, into: kOut, outStride: shape.kvStride, accumulate: accumulate)
    }
}

/// ds[i] = p[i] * (ds[i] - shift) for i < count.
@inline(__always)
private func subtractAndMultiply(_ ds: UnsafeMutablePointer<Float>, minus shift: Float, times p: UnsafePointer<Float>,
                                 count: Int) {
    let shiftVector = SIMD16<Float>(repeating: shift)
    var i = 0
    while i + 16 <= count {
        OpsSIMD.store(OpsSIMD.load(p + i) * (OpsSIMD.load(ds + i) - shiftVector), ds + i)
        i += 16
    }
    while i < count {
        ds[i] = p[i] * (ds[i] - shift)
        i += 1
    }
}

/// ds[i] = p[i] * (ds[i] - shifts[i]) for i < count.
@inline(__always)
private func subtractEachAndMultiply(_ ds: UnsafeMutablePointer<Float>, minus shifts: UnsafePointer<Float>,
                                     times p: UnsafePointer<Float>, count: Int) {
    var i = 0
    while i + 16 <= count {
        OpsSIMD.store(OpsSIMD.load(p + i) * (OpsSIMD.load(ds + i) - OpsSIMD.load(shifts + i)), ds + i)
        i += 16
    }
    while i < count {
        ds[i] = p[i] * (ds[i] - shifts[i])
        i += 1
    }
}

/// x[i] = exp(x[i] - shifts[i]) for i < count, all through the vector exp.
@inline(__always)
private func exponentiateShifted(_ x: UnsafeMutablePointer<Float>, minus shifts: UnsafePointer<Float>, count: Int) {
    var i = 0
    while i + 16 <= count {
        OpsSIMD.store(OpsExp.exp(OpsSIMD.load(x + i) - OpsSIMD.load(shifts + i)), x + i)
        i += 16
    }
    if i < count {
        var lanes = SIMD16<Float>(repeating: -.infinity)
        for lane in 0..<(count - i) { lanes[lane] = x[i + lane] - shifts[i + lane] }
        let e = OpsExp.exp(lanes)
        for lane in 0..<(count - i) { x[i + lane] = e[lane] }
    }
}
