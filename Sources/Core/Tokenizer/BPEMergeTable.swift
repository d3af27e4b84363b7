/// The merge rules of a BPE vocabulary, keyed by pairs of token ids, and the merge loop that
/// turns one pre-token's byte symbols into final token ids.
struct BPEMergeTable: Sendable {
    /// (left id, right id) packed into 64 bits -> (rank, merged id) packed into 64 bits.
    private var rules: [UInt64: UInt64] = [:]

    /// The number of rules.
    var count: Int { rules.count }

    /// Adds a rule; an earlier rule for the same pair keeps its (better) rank.
    mutating func add(left: Int32, right: Int32, merged: Int32, rank: Int) {
        let key = Self.key(left, right)
        if rules[key] == nil {
            rules[key] = UInt64(UInt32(truncatingIfNeeded: rank)) << 32 | UInt64(UInt32(bitPattern: merged))
        }
    }

    /// Applies the rules to `symbols` in rank order: always the best-ranked adjacent pair,
    /// leftmost first on ties, until no adjacent pair has a rule (Hugging Face's BPE order).
    func merge(_ symbols: inout [Int32]) {
        guard symbols.count > 1 else { return }
        var ranks = [UInt32](repeating: .max, count: symbols.count - 1)
        var results = [Int32](repeating: 0, count: symbols.count - 1)
        for pair in 0..<ranks.count {
            (ranks[pair], results[pair]) = lookup(symbols[pair], symbols[pair + 1])
        }
        while !ranks.isEmpty {
            var best = 0
            var bestRank = ranks[0]
            for pair in 1..<ranks.count where ranks[pair] < bestRank {
                bestRank = ranks[pair]
                best = pair
            }
            if bestRank == .max { break }
            symbols[best] = results[best]
            symbols.remove(at: best + 1)
            ranks.remove(at: best)
            results.remove(at: best)
            if best > 0 {
                (ranks[best - 1], results[best - 1]) = lookup(symbols[best - 1], symbols[best])
            }
            if best < ranks.count {
                (ranks[best], results[best]) = lookup(symbols[best], symbols[best + 1])
            }
        }
    }

    /// The rank (`.max` when there is no rule) and merged id of a pair.
    @inline(__always)
    private func lookup(_ left: Int32, _ right: Int32) -> (UInt32, Int32) {
        guard let packed = rules[Self.key(left, right)] else { return (.max, 0) }
        return (UInt32(truncatingIfNeeded: packed >> 32), Int32(bitPattern: UInt32(truncatingIfNeeded: packed)))
    }

    @inline(__always)
    private static func key(_ left: Int32, _ right: Int32) -> UInt64 {
        UInt64(UInt32(bitPattern: left)) << 32 | UInt64(UInt32(bitPattern: right))
    }
}
