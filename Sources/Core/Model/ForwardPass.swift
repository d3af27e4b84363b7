import Foundation
import Kernels

/// Scratch buffers for one window, reused across windows so a long evaluation or calibration
/// allocates once. Not thread-safe: one workspace per concurrent forward pass.
public final class ForwardWorkspace {
    /// The longest window these buffers hold.
    public let capacity: Int
    let hidden: UnsafeMutablePointer<Float>
    let normed: UnsafeMutablePointer<Float>
    let blockInput: UnsafeMutablePointer<Float>
    let query: UnsafeMutablePointer<Float>
    let attention: UnsafeMutablePointer<Float>
    let key: UnsafeMutablePointer<Float>
    let value: UnsafeMutablePointer<Float>
    let gate: UnsafeMutablePointer<Float>
    let up: UnsafeMutablePointer<Float>

    /// Buffers for windows of up to `tokens` tokens of `model`.
    public init(model: LlamaModel, tokens: Int) {
        let c = model.config
        func buffer(_ width: Int) -> UnsafeMutablePointer<Float> {
            let p = UnsafeMutablePointer<Float>.allocate(capacity: max(1, tokens * width))
            p.initialize(repeating: 0, count: max(1, tokens * width))
            return p
        }
        capacity = tokens
        hidden = buffer(c.hiddenSize)
        normed = buffer(c.hiddenSize)
        blockInput = buffer(c.hiddenSize)
        query = buffer(c.numHeads * c.headDim)
        attention = buffer(c.numHeads * c.headDim)
        key = buffer(c.numKVHeads * c.headDim)
        value = buffer(c.numKVHeads * c.headDim)
        gate = buffer(c.intermediateSizes.max() ?? 0)
        up = buffer(c.intermediateSizes.max() ?? 0)
    }

    deinit {
        for p in [hidden, normed, blockInput, query, attention, key, value, gate, up] { p.deallocate() }
    }
}

extension LlamaModel {
    /// Runs the blocks over one window and leaves the final-normed hidden states
    /// (tokens x hidden) in `workspace.normed`. `lastBlock` stops early (calibration does not
    /// need the head); the observer sees each block that ran.
    func runBlocks(
        _ tokens: [Int32], workspace ws: ForwardWorkspace, pool: ThreadPool,
        observer: BlockObserver? = nil, isCancelled: () -> Bool = { false }
    ) throws {
        try validate(tokens: tokens)
        guard tokens.count <= ws.capacity else {
            throw ModelError.invalidConfig("a workspace for \(ws.capacity) tokens cannot run a window of \(tokens.count)")
        }
        let t = tokens.count
        let c = config
        let h = c.hiddenSize
        let qWidth = c.numHeads * c.headDim
        let kvWidth = c.numKVHeads * c.headDim

        embedding.withUnsafeBufferPointer { table in
            for (row, id) in tokens.enumerated() {
                (ws.hidden + row * h).update(from: table.baseAddress! + Int(id) * h, count: h)
            }
        }
        let x = ws.hidden, n = ws.normed
        let q = ws.query, k = ws.key, v = ws.value, a = ws.attention, g = ws.gate, u = ws.up

        for (index, block) in blocks.enumerated() {
            if isCancelled() { throw OperationCancelled() }
            let width = block.ffnWidth
            if observer != nil { ws.blockInput.update(from: x, count: t * h) }

            // Attention sub-block: x += attention(rope(n Wq^T), rope(n Wk^T), n Wv^T) Wo^T.
            block.attentionNorm.withUnsafeBufferPointer {
                rmsNorm(x, rows: t, cols: h, weight: $0.baseAddress!, eps: c.rmsNormEps, into: n)
            }
            matmul(n, rows: t, lda: h, weights: block.query, into: q, ldc: qWidth, pool: pool)
            matmul(n, rows: t, lda: h, weights: block.key, into: k, ldc: kvWidth, pool: pool)
            matmul(n, rows: t, lda: h, weights: block.value, into: v, ldc: kvWidth, pool: pool)
            applyRotary(q, tokens: t, heads: c.numHeads, headDim: c.headDim, table: rotary, layout: c.ropeLayout)
            applyRotary(k, tokens: t, heads: c.numKVHeads, headDim: c.headDim, table: rotary, layout: c.ropeLayout)
            causalAttention(q: q, k: k, v: v, tokens: t, heads: c.numHeads, kvHeads: c.numKVHeads,
                            headDim: c.headDim, into: a, pool: pool)
            matmul(a, rows: t, lda: qWidth, weights: block.attentionOutput, into: x, ldc: h,
                   accumulate: true, pool: pool)

            // FFN sub-block: x += (silu(n Wg^T) * (n Wu^T)) Wd^T (+ bias).
            block.ffnNorm.withUnsafeBufferPointer {
                rmsNorm(x, rows: t, cols: h, weight: $0.baseAddress!, eps: c.rmsNormEps, into: n)
            }
            matmul(n, rows: t, lda: h, weights: block.gate, into: g, ldc: width, pool: pool)
            matmul(n, rows: t, lda: h, weights: block.up, into: u, ldc: width, pool: pool)
            siluGate(gate: g, up: u, count: t * width, into: g)
            matmul(g, rows: t, lda: width, weights: block.down, into: x, ldc: h, accumulate: true, pool: pool)
            if let bias = block.downBias {
                for row in 0..<t {
                    let xr = x + row * h
                    for j in 0..<h { xr[j] += bias[j] }
                }
            }
            observer?.observe(block: index, tokens: t, input: ws.blockInput, output: x, ffnActivations: g)
        }
        finalNorm.withUnsafeBufferPointer {
            rmsNorm(x, rows: t, cols: h, weight: $0.baseAddress!, eps: c.rmsNormEps, into: n)
        }
    }

    /// Runs every block over one window for its side effects on `observer` (calibration),
    /// skipping the output head, which calibration does not need.
    public func observeBlocks(
        _ tokens: [Int32], observer: BlockObserver, workspace: ForwardWorkspace? = nil, pool: ThreadPool,
        isCancelled: () -> Bool = { false }
    ) throws {
        let ws = workspace ?? ForwardWorkspace(model: self, tokens: tokens.count)
        try runBlocks(tokens, workspace: ws, pool: pool, observer: observer, isCancelled: isCancelled)
    }

    /// Logits (tokens x vocab, row-major) for every position of one window.
    public func logits(for tokens: [Int32], pool: ThreadPool) throws -> [Float] {
        let ws = ForwardWorkspace(model: self, tokens: tokens.count)
        try runBlocks(tokens, workspace: ws, pool: pool)
        let v = config.vocabSize
        var out = [Float](repeating: 0, count: tokens.count * v)
        do {
            let n = ws.normed
            out.withUnsafeMutableBufferPointer { o in
                matmul(n, rows: tokens.count, lda: config.hiddenSize, weights: outputHead,
                       into: o.baseAddress!, ldc: v, pool: pool)
            }
        }
        return out
    }

    /// Logits of the next token after `tokens` (the last position only).
    public func nextTokenLogits(after tokens: [Int32], pool: ThreadPool) throws -> [Float] {
        let ws = ForwardWorkspace(model: self, tokens: tokens.count)
        try runBlocks(tokens, workspace: ws, pool: pool)
        let v = config.vocabSize
        var out = [Float](repeating: 0, count: v)
        do {
            let n = ws.normed
            out.withUnsafeMutableBufferPointer { o in
                matmul(n + (tokens.count - 1) * config.hiddenSize, rows: 1, lda: config.hiddenSize,
                       weights: outputHead, into: o.baseAddress!, ldc: v, pool: pool)
            }
        }
        return out
    }

    /// Sum of next-token negative log-likelihoods over one window (positions 1..<count predicted
    /// from their prefix), in Double, and how many tokens were scored. The output head runs in
    /// row chunks so a window never holds tokens x vocab logits at once.
    public func windowNegativeLogLikelihood(
        _ tokens: [Int32], workspace: ForwardWorkspace, pool: ThreadPool, isCancelled: () -> Bool = { false }
    ) throws -> (sum: Double, count: Int) {
        try runBlocks(tokens, workspace: workspace, pool: pool, isCancelled: isCancelled)
        let scored = tokens.count - 1
        if scored <= 0 { return (0, 0) }
        let v = config.vocabSize, h = config.hiddenSize
        let chunk = min(128, scored)
        var logits = [Float](repeating: 0, count: chunk * v)
        var partial = [Double](repeating: 0, count: chunk)
        var total = 0.0
        var start = 0
        while start < scored {
            let rows = min(chunk, scored - start)
            do {
                let n = workspace.normed
                logits.withUnsafeMutableBufferPointer { lb in
                    let l = lb.baseAddress!
                    matmul(n + start * h, rows: rows, lda: h, weights: outputHead, into: l, ldc: v, pool: pool)
                    partial.withUnsafeMutableBufferPointer { pb in
                        pool.parallelFor(rows) { r in
                            let row = l + r * v
                            pb[r] = logSumExp(row, count: v) - Double(row[Int(tokens[start + r + 1])])
                        }
                    }
                }
            }
            for r in 0..<rows { total += partial[r] }
            start += rows
        }
        return (total, scored)
    }
}

/// log(sum(exp(x))) of one row, in Double for the accumulation.
@inline(__always)
func logSumExp(_ x: UnsafePointer<Float>, count: Int) -> Double {
    var m = -Float.infinity
    for i in 0..<count where x[i] > m { m = x[i] }
    var s = 0.0
    for i in 0..<count { s += Double(expf(x[i] - m)) }
    return Double(m) + log(s)
}
