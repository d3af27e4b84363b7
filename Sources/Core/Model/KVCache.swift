/// The keys (rotated) and values every block has computed for the positions decoded so far, so
/// that a decoding step runs only the new tokens through the blocks. One cache per generation;
/// not thread-safe.
///
/// Each block holds `capacity` rows of its own kvHeads x headDim floats for keys and as many for values;
/// row p is position p. Sliding-window blocks keep every row too (their mask looks back only
/// `window` rows), which costs memory on long contexts but keeps one layout for every family.
public final class KVCache {
    /// Positions the cache can hold.
    public let capacity: Int
    /// Positions filled so far: the next token decoded is at this position.
    public internal(set) var count = 0
    /// Floats per row of each block (its kvHeads x headDim: 0 for a block without attention).
    let rowWidths: [Int]
    /// Per block: keys, then values, each capacity x rowWidth.
    let keys: [UnsafeMutablePointer<Float>]
    let values: [UnsafeMutablePointer<Float>]

    /// A cache for up to `positions` positions of `model` (at most its context length).
    public init(model: LlamaModel, positions: Int) throws {
        guard positions >= 1, positions <= model.config.contextLength else {
            throw ModelError.windowTooLong(tokens: positions, contextLength: model.config.contextLength)
        }
        capacity = positions
        let c = model.config
        let widths = model.blocks.indices.map { c.kvHeads(layer: $0) * c.headDim }
        rowWidths = widths
        func buffer(_ width: Int) -> UnsafeMutablePointer<Float> {
            let size = max(1, positions * width)
            let p = UnsafeMutablePointer<Float>.allocate(capacity: size)
            p.initialize(repeating: 0, count: size)
            return p
        }
        keys = widths.map { buffer($0) }
        values = widths.map { buffer($0) }
    }

    /// Forgets every position (the buffers are kept for the next prompt).
    public func reset() { count = 0 }

    deinit { for p in keys + values { p.deallocate() } }
}

/// Where one block's pass reads and writes the cache: its rows, and the position of the pass's
/// first token.
struct LayerCache {
    let keys: UnsafeMutablePointer<Float>
    let values: UnsafeMutablePointer<Float>
    let start: Int
    let rowWidth: Int
}

extension KVCache {
    func layer(_ index: Int) -> LayerCache {
        LayerCache(keys: keys[index], values: values[index], start: count, rowWidth: rowWidths[index])
    }
}
