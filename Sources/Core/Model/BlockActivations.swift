/// The intermediates of one block's forward pass over a window of up to `capacity` tokens,
/// in the layouts the block forward writes them (tokens x width, row-major). Inference reuses
/// them from block to block; training keeps them for the backward pass of the same block.
final class BlockActivations {
    let capacity: Int
    /// RMSNorm of the block input (attention side) and of the middle residual (FFN side).
    let attentionNormed, ffnNormed: UnsafeMutablePointer<Float>
    /// Q and K as projected (plus bias), before any per-head norm.
    let queryProjection, keyProjection: UnsafeMutablePointer<Float>
    /// Q and K after the per-head norm (when the family has one); rotated in place.
    let normedQuery, normedKey: UnsafeMutablePointer<Float>
    let value, attention: UnsafeMutablePointer<Float>
    /// Attention and FFN outputs before their post-norm (sandwich families only).
    let attentionProjection, ffnProjection: UnsafeMutablePointer<Float>
    /// The post-norm of one of them, before it joins the residual.
    let postNormed: UnsafeMutablePointer<Float>
    /// Block input plus the attention branch.
    let middle: UnsafeMutablePointer<Float>
    /// FFN gate and up projections, and the gated product z that enters the down projection.
    let gate, up, gated: UnsafeMutablePointer<Float>
    private let owned: [UnsafeMutablePointer<Float>]

    init(config: LlamaConfig, tokens: Int) {
        let h = config.hiddenSize
        let q = config.numHeads * config.headDim, kv = config.numKVHeads * config.headDim
        let ffn = config.intermediateSizes.max() ?? 0
        var owned: [UnsafeMutablePointer<Float>] = []
        func buffer(_ width: Int, needed: Bool = true) -> UnsafeMutablePointer<Float> {
            let count = needed ? max(1, tokens * width) : 1
            let p = UnsafeMutablePointer<Float>.allocate(capacity: count)
            p.initialize(repeating: 0, count: count)
            owned.append(p)
            return p
        }
        capacity = tokens
        attentionNormed = buffer(h)
        ffnNormed = buffer(h)
        queryProjection = buffer(q)
        keyProjection = buffer(kv)
        normedQuery = buffer(q, needed: config.queryKeyNorm)
        normedKey = buffer(kv, needed: config.queryKeyNorm)
        value = buffer(kv)
        attention = buffer(q)
        attentionProjection = buffer(h, needed: config.sandwichNorms)
        ffnProjection = buffer(h, needed: config.sandwichNorms)
        postNormed = buffer(h, needed: config.sandwichNorms)
        middle = buffer(h)
        gate = buffer(ffn)
        up = buffer(ffn)
        gated = buffer(ffn)
        self.owned = owned
    }

    /// The rotated queries and keys attention reads (the normed copies when there is a per-head norm).
    func rotatedQuery(_ config: LlamaConfig) -> UnsafeMutablePointer<Float> { config.queryKeyNorm ? normedQuery : queryProjection }
    func rotatedKey(_ config: LlamaConfig) -> UnsafeMutablePointer<Float> { config.queryKeyNorm ? normedKey : keyProjection }

    deinit { for p in owned { p.deallocate() } }
}
