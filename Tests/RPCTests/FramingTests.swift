import RPC
import Testing
import TestSupport

@Suite("Framing")
struct FramingTests {
    @Test("messages decode the same however the reads cut the stream, every split point included",
          arguments: Framing.allCases)
    func anyChunking(framing: Framing) {
        let messages = [#"{"a":1}"#, #"{"b":"x\ny"}"#, "{}", #"{"c":"é🙂"}"#]
        let framed = messages.map { framing.frame(Array($0.utf8)) }
        let steps = [
            FrameStep(framed[0] + framed[1], [.text(messages[0]), .text(messages[1])]),
            FrameStep(framed[2], [.text(messages[2])]),
            FrameStep(framed[3], [.text(messages[3])]),
        ]
        #expect(throws: Never.self) {
            try frameVerifier(framing).verify(steps, feedings: FramingVerifier.Feeding.standard + [.everySplitPoint])
        }
    }

    @Test("seeded random messages decode the same however the reads cut the stream", arguments: Framing.allCases)
    func randomMessages(framing: Framing) {
        var random = TestRandom(seed: 42)
        let values = (0..<200).map { _ in random.json(depth: 3) }
        let serialized = values.map { $0.serialized() }
        #expect(serialized.compactMap { try? JSONValue(parsing: $0) } == values)
        #expect(throws: Never.self) {
            try frameVerifier(framing).verify(serialized.map { FrameStep(framing.frame($0), [.payload($0)]) })
        }
    }

    @Test("a partial message stays buffered: Content-Length keeps the body, NDJSON the line")
    func partialMessageLeftOver() {
        let body = Array(#"{"k":"v"}"#.utf8)
        #expect(throws: Never.self) {
            try frameVerifier(.contentLength).verify(
                [FrameStep(Framing.contentLength.frame(body), [.payload(body)]),
                 FrameStep(Array(Framing.contentLength.frame(body).dropLast(3)), [])],
                leftover: body.count - 3)
        }
        #expect(throws: Never.self) {
            try frameVerifier(.ndjson).verify([FrameStep(body, [])], leftover: body.count)
        }
    }

    @Test("an oversized Content-Length message is skipped with a clear error; the next one decodes")
    func oversizedContentLength() {
        let tooLarge = FramingError.messageTooLarge(size: 100, limit: 64)
        #expect(!tooLarge.isFatal)
        #expect(tooLarge.description.contains("exceeds the limit of 64 bytes"))
        let big = Array(repeating: UInt8(ascii: "x"), count: 100)
        let steps = [
            FrameStep(Framing.contentLength.frame(big), [.failure(tooLarge)]),
            FrameStep(Framing.contentLength.frame(Array("{}".utf8)), [.text("{}")]),
        ]
        #expect(throws: Never.self) { try frameVerifier(.contentLength, limit: 64).verify(steps) }
    }

    @Test("a header without Content-Length or with a bad value is reported and skipped")
    func malformedHeaders() {
        let steps = [
            FrameStep(Array("Content-Type: x\r\n\r\n".utf8), [.failure(.missingContentLength)]),
            FrameStep(Array("Content-Length: 1x\r\n\r\n".utf8), [.failure(.malformedHeader("Content-Length: 1x"))]),
            FrameStep(Array("nonsense\r\n\r\n".utf8), [.failure(.malformedHeader("nonsense"))]),
            FrameStep(Framing.contentLength.frame(Array("[1]".utf8)), [.text("[1]")]),
        ]
        #expect(throws: Never.self) {
            try frameVerifier(.contentLength).verify(steps, feedings: FramingVerifier.Feeding.standard + [.everySplitPoint])
        }
    }

    /// Junk with no end of header, then a valid frame the decoder must no longer decode.
    private var runawayHeaderSteps: [FrameStep] {
        let junk = Array(repeating: UInt8(ascii: "a"), count: ContentLengthFrameDecoder.maxHeaderBytes + 10)
        return [
            FrameStep(junk, [.failure(.headerTooLarge(limit: ContentLengthFrameDecoder.maxHeaderBytes))]),
            FrameStep(Framing.contentLength.frame(Array("{}".utf8)), []),
        ]
    }

    @Test("a header block that never ends is fatal, and nothing after it decodes")
    func runawayHeader() {
        #expect(FramingError.headerTooLarge(limit: ContentLengthFrameDecoder.maxHeaderBytes).isFatal)
        let feedings = FramingVerifier<VerifiedFrameDecoder>.Feeding.standard.filter { $0 != .allAtOnce }
        #expect(throws: Never.self) { try frameVerifier(.contentLength).verify(runawayHeaderSteps, feedings: feedings) }
    }

    @Test("a header block longer than the limit is fatal even when its end arrives in the same read")
    func runawayHeaderInOneRead() {
        // In one read, the junk and the next frame's header form one header block longer than
        // maxHeaderBytes: the same fatal headerTooLarge as when the reads end inside the junk.
        #expect(throws: Never.self) { try frameVerifier(.contentLength).verify(runawayHeaderSteps, feedings: [.allAtOnce]) }
    }

    @Test("NDJSON ignores blank lines, strips CR, and skips an overlong line however it arrives")
    func ndjsonEdgeCases() {
        let steps = [
            FrameStep(Array("\n  \n{\"a\":1}\r\n".utf8), [.text(#"{"a":1}"#)]),
            FrameStep(Array(repeating: UInt8(ascii: "z"), count: 50) + [10], [.failure(.messageTooLarge(size: 0, limit: 20))]),
            FrameStep(Array("{\"b\":2}\n".utf8), [.text(#"{"b":2}"#)]),
        ]
        #expect(throws: Never.self) {
            try frameVerifier(.ndjson, limit: 20, ignoresOversizeByteCount: true).verify(steps)
        }
    }

    @Test("NDJSON reports an overlong line's full size when it arrives whole, the bytes seen so far when split")
    func ndjsonOversizeCount() {
        let line = Array(repeating: UInt8(ascii: "z"), count: 50) + [10]
        var whole = NDJSONFrameDecoder(maxMessageBytes: 20)
        whole.append(line)
        #expect(whole.next() == .failure(.messageTooLarge(size: 50, limit: 20)))
        var split = NDJSONFrameDecoder(maxMessageBytes: 20)
        split.append(Array(line[..<30]))
        #expect(split.next() == .failure(.messageTooLarge(size: 30, limit: 20)))
        split.append(Array(line[30...]))
        #expect(split.next() == nil)
        #expect(split.bufferedByteCount == 0)
    }

    /// Found by fuzz/ (harness ndjson): a read ending between a line's `\r` and its `\n` counted
    /// the `\r` as content, so a line of exactly the limit (or a blank CRLF line under limit 0)
    /// was refused or accepted depending on where the stream happened to be split.
    @Test("a CRLF line at the size limit decodes the same wherever the reads split it")
    func ndjsonCarriageReturnAtLimit() {
        func decode(_ chunks: [String], limit: Int) -> [Result<[UInt8], FramingError>] {
            var decoder = NDJSONFrameDecoder(maxMessageBytes: limit)
            var outputs: [Result<[UInt8], FramingError>] = []
            for chunk in chunks {
                decoder.append(Array(chunk.utf8))
                while let output = decoder.next() { outputs.append(output) }
            }
            return outputs
        }
        let line = Result<[UInt8], FramingError>.success(Array("abcd".utf8))
        let empty = Result<[UInt8], FramingError>.success(Array("{}".utf8))
        #expect(decode(["abcd\r\n{}\n"], limit: 4) == [line, empty])
        #expect(decode(["abcd\r", "\n{}\n"], limit: 4) == [line, empty], "no messageTooLarge for the split line")
        #expect(decode(["\r", "\n"], limit: 0).isEmpty)
    }

    @Test("buffered bytes return to zero after many messages")
    func boundedBuffer() {
        var decoder = Framing.contentLength.makeDecoder()
        let frame = Framing.contentLength.frame(Array(#"{"k":"v"}"#.utf8))
        var count = 0
        for _ in 0..<5000 {
            decoder.append(frame)
            while let next = decoder.next() { if (try? next.get()) != nil { count += 1 } }
        }
        #expect(count == 5000)
        #expect(decoder.bufferedByteCount == 0)
    }
}
