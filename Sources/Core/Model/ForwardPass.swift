import Foundation
import Kernels

/// Scratch buffers for one window, reused across windows so a long evaluation or calibration
/// allocates once. Not thread-safe: one workspace per concurrent forward pass.
public final class ForwardWorkspace {
    /// The longest window these buffers hold.
    public let capacity: Int
    /// Two hidden-state buffers: each block reads one and writes the other, so an observer sees
    /// both its input and its output without a copy.
    let hidden: [UnsafeMutablePointer<Float>]
    /// The final-normed hidden states after `runBlocks`.
    let normed: UnsafeMutablePointer<Float>
    let activations: BlockActivations

    /// Buffers for windows of up to `tokens` tokens of `model`.
    public convenience init(model: LlamaModel, tokens: Int) {
        self.init(config: model.config, tokens: tokens)
    }

    /// Buffers for windows of up to `tokens` tokens of a model shaped `config`.
    public init(config: LlamaConfig, tokens: Int) {
        let count = max(1, tokens * config.hiddenSize)
        func buffer() -> UnsafeMutablePointer<Float> {
            let p = UnsafeMutablePointer<Float>.allocate(capacity: count)
            p.initialize(repeating: 0, count: count)
            return p
        }
        capacity = tokens
        hidden = [buffer(), buffer()]
        normed = buffer()
        activations = BlockActivations(config: config, tokens: tokens)
    }

    deinit {
        for p in hidden + [normed] { p.deallocate() }
    }
}

extension LlamaModel {
    /// Writes the (scaled) embeddings of `tokens` into `x`, tokens x hidden.
    func embed(_ tokens: [Int32], into x: UnsafeMutablePointer<Float>) {
        let h = config.hiddenSize, scale = config.embeddingScale
        for (row, id) in tokens.enumerated() {
            let target = x + row * h
            embeddings.copyRow(Int(id), into: target)
            if scale != 1 { for j in 0..<h { target[j] *= scale } }
        }
    }

    /// Runs the blocks over one window and leaves the final-normed hidden states
    /// (tokens x hidden) in `workspace.normed`; the observer sees each block. With a `cache`,
    /// the window continues the cached positions (and is appended to them).
    func runBlocks(
        _ tokens: [Int32], workspace ws: ForwardWorkspace, pool: ThreadPool,
        observer: BlockObserver? = nil, cache: KVCache? = nil, isCancelled: () -> Bool = { false }
    ) throws {
        try validate(tokens: tokens)
        guard tokens.count <= ws.capacity else {
            throw ModelError.invalidConfig("a workspace for \(ws.capacity) tokens cannot run a window of \(tokens.count)")
        }
        if let cache, cache.count + tokens.count > cache.capacity {
            throw ModelError.windowTooLong(tokens: cache.count + tokens.count, contextLength: cache.capacity)
        }
        let t = tokens.count, h = config.hiddenSize
        embed(tokens, into: ws.hidden[0])
        var current = 0
        for index in blocks.indices {
            if isCancelled() { throw OperationCancelled() }
            let input = ws.hidden[current], output = ws.hidden[1 - current]
            BlockForward(model: self, layer: index, pool: pool)
                .run(input: input, tokens: t, output: output,
                     linears: FrozenBlockLinears(block: blocks[index], pool: pool), activations: ws.activations,
                     cache: cache?.layer(index))
            observer?.sawBlock(index, config: config, tokens: t, input: input, output: output, activations: ws.activations)
            current = 1 - current
        }
        cache?.count += t
        finalNorm.withUnsafeBufferPointer {
            rmsNorm(ws.hidden[current], rows: t, cols: h, weight: $0.baseAddress!, eps: config.rmsNormEps, into: ws.normed)
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
