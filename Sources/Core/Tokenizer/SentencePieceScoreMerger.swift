/// The score-ordered merge of SentencePiece vocabularies in GGUF files (llama.cpp's
/// `llm_tokenizer_spm`): start from one symbol per character; repeatedly merge the adjacent
/// pair whose concatenated text is a vocabulary entry with the highest score (ties: the leftmost
/// pair), until no adjacent pair's text is in the vocabulary.
///
/// A max-heap of candidate pairs over a linked list of symbols makes it O(n log n) in the number
/// of characters. Candidates made stale by an earlier merge are recognised by their byte size
/// (a symbol only grows, and a merged-away symbol has size 0) and skipped. Buffers are kept
/// between calls, so one merger serves every piece of a text.
struct SentencePieceScoreMerger {
    private struct Candidate {
        var score: Float
        var left: Int32
        var right: Int32
        var size: Int32

        /// Whether `self` merges before `other`: higher score, then further left.
        @inline(__always)
        func precedes(_ other: Candidate) -> Bool {
            score > other.score || (score == other.score && left < other.left)
        }
    }

    private var start: [Int32] = []
    private var size: [Int32] = []
    private var previous: [Int32] = []
    private var next: [Int32] = []
    private var heap: [Candidate] = []

    /// Merges the characters `characterStarts[0..<count]` of `bytes` (character `i` spans
    /// `characterStarts[i]..<characterStarts[i + 1]`; the array has `count + 1` entries) and calls
    /// `emit(start, size)` for each final symbol, in order.
    mutating func merge(
        bytes: UnsafeBufferPointer<UInt8>, characterStarts: UnsafeBufferPointer<Int32>,
        vocabulary: VocabularyIndex, scores: UnsafeBufferPointer<Float>,
        emit: (Int, Int) -> Void
    ) {
        let count = characterStarts.count - 1
        guard count > 0 else { return }
        start.removeAll(keepingCapacity: true)
        size.removeAll(keepingCapacity: true)
        previous.removeAll(keepingCapacity: true)
        next.removeAll(keepingCapacity: true)
        heap.removeAll(keepingCapacity: true)
        for i in 0..<count {
            start.append(characterStarts[i])
            size.append(characterStarts[i + 1] - characterStarts[i])
            previous.append(Int32(i - 1))
            next.append(i + 1 < count ? Int32(i + 1) : -1)
        }
        for i in 1..<count {
            consider(Int32(i - 1), Int32(i), bytes, vocabulary, scores)
        }
        while let best = popBest() {
            let left = Int(best.left), right = Int(best.right)
            guard size[left] != 0, size[right] != 0, size[left] + size[right] == best.size else { continue }
            size[left] += size[right]
            size[right] = 0
            next[left] = next[right]
            if next[right] >= 0 { previous[Int(next[right])] = Int32(left) }
            consider(previous[left], Int32(left), bytes, vocabulary, scores)
            consider(Int32(left), next[left], bytes, vocabulary, scores)
        }
        var symbol = 0
        while symbol >= 0 {
            emit(Int(start[symbol]), Int(size[symbol]))
            symbol = Int(next[symbol])
        }
    }

    /// Queues the pair (`left`, `right`) if their joined text is a vocabulary entry.
    @inline(__always)
    private mutating func consider(
        _ left: Int32, _ right: Int32, _ bytes: UnsafeBufferPointer<UInt8>,
        _ vocabulary: VocabularyIndex, _ scores: UnsafeBufferPointer<Float>
    ) {
        guard left >= 0, right >= 0 else { return }
        let from = Int(start[Int(left)])
        let joined = Int(size[Int(left)] + size[Int(right)])
        guard let id = vocabulary.id(of: UnsafeBufferPointer(rebasing: bytes[from..<(from + joined)])) else { return }
        push(Candidate(score: scores[Int(id)], left: left, right: right, size: Int32(joined)))
    }

    private mutating func push(_ candidate: Candidate) {
        heap.append(candidate)
        var child = heap.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard heap[child].precedes(heap[parent]) else { break }
            heap.swapAt(parent, child)
            child = parent
        }
    }

    private mutating func popBest() -> Candidate? {
        guard let top = heap.first else { return nil }
        let last = heap.removeLast()
        if !heap.isEmpty {
            heap[0] = last
            var parent = 0
            while true {
                let left = 2 * parent + 1
                let right = left + 1
                var best = parent
                if left < heap.count, heap[left].precedes(heap[best]) { best = left }
                if right < heap.count, heap[right].precedes(heap[best]) { best = right }
                if best == parent { break }
                heap.swapAt(parent, best)
                parent = best
            }
        }
        return top
    }
}
