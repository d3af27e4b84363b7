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
        if symbols.count > Self.longPieceThreshold {
            mergeLongPiece(&symbols)
            return
        }
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

    /// Above this many symbols the quadratic scan gives way to a heap (long runs without spaces,
    /// such as base64 blobs or long whitespace runs, would otherwise take seconds).
    static let longPieceThreshold = 48

    /// The same merge order as `merge`, in O(n log n): a min-heap of (rank, position) over a
    /// linked list of symbols. Positions are original indices, so ties still go leftmost;
    /// entries whose pair has changed since they were pushed are recognised by their rank
    /// (a rank names exactly one pair) and skipped.
    private func mergeLongPiece(_ symbols: inout [Int32]) {
        let count = symbols.count
        var next = (0..<count).map { $0 + 1 }
        next[count - 1] = -1
        var previous = (0..<count).map { $0 - 1 }
        var removed = [Bool](repeating: false, count: count)
        var heap = MinHeap()
        func push(_ left: Int) {
            let right = next[left]
            guard left >= 0, right >= 0 else { return }
            let (rank, _) = lookup(symbols[left], symbols[right])
            if rank != .max { heap.push(UInt64(rank) << 32 | UInt64(left)) }
        }
        for position in 0..<(count - 1) { push(position) }
        while let entry = heap.pop() {
            let rank = UInt32(entry >> 32)
            let left = Int(entry & 0xFFFF_FFFF)
            let right = next[left]
            guard !removed[left], right >= 0 else { continue }
            let (currentRank, merged) = lookup(symbols[left], symbols[right])
            guard currentRank == rank else { continue }
            symbols[left] = merged
            removed[right] = true
            next[left] = next[right]
            if next[right] >= 0 { previous[next[right]] = left }
            if previous[left] >= 0 { push(previous[left]) }
            push(left)
        }
        var survivors: [Int32] = []
        survivors.reserveCapacity(count)
        for position in 0..<count where !removed[position] { survivors.append(symbols[position]) }
        symbols = survivors
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

/// A binary min-heap of packed (rank, position) keys.
private struct MinHeap {
    private var keys: [UInt64] = []

    mutating func push(_ key: UInt64) {
        keys.append(key)
        var child = keys.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            if keys[parent] <= keys[child] { break }
            keys.swapAt(parent, child)
            child = parent
        }
    }

    mutating func pop() -> UInt64? {
        guard let top = keys.first else { return nil }
        let last = keys.removeLast()
        if !keys.isEmpty {
            keys[0] = last
            var parent = 0
            while true {
                let left = 2 * parent + 1
                let right = left + 1
                var smallest = parent
                if left < keys.count, keys[left] < keys[smallest] { smallest = left }
                if right < keys.count, keys[right] < keys[smallest] { smallest = right }
                if smallest == parent { break }
                keys.swapAt(parent, smallest)
                parent = smallest
            }
        }
        return top
    }
}
