/// Queries per task: one task is one (head, block of this many consecutive queries).
let attentionQueryBlock = 64

/// Causal self-attention over one window with grouped KV heads.
///
/// q is (tokens x heads*headDim), k and v are (tokens x kvHeads*headDim), out is
/// (tokens x heads*headDim), all f32 row-major. Query head h uses KV head h / (heads/kvHeads);
/// query t attends to keys 0...t with scores (q.k) * scale and an exact softmax.
///
/// `scale` defaults to 1/sqrt(headDim) (Gemma 3 passes query_pre_attn_scalar^-0.5). With a
/// `window` W >= 1 (sliding-window layers: Gemma 3, Mistral), query t attends only to keys
/// max(0, t - W + 1)...t, i.e. key j is masked when t - j >= W (Hugging Face's and llama.cpp's
/// convention); masked keys get weight exactly 0, and key tiles wholly outside every window of
/// a query block are not computed. nil (the default) is full causal attention; so is any
/// W >= tokens. Defaults give the same bits as before these parameters existed.
///
/// The keys are first transposed into per-tile panels (headDim x 64 floats, contiguous), so
/// the score micro-kernel streams them with broadcast-FMA into 4x64 register tiles; the value
/// micro-kernel accumulates 4 queries x 64 dimensions over keys. Work is split over
/// (head, block of 64 queries), longest blocks first; every output element is computed by one
/// task in a fixed order (f32 accumulators, sequential over keys and dimensions), so the result
/// has the same bits for any thread count. Scratch: one panel copy of K plus
/// 64 x tokens floats per running task.
///
/// With `precision` `.bf16` (and an even headDim) both products read bf16 operands instead:
/// `causalAttentionBF16`, the same masking, softmax and order, about twice the arithmetic rate
/// where vdpbf16ps runs at full rate.
///
/// Shapes must be consistent (heads and kvHeads positive, heads a multiple of kvHeads,
/// headDim positive); the model configuration guarantees it.
public func causalAttention(q: UnsafePointer<Float>, k: UnsafePointer<Float>, v: UnsafePointer<Float>,
                            tokens: Int, heads: Int, kvHeads: Int, headDim: Int,
                            scale: Float? = nil, window: Int? = nil, precision: AttentionPrecision = .f32,
                            into out: UnsafeMutablePointer<Float>, pool: ThreadPool) {
    let shape = AttentionShape(tokens: tokens, heads: heads, kvHeads: kvHeads, headDim: headDim,
                               scale: scale, window: window)
    if tokens <= 0 { return }
    if precision == .bf16 && headDim % 2 == 0 {
        causalAttentionBF16(q: q, k: k, v: v, shape: shape, into: out, pool: pool)
        return
    }
    let keyPanels = UnsafeMutablePointer<Float>.allocate(capacity: kvHeads * shape.panelsPerMatrix)
    defer { keyPanels.deallocate() }
    attentionTransposeAll(k, stride: shape.kvStride, rows: tokens, count: kvHeads, headDim: headDim,
                          into: keyPanels, pool: pool)

    let blocks = (tokens + attentionQueryBlock - 1) / attentionQueryBlock
    pool.parallelFor(heads * blocks) { index in
        let block = blocks - 1 - index / heads
        let head = index % heads
        attendQueryBlock(q: q, keyPanels: keyPanels + shape.kvHead(of: head) * shape.panelsPerMatrix,
                         v: v + shape.kvHead(of: head) * headDim, out: out, head: head,
                         queries: (block * attentionQueryBlock)..<Swift.min(tokens, (block + 1) * attentionQueryBlock),
                         shape: shape)
    }
}

/// Sizes shared by every task of one attention call (forward or backward).
struct AttentionShape {
    let tokens: Int
    let heads: Int
    let kvHeads: Int
    let headDim: Int
    /// The score scale: the caller's, or 1 / sqrt(headDim) rounded once to f32.
    let scale: Float
    /// Keys visible to a query, itself included: the caller's window, at most max(tokens, 1)
    /// (which is full causal attention), so index arithmetic cannot overflow.
    let window: Int

    init(tokens: Int, heads: Int, kvHeads: Int, headDim: Int, scale: Float? = nil, window: Int? = nil) {
        precondition(heads > 0 && kvHeads > 0 && heads % kvHeads == 0 && headDim > 0,
                     "attention: need heads (\(heads)) a positive multiple of kvHeads (\(kvHeads)) and headDim (\(headDim)) > 0")
        precondition(window.map { $0 >= 1 } ?? true, "attention: the sliding window must be >= 1, got \(window ?? 0)")
        self.tokens = tokens
        self.heads = heads
        self.kvHeads = kvHeads
        self.headDim = headDim
        self.scale = scale ?? Float(1 / Double(headDim).squareRoot())
        self.window = Swift.min(window ?? Int.max, Swift.max(tokens, 1))
    }

    var queryStride: Int { heads * headDim }
    var kvStride: Int { kvHeads * headDim }
    var tiles: Int { (tokens + attentionTile - 1) / attentionTile }
    /// Floats of all panels of one (tokens x headDim) matrix.
    var panelsPerMatrix: Int { tiles * headDim * attentionTile }
    /// Columns of a score row covering keys 0..<end, rounded up to whole tiles.
    func paddedColumns(_ end: Int) -> Int { (end + attentionTile - 1) / attentionTile * attentionTile }
    func kvHead(of head: Int) -> Int { head / (heads / kvHeads) }
    /// The first key query t sees: max(0, t - window + 1) (0 without a window).
    func firstKey(of query: Int) -> Int { Swift.max(0, query - window + 1) }
    /// One past the last query that sees key j: min(tokens, j + window) (tokens without a window).
    func queryEnd(ofKey key: Int) -> Int { Swift.min(tokens, key + window) }
}

/// One task: the given queries of one head.
private func attendQueryBlock(q: UnsafePointer<Float>, keyPanels: UnsafePointer<Float>, v: UnsafePointer<Float>,
                              out: UnsafeMutablePointer<Float>, head: Int, queries: Range<Int>,
                              shape: AttentionShape) {
    let rows = queries.count
    let first = queries.lowerBound
    let headDim = shape.headDim
    let scoreStride = shape.paddedColumns(queries.upperBound)
    let scores = UnsafeMutablePointer<Float>.allocate(capacity: rows * scoreStride)
    let scaledQueries = UnsafeMutablePointer<Float>.allocate(capacity: rows * headDim)
    let inverseSums = UnsafeMutablePointer<Float>.allocate(capacity: rows)
    defer {
        scores.deallocate()
        scaledQueries.deallocate()
        inverseSums.deallocate()
    }

    for r in 0..<rows {
        let source = q + (first + r) * shape.queryStride + head * headDim
        for d in 0..<headDim { scaledQueries[r * headDim + d] = source[d] * shape.scale }
    }

    // Scores against the keys each group of queries sees (tiles left of its window skipped).
    attentionScores(scaledQueries, rowCount: rows, headDim: headDim, panels: keyPanels,
                    tileRange: { r, count in
                        (shape.firstKey(of: first + r) / attentionTile)..<(shape.paddedColumns(first + r + count) / attentionTile)
                    },
                    into: scores, stride: scoreStride)

    attentionSoftmax(scores, stride: scoreStride, queries: queries, shape: shape, inverseSums: inverseSums)

    // Weighted sums of values, scaled by the inverse softmax sums.
    attentionWeightedSums(scores, weightStride: scoreStride, rowCount: rows,
                          keyRange: { r, count in shape.firstKey(of: first + r)..<(first + r + count) }, values: v,
                          valueStride: shape.kvStride, headDim: headDim, factors: inverseSums,
                          into: out + first * shape.queryStride + head * headDim, outStride: shape.queryStride,
                          accumulate: false)
}

/// Unnormalised softmax over each query's keys firstKey...query, in place in its score row, with
/// 1 / (sum of the exponentials) in `inverseSums`; the other keys a group of queries reads (from
/// the block's first key to the block end) become 0. Shared by the f32 and bf16 attention.
func attentionSoftmax(_ scores: UnsafeMutablePointer<Float>, stride: Int, queries: Range<Int>,
                      shape: AttentionShape, inverseSums: UnsafeMutablePointer<Float>) {
    let blockFirstKey = shape.firstKey(of: queries.lowerBound)
    for (r, t) in queries.enumerated() {
        let row = scores + r * stride
        let start = shape.firstKey(of: t)
        let visible = t + 1 - start
        let maximum = softmaxRowMaximum(row + start, count: visible)
        inverseSums[r] = 1 / softmaxExponentiate(row + start, count: visible, minus: maximum)
        if t + 1 < queries.upperBound { (row + t + 1).update(repeating: 0, count: queries.upperBound - t - 1) }
        if start > blockFirstKey { (row + blockFirstKey).update(repeating: 0, count: start - blockFirstKey) }
    }
}
