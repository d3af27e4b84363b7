/// The pre-tokenizer regular expressions, hand-written as scanners over Unicode scalars.
///
/// Each scanner returns the length of the match the regex would make at a position, taking the
/// alternatives in order as a backtracking engine does. Every position matches some alternative,
/// so a segment is always split completely, with no gaps.
public enum SplitPattern: String, Sendable, CaseIterable {
    /// GPT-2: `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+`
    case gpt2
    /// Llama 3: `(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}|
    /// ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`
    case llama3

    /// The regex source, as written in `tokenizer.json` files.
    public var regex: String {
        switch self {
        case .gpt2:
            return #"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"#
        case .llama3:
            return #"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"#
        }
    }

    /// Calls `emit` with consecutive ranges covering `segment`, one per regex match.
    func split(
        _ scalars: [Unicode.Scalar], _ classes: [ScalarClass], segment: Range<Int>,
        emit: (Range<Int>) -> Void
    ) {
        var position = segment.lowerBound
        let end = segment.upperBound
        while position < end {
            let length: Int
            switch self {
            case .gpt2: length = Self.gpt2Match(scalars, classes, at: position, end: end)
            case .llama3: length = Self.llama3Match(scalars, classes, at: position, end: end)
            }
            emit(position..<(position + length))
            position += length
        }
    }

    // MARK: - GPT-2

    static func gpt2Match(_ scalars: [Unicode.Scalar], _ classes: [ScalarClass], at start: Int, end: Int) -> Int {
        if let contraction = contractionLength(scalars, at: start, end: end, caseInsensitive: false) {
            return contraction
        }
        // ` ?\p{L}+`, ` ?\p{N}+`, ` ?[^\s\p{L}\p{N}]+`: an optional space, then a run of one class.
        let afterSpace = scalars[start] == " " && start + 1 < end ? start + 1 : start
        let runClass = classes[afterSpace]
        if runClass != .whitespace {
            return run(of: runClass, classes, from: afterSpace, end: end) - start
        }
        return whitespaceMatch(classes, at: start, end: end)
    }

    // MARK: - Llama 3

    static func llama3Match(_ scalars: [Unicode.Scalar], _ classes: [ScalarClass], at start: Int, end: Int) -> Int {
        if let contraction = contractionLength(scalars, at: start, end: end, caseInsensitive: true) {
            return contraction
        }
        let first = classes[start]
        // `[^\r\n\p{L}\p{N}]?\p{L}+`
        if first == .letter {
            return run(of: .letter, classes, from: start, end: end) - start
        }
        if first != .number, !isLineBreak(scalars[start]), start + 1 < end, classes[start + 1] == .letter {
            return run(of: .letter, classes, from: start + 1, end: end) - start
        }
        // `\p{N}{1,3}`
        if first == .number {
            return min(3, run(of: .number, classes, from: start, end: end) - start)
        }
        // ` ?[^\s\p{L}\p{N}]+[\r\n]*`
        let afterSpace = scalars[start] == " " && start + 1 < end ? start + 1 : start
        if classes[afterSpace] == .other {
            var stop = run(of: .other, classes, from: afterSpace, end: end)
            while stop < end, isLineBreak(scalars[stop]) { stop += 1 }
            return stop - start
        }
        // `\s*[\r\n]+`: the whitespace run up to and including its last line break.
        let whitespaceEnd = run(of: .whitespace, classes, from: start, end: end)
        var lastBreak = whitespaceEnd - 1
        while lastBreak >= start, !isLineBreak(scalars[lastBreak]) { lastBreak -= 1 }
        if lastBreak >= start { return lastBreak + 1 - start }
        return whitespaceMatch(classes, at: start, end: end)
    }

    // MARK: - Shared pieces

    /// `'s|'t|'re|'ve|'m|'ll|'d` (ASCII apostrophe), optionally ignoring ASCII case.
    private static func contractionLength(
        _ scalars: [Unicode.Scalar], at start: Int, end: Int, caseInsensitive: Bool
    ) -> Int? {
        guard scalars[start] == "'", start + 1 < end else { return nil }
        func letter(_ offset: Int) -> UInt32? {
            guard start + offset < end else { return nil }
            let value = scalars[start + offset].value
            guard caseInsensitive else { return value }
            if value >= 0x41, value <= 0x5A { return value + 0x20 }
            // Unicode case folding also maps LATIN SMALL LETTER LONG S to "s" (Python regex and
            // Oniguruma both honour it); no other scalar folds onto these ASCII letters.
            return value == 0x17F ? 0x73 : value
        }
        switch letter(1) {
        case 0x73, 0x74, 0x6D, 0x64: return 2  // s t m d
        case 0x72, 0x76: return letter(2) == 0x65 ? 3 : nil  // re ve
        case 0x6C: return letter(2) == 0x6C ? 3 : nil  // ll
        default: return nil
        }
    }

    /// `\s+(?!\S)|\s+`: a whitespace run, leaving its last scalar to the next match when a
    /// non-space follows (so " world" keeps its space), but never matching less than one scalar.
    private static func whitespaceMatch(_ classes: [ScalarClass], at start: Int, end: Int) -> Int {
        let stop = run(of: .whitespace, classes, from: start, end: end)
        let length = stop - start
        if stop == end || length == 1 { return length }
        return length - 1
    }

    /// The end of the run of `scalarClass` starting at `start`.
    @inline(__always)
    private static func run(of scalarClass: ScalarClass, _ classes: [ScalarClass], from start: Int, end: Int) -> Int {
        var stop = start
        while stop < end, classes[stop] == scalarClass { stop += 1 }
        return stop
    }

    @inline(__always)
    private static func isLineBreak(_ scalar: Unicode.Scalar) -> Bool {
        scalar == "\n" || scalar == "\r"
    }
}
