import TestSupport
import Testing

/// A correct newline-delimited decoder: keeps a partial line until its newline arrives.
private struct LineDecoder: StreamDecoder {
    var pending: [UInt8] = []

    mutating func append(_ bytes: UnsafeRawBufferPointer) { pending.append(contentsOf: bytes) }

    mutating func next() -> String? {
        guard let newline = pending.firstIndex(of: 10) else { return nil }
        defer { pending.removeSubrange(...newline) }
        return String(decoding: pending[..<newline], as: UTF8.self)
    }

    var bufferedByteCount: Int { pending.count }
}

/// The classic framing bug, on purpose: it looks for lines only inside each read and drops a
/// partial line at the end of one, so it is right exactly when every read ends on a line boundary.
private struct ForgetfulLineDecoder: StreamDecoder {
    var lines: [String] = []

    mutating func append(_ bytes: UnsafeRawBufferPointer) {
        let chunk = Array(bytes)
        guard let last = chunk.lastIndex(of: 10) else { return }
        lines += chunk[...last].split(separator: 10, omittingEmptySubsequences: false).dropLast()
            .map { String(decoding: $0, as: UTF8.self) }
    }

    mutating func next() -> String? { lines.isEmpty ? nil : lines.removeFirst() }

    var bufferedByteCount: Int { 0 }
}

/// Right messages, wrong timing: a line is released only once a byte after its newline arrives.
private struct LateLineDecoder: StreamDecoder {
    var inner = LineDecoder()

    mutating func append(_ bytes: UnsafeRawBufferPointer) { inner.append(bytes) }

    mutating func next() -> String? {
        guard let newline = inner.pending.firstIndex(of: 10), newline + 1 < inner.pending.count else { return nil }
        return inner.next()
    }

    var bufferedByteCount: Int { inner.bufferedByteCount }
}

@Suite("FramingVerifier")
struct FramingVerifierTests {
    private let steps: [FramingVerifier<LineDecoder>.Step] = [
        .init(Array("one\ntwo\n".utf8), ["one", "two"]),
        .init(Array("thr".utf8), []),
        .init(Array("ee\n\nfour\n".utf8), ["three", "", "four"]),
    ]

    /// Steps that each end on a line boundary: what a test feeding whole messages would use.
    private let wholeLines: [FramingVerifier<ForgetfulLineDecoder>.Step] = [
        .init(Array("one\ntwo\n".utf8), ["one", "two"]),
        .init(Array("three\n\nfour\n".utf8), ["three", "", "four"]),
    ]

    @Test("a correct decoder passes every feeding, every split point included, and its leftover is checked")
    func correctDecoderPasses() throws {
        let verifier = FramingVerifier { LineDecoder() }
        #expect(throws: Never.self) {
            try verifier.verify(steps, feedings: FramingVerifier<LineDecoder>.Feeding.standard + [.everySplitPoint])
        }
        #expect(throws: Never.self) {
            try verifier.verify(steps + [.init(Array("fiv".utf8), [])], leftover: 3)
        }
        let error = #expect(throws: FramingVerifier<LineDecoder>.Mismatch.self) {
            try verifier.verify(steps + [.init(Array("fiv".utf8), [])], leftover: 0)
        }
        #expect(error?.description == "each step whole: 3 bytes left buffered at the end of the stream, 0 expected")
    }

    @Test("a decoder that only works when fed whole passes whole feedings and is caught one byte at a time")
    func catchesChunkingBug() throws {
        let verifier = FramingVerifier { ForgetfulLineDecoder() }
        let steps = wholeLines
        // What a test that feeds whole messages would see: nothing wrong.
        #expect(throws: Never.self) { try verifier.verify(steps, feedings: [.whole, .allAtOnce]) }
        let error = try #require(#expect(throws: FramingVerifier<ForgetfulLineDecoder>.Mismatch.self) {
            try verifier.verify(steps)
        })
        #expect(error.feeding == .oneByteAtATime)
        #expect(error.description == "one byte at a time: step 0 (stream bytes 0..<8) fed as reads of [1, 1, 1, 1, 1, 1, 1, 1] bytes gave 2 outputs where 2 were due; output 0 is \"\" where \"one\" was due")
        for seed in UInt64(1)...4 {
            #expect(throws: FramingVerifier<ForgetfulLineDecoder>.Mismatch.self, "seed \(seed)") {
                try verifier.verify(steps, feedings: [.randomSplits(seed: seed), .everySplitPoint])
            }
        }
    }

    @Test("an output that waits for the next step's bytes is late, even if every message is right")
    func catchesLateOutput() throws {
        let verifier = FramingVerifier { LateLineDecoder() }
        let steps = self.steps.map { FramingVerifier<LateLineDecoder>.Step($0.input, $0.outputs) }
        let error = try #require(#expect(throws: FramingVerifier<LateLineDecoder>.Mismatch.self) {
            try verifier.verify(steps, feedings: [.whole])
        })
        #expect(error.description.hasPrefix("each step whole: step 0 (stream bytes 0..<8) fed as reads of [8] bytes gave 1 outputs where 2 were due; output 1 is missing where \"two\" was due"))
    }
}
