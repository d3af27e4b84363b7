/// Finds special tokens (`<|im_start|>`, `<|endoftext|>`, ...) in text so they become their own
/// token ids instead of being split and merged like ordinary text.
///
/// Matching is leftmost-longest, on exact Unicode scalars (no canonical equivalence).
struct SpecialTokenMatcher: Sendable {
    /// A piece of the input: ordinary text (a scalar range) or one special token.
    enum Segment: Equatable {
        case text(Range<Int>)
        case special(Int32)
    }

    private struct Candidate: Sendable {
        var scalars: [Unicode.Scalar]
        var id: Int32
    }

    /// Candidates grouped by first scalar, longest first.
    private let candidatesByFirstScalar: [Unicode.Scalar: [Candidate]]
    /// Fast rejection for ASCII first scalars, which most positions of real text are.
    private let asciiStartsCandidate: [Bool]

    /// A matcher for the given (text, id) pairs; empty texts are ignored.
    init(specialTokens: [(text: String, id: Int32)]) {
        var grouped: [Unicode.Scalar: [Candidate]] = [:]
        var ascii = [Bool](repeating: false, count: 128)
        for token in specialTokens {
            let scalars = Array(token.text.unicodeScalars)
            guard let first = scalars.first else { continue }
            grouped[first, default: []].append(Candidate(scalars: scalars, id: token.id))
            if first.value < 128 { ascii[Int(first.value)] = true }
        }
        for key in grouped.keys {
            grouped[key]?.sort { $0.scalars.count > $1.scalars.count }
        }
        candidatesByFirstScalar = grouped
        asciiStartsCandidate = ascii
    }

    /// Whether there is any special token to look for.
    var isEmpty: Bool { candidatesByFirstScalar.isEmpty }

    /// Cuts `scalars` into text ranges and special tokens, in order.
    func segments(of scalars: [Unicode.Scalar]) -> [Segment] {
        guard !isEmpty else { return scalars.isEmpty ? [] : [.text(0..<scalars.count)] }
        var segments: [Segment] = []
        var textStart = 0
        var position = 0
        while position < scalars.count {
            if let (id, length) = match(scalars, at: position) {
                if textStart < position { segments.append(.text(textStart..<position)) }
                segments.append(.special(id))
                position += length
                textStart = position
            } else {
                position += 1
            }
        }
        if textStart < scalars.count { segments.append(.text(textStart..<scalars.count)) }
        return segments
    }

    @inline(__always)
    private func match(_ scalars: [Unicode.Scalar], at position: Int) -> (Int32, Int)? {
        let first = scalars[position]
        if first.value < 128, !asciiStartsCandidate[Int(first.value)] { return nil }
        guard let candidates = candidatesByFirstScalar[first] else { return nil }
        for candidate in candidates where position + candidate.scalars.count <= scalars.count {
            var equal = true
            for (offset, scalar) in candidate.scalars.enumerated() where scalars[position + offset] != scalar {
                equal = false
                break
            }
            if equal { return (candidate.id, candidate.scalars.count) }
        }
        return nil
    }
}
