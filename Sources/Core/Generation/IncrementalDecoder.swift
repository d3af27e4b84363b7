import Kernels

/// Runs a model token by token over a `KVCache`: the prompt once, then each new token alone,
/// every block reading the keys and values of the positions before it from the cache instead of
/// recomputing them. The per-family block forward is the same one `logits(for:)` runs; only the
/// attention reads the cache.
public final class IncrementalDecoder {
    public let model: LlamaModel
    public let cache: KVCache
    private let pool: ThreadPool
    private var workspace: ForwardWorkspace

    /// A decoder for up to `positions` positions (prompt plus generated tokens, at most the context).
    public init(model: LlamaModel, positions: Int, pool: ThreadPool) throws {
        self.model = model
        self.pool = pool
        cache = try KVCache(model: model, positions: positions)
        workspace = ForwardWorkspace(model: model, tokens: 1)
    }

    /// Positions decoded so far.
    public var position: Int { cache.count }

    /// Appends `tokens` at the next positions and returns the logits (tokens.count x vocab,
    /// row-major) of every one of them, or only of the last when `allPositions` is false.
    public func append(_ tokens: [Int32], allPositions: Bool = false, isCancelled: () -> Bool = { false }) throws -> [Float] {
        if tokens.count > workspace.capacity { workspace = ForwardWorkspace(model: model, tokens: tokens.count) }
        try model.runBlocks(tokens, workspace: workspace, pool: pool, cache: cache, isCancelled: isCancelled)
        let v = model.config.vocabSize, h = model.config.hiddenSize
        let rows = allPositions ? tokens.count : 1
        let first = tokens.count - rows
        var out = [Float](repeating: 0, count: rows * v)
        let normed = workspace.normed
        out.withUnsafeMutableBufferPointer { o in
            matmul(normed + first * h, rows: rows, lda: h, weights: model.outputHead, into: o.baseAddress!, ldc: v,
                   pool: pool)
        }
        return out
    }

    /// Forgets every position, keeping the buffers.
    public func reset() { cache.reset() }
}
