/// Which operands attention's two products (scores Q K^T, sums P V) read.
public enum AttentionPrecision: Sendable, Equatable {
    /// f32 queries, keys, weights and values (the reference; training differentiates this).
    case f32
    /// Queries (scaled), keys, unnormalised softmax weights and values rounded to bf16 (nearest
    /// even), products summed in f32 by vdpbf16ps: the attention of a model whose weights are bf16,
    /// so that attention keeps pace with its bf16 GEMMs (about a sixth of a bf16 calibration
    /// pass at 1024 tokens ran in the f32 products). The softmax itself stays f32.
    case bf16
}

/// Causal attention with bf16 products (`causalAttention(..., precision: .bf16)`): the same
/// tasks, masking and softmax as the f32 path, with
///
/// - keys packed once per call into per-tile panels of bf16 pairs ((headDim / 2) x 64 u32, lane
///   c = (k[c][2p], k[c][2p+1])), read by a 4 x 64 score tile that broadcasts a query pair;
/// - values packed once into key-pair rows (lane d = (v[2j][d], v[2j+1][d]), zero past the last
///   token), read by a 4 x 64 sum tile that broadcasts a pair of softmax weights;
/// - per group of 4 queries, its softmax weights rounded to bf16 pairs over an even-aligned key
///   range, keys outside the group's range weighted exactly 0.
///
/// Every output element is still computed by one task in a fixed order, so the result has the same
/// bits for any thread count. headDim must be even (the caller falls back to f32 otherwise).
func causalAttentionBF16(q: UnsafePointer<Float>, k: UnsafePointer<Float>, v: UnsafePointer<Float>,
                         shape: AttentionShape, into out: UnsafeMutablePointer<Float>, pool: ThreadPool) {
    precondition(shape.headDim % 2 == 0, "bf16 attention needs an even headDim, got \(shape.headDim)")
    let tiles = shape.tiles
    let keyPanels = UnsafeMutablePointer<UInt32>.allocate(capacity: shape.kvHeads * tiles * shape.pairPanel)
    let valuePairs = UnsafeMutablePointer<UInt32>.allocate(capacity: shape.kvHeads * shape.valuePairsPerHead)
    defer {
        keyPanels.deallocate()
        valuePairs.deallocate()
    }
    pool.parallelFor(shape.kvHeads * tiles) { index in
        let head = index / tiles, tile = index % tiles
        let first = tile * attentionTile
        packKeyPairPanel(k + head * shape.headDim, stride: shape.kvStride, first: first, shape: shape,
                         into: keyPanels + index * shape.pairPanel)
        packValuePairRows(v + head * shape.headDim, stride: shape.kvStride, first: first, shape: shape,
                          into: valuePairs + head * shape.valuePairsPerHead + first / 2 * shape.headDim)
    }

    let blocks = (shape.tokens + attentionQueryBlock - 1) / attentionQueryBlock
    pool.parallelFor(shape.heads * blocks) { index in
        let block = blocks - 1 - index / shape.heads
        let head = index % shape.heads
        let kvHead = shape.kvHead(of: head)
        attendQueryBlockBF16(q: q, keyPanels: keyPanels + kvHead * tiles * shape.pairPanel,
                             valuePairs: valuePairs + kvHead * shape.valuePairsPerHead, out: out, head: head,
                             queries: (block * attentionQueryBlock)..<Swift.min(shape.tokens, (block + 1) * attentionQueryBlock),
                             shape: shape)
    }
}

extension AttentionShape {
    /// bf16 pairs along headDim.
    var pairs: Int { headDim / 2 }
    /// u32 of one key panel: pairs x 64 keys.
    var pairPanel: Int { pairs * attentionTile }
    /// u32 of one KV head's value pair rows: (tiles x 64) / 2 key pairs x headDim.
    var valuePairsPerHead: Int { tiles * attentionTile / 2 * headDim }
}

/// One bf16 pair: `low` in bits 0-15, `high` in bits 16-31 (vdpbf16ps's operand order).
@inline(__always)
private func bf16Pair(_ low: Float, _ high: Float) -> UInt32 {
    UInt32(bf16Bits(low)) | UInt32(bf16Bits(high)) << 16
}

/// Panel of keys first..<first+64: lane (p, c) = (k[first+c][2p], k[first+c][2p+1]), 0 past the end.
private func packKeyPairPanel(_ keys: UnsafePointer<Float>, stride: Int, first: Int, shape: AttentionShape,
                              into panel: UnsafeMutablePointer<UInt32>) {
    for column in 0..<attentionTile {
        let row = first + column
        if row < shape.tokens {
            let values = keys + row * stride
            for p in 0..<shape.pairs { panel[p * attentionTile + column] = bf16Pair(values[2 * p], values[2 * p + 1]) }
        } else {
            for p in 0..<shape.pairs { panel[p * attentionTile + column] = 0 }
        }
    }
}

/// Key-pair rows first/2..<first/2+32: lane (j, d) = (v[2j][d], v[2j+1][d]), 0 past the end.
private func packValuePairRows(_ values: UnsafePointer<Float>, stride: Int, first: Int, shape: AttentionShape,
                               into rows: UnsafeMutablePointer<UInt32>) {
    for pair in 0..<(attentionTile / 2) {
        let even = first + 2 * pair, odd = even + 1
        let target = rows + pair * shape.headDim
        let low = values + even * stride, high = values + odd * stride
        for d in 0..<shape.headDim {
            target[d] = bf16Pair(even < shape.tokens ? low[d] : 0, odd < shape.tokens ? high[d] : 0)
        }
    }
}

/// One task: the given queries of one head, with bf16 products. It works group by group (4
/// queries: their score rows, softmax, bf16 weights and sums), so the group's score rows (16 KiB
/// at 1024 keys) stay in L1 between the steps instead of a whole block's going out to L2; each
/// row's computation is the same in either order.
private func attendQueryBlockBF16(q: UnsafePointer<Float>, keyPanels: UnsafePointer<UInt32>,
                                  valuePairs: UnsafePointer<UInt32>, out: UnsafeMutablePointer<Float>, head: Int,
                                  queries: Range<Int>, shape: AttentionShape) {
    let rows = queries.count, first = queries.lowerBound, pairs = shape.pairs
    let scoreStride = shape.paddedColumns(queries.upperBound)
    let weightStride = scoreStride / 2 + 1
    let scores = UnsafeMutablePointer<Float>.allocate(capacity: 4 * scoreStride)
    let queryPairs = UnsafeMutablePointer<UInt32>.allocate(capacity: rows * pairs)
    let weightPairs = UnsafeMutablePointer<UInt32>.allocate(capacity: 4 * weightStride)
    let inverseSums = UnsafeMutablePointer<Float>.allocate(capacity: 4)
    defer {
        scores.deallocate()
        queryPairs.deallocate()
        weightPairs.deallocate()
        inverseSums.deallocate()
    }
    // Queries times the scale, then as bf16 pairs.
    let scaled = UnsafeMutablePointer<Float>.allocate(capacity: rows * shape.headDim)
    defer { scaled.deallocate() }
    for r in 0..<rows {
        let source = q + (first + r) * shape.queryStride + head * shape.headDim
        for d in 0..<shape.headDim { scaled[r * shape.headDim + d] = source[d] * shape.scale }
    }
    packRowsAsBF16Pairs(scaled, lda: shape.headDim, rows: rows, count: shape.headDim, into: queryPairs, ldPairs: pairs)

    var r = 0
    while r < rows {
        let count = Swift.min(4, rows - r)
        // Scores against the tiles the group sees (as the f32 path).
        let tilesSeen = (shape.firstKey(of: first + r) / attentionTile)..<(shape.paddedColumns(first + r + count) / attentionTile)
        for tile in tilesSeen {
            scoreTileBF16(queryPairs + r * pairs, rows: count, pairs: pairs, panel: keyPanels + tile * shape.pairPanel,
                          into: scores + tile * attentionTile, stride: scoreStride)
        }
        let group = (first + r)..<(first + r + count)
        attentionSoftmax(scores, stride: scoreStride, queries: group, shape: shape, inverseSums: inverseSums)

        // Weighted sums: the group's weights as bf16 pairs over its keys, aligned down to an even key.
        let keys = shape.firstKey(of: group.lowerBound)..<group.upperBound
        let firstPair = keys.lowerBound / 2
        let pairCount = (keys.upperBound + 1) / 2 - firstPair
        // The pairs cover at most one key outside the group's range at each end (a column of these
        // score rows that no later step reads): weight 0.
        for row in 0..<count {
            let weights = scores + row * scoreStride
            if keys.lowerBound > 2 * firstPair { weights[2 * firstPair] = 0 }
            if keys.upperBound < 2 * (firstPair + pairCount) { weights[keys.upperBound] = 0 }
        }
        packRowsAsBF16Pairs(scores + 2 * firstPair, lda: scoreStride, rows: count,
                            count: 2 * pairCount, into: weightPairs, ldPairs: weightStride)
        valueTileBF16(weightPairs, weightStride: weightStride, rows: count, pairs: pairCount,
                      values: valuePairs + firstPair * shape.headDim, headDim: shape.headDim,
                      factors: inverseSums,
                      into: out + (first + r) * shape.queryStride + head * shape.headDim, outStride: shape.queryStride)
        r += count
    }
}

/// scores[row][0..<64] = query pairs of row . panel columns, for `rows` (1...4) consecutive rows.
@inline(__always)
private func scoreTileBF16(_ queries: UnsafePointer<UInt32>, rows: Int, pairs: Int, panel: UnsafePointer<UInt32>,
                           into scores: UnsafeMutablePointer<Float>, stride: Int) {
    if rows == 4 {
        var a00 = F32x16(), a01 = F32x16(), a02 = F32x16(), a03 = F32x16()
        var a10 = F32x16(), a11 = F32x16(), a12 = F32x16(), a13 = F32x16()
        var a20 = F32x16(), a21 = F32x16(), a22 = F32x16(), a23 = F32x16()
        var a30 = F32x16(), a31 = F32x16(), a32 = F32x16(), a33 = F32x16()
        let q0 = queries, q1 = queries + pairs, q2 = queries + 2 * pairs, q3 = queries + 3 * pairs
        for p in 0..<pairs {
            let keys = panel + p * attentionTile
            let k0 = loadU32x16(keys), k1 = loadU32x16(keys + 16), k2 = loadU32x16(keys + 32), k3 = loadU32x16(keys + 48)
            let b0 = U32x16(repeating: q0[p])
            a00 = dotBF16Pairs(a00, b0, k0); a01 = dotBF16Pairs(a01, b0, k1); a02 = dotBF16Pairs(a02, b0, k2); a03 = dotBF16Pairs(a03, b0, k3)
            let b1 = U32x16(repeating: q1[p])
            a10 = dotBF16Pairs(a10, b1, k0); a11 = dotBF16Pairs(a11, b1, k1); a12 = dotBF16Pairs(a12, b1, k2); a13 = dotBF16Pairs(a13, b1, k3)
            let b2 = U32x16(repeating: q2[p])
            a20 = dotBF16Pairs(a20, b2, k0); a21 = dotBF16Pairs(a21, b2, k1); a22 = dotBF16Pairs(a22, b2, k2); a23 = dotBF16Pairs(a23, b2, k3)
            let b3 = U32x16(repeating: q3[p])
            a30 = dotBF16Pairs(a30, b3, k0); a31 = dotBF16Pairs(a31, b3, k1); a32 = dotBF16Pairs(a32, b3, k2); a33 = dotBF16Pairs(a33, b3, k3)
        }
        storeRow(scores, a00, a01, a02, a03)
        storeRow(scores + stride, a10, a11, a12, a13)
        storeRow(scores + 2 * stride, a20, a21, a22, a23)
        storeRow(scores + 3 * stride, a30, a31, a32, a33)
        return
    }
    for row in 0..<rows {
        let query = queries + row * pairs
        var a0 = F32x16(), a1 = F32x16(), a2 = F32x16(), a3 = F32x16()
        for p in 0..<pairs {
            let keys = panel + p * attentionTile
            let b = U32x16(repeating: query[p])
            a0 = dotBF16Pairs(a0, b, loadU32x16(keys)); a1 = dotBF16Pairs(a1, b, loadU32x16(keys + 16))
            a2 = dotBF16Pairs(a2, b, loadU32x16(keys + 32)); a3 = dotBF16Pairs(a3, b, loadU32x16(keys + 48))
        }
        storeRow(scores + row * stride, a0, a1, a2, a3)
    }
}

@inline(__always)
private func storeRow(_ target: UnsafeMutablePointer<Float>, _ a0: F32x16, _ a1: F32x16, _ a2: F32x16, _ a3: F32x16) {
    OpsSIMD.store(a0, target); OpsSIMD.store(a1, target + 16)
    OpsSIMD.store(a2, target + 32); OpsSIMD.store(a3, target + 48)
}

/// out[row][d] = factors[row] * sum over key pairs p of the weight pair (row, p) . value pair
/// row p at d, for `rows` (1...4) rows: 64 dimensions per 4-row register tile, then 16 at a
/// time, then one at a time (each summed over pairs in order).
private func valueTileBF16(_ weights: UnsafePointer<UInt32>, weightStride: Int, rows: Int, pairs: Int,
                           values: UnsafePointer<UInt32>, headDim: Int, factors: UnsafePointer<Float>,
                           into out: UnsafeMutablePointer<Float>, outStride: Int) {
    var d = 0
    if rows == 4 {
        let w0 = weights, w1 = weights + weightStride, w2 = weights + 2 * weightStride, w3 = weights + 3 * weightStride
        let f0 = F32x16(repeating: factors[0]), f1 = F32x16(repeating: factors[1])
        let f2 = F32x16(repeating: factors[2]), f3 = F32x16(repeating: factors[3])
        while d + 64 <= headDim {
            var a00 = F32x16(), a01 = F32x16(), a02 = F32x16(), a03 = F32x16()
            var a10 = F32x16(), a11 = F32x16(), a12 = F32x16(), a13 = F32x16()
            var a20 = F32x16(), a21 = F32x16(), a22 = F32x16(), a23 = F32x16()
            var a30 = F32x16(), a31 = F32x16(), a32 = F32x16(), a33 = F32x16()
            for p in 0..<pairs {
                let row = values + p * headDim + d
                let v0 = loadU32x16(row), v1 = loadU32x16(row + 16), v2 = loadU32x16(row + 32), v3 = loadU32x16(row + 48)
                let b0 = U32x16(repeating: w0[p])
                a00 = dotBF16Pairs(a00, b0, v0); a01 = dotBF16Pairs(a01, b0, v1); a02 = dotBF16Pairs(a02, b0, v2); a03 = dotBF16Pairs(a03, b0, v3)
                let b1 = U32x16(repeating: w1[p])
                a10 = dotBF16Pairs(a10, b1, v0); a11 = dotBF16Pairs(a11, b1, v1); a12 = dotBF16Pairs(a12, b1, v2); a13 = dotBF16Pairs(a13, b1, v3)
                let b2 = U32x16(repeating: w2[p])
                a20 = dotBF16Pairs(a20, b2, v0); a21 = dotBF16Pairs(a21, b2, v1); a22 = dotBF16Pairs(a22, b2, v2); a23 = dotBF16Pairs(a23, b2, v3)
                let b3 = U32x16(repeating: w3[p])
                a30 = dotBF16Pairs(a30, b3, v0); a31 = dotBF16Pairs(a31, b3, v1); a32 = dotBF16Pairs(a32, b3, v2); a33 = dotBF16Pairs(a33, b3, v3)
            }
            storeRow(out + d, a00 * f0, a01 * f0, a02 * f0, a03 * f0)
            storeRow(out + outStride + d, a10 * f1, a11 * f1, a12 * f1, a13 * f1)
            storeRow(out + 2 * outStride + d, a20 * f2, a21 * f2, a22 * f2, a23 * f2)
            storeRow(out + 3 * outStride + d, a30 * f3, a31 * f3, a32 * f3, a33 * f3)
            d += 64
        }
    }
    for row in 0..<rows {
        let w = weights + row * weightStride, target = out + row * outStride
        var column = d
        while column + 16 <= headDim {
            var acc = F32x16()
            for p in 0..<pairs { acc = dotBF16Pairs(acc, U32x16(repeating: w[p]), loadU32x16(values + p * headDim + column)) }
            OpsSIMD.store(acc * F32x16(repeating: factors[row]), target + column)
            column += 16
        }
        while column < headDim {
            var acc: Float = 0
            for p in 0..<pairs {
                let weight = w[p], value = values[p * headDim + column]
                acc = acc.addingProduct(Float(bitPattern: weight << 16), Float(bitPattern: value << 16))
                acc = acc.addingProduct(Float(bitPattern: weight & 0xFFFF_0000), Float(bitPattern: value & 0xFFFF_0000))
            }
            target[column] = acc * factors[row]
            column += 1
        }
    }
}
