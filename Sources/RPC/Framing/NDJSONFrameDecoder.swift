/// Decodes newline-delimited JSON: each message is one line ending in `\n` (a `\r` before it is
/// dropped). Blank lines are ignored. A line longer than the limit is skipped up to its newline.
/// Drained, it buffers at most one unfinished line: the limit, plus a `\r` that may end it.
public struct NDJSONFrameDecoder: FrameDecoder {
    /// Largest accepted payload; larger messages are skipped with `messageTooLarge`.
    public let maxMessageBytes: Int
    private var buffer = ByteQueue()
    private var scanFrom = 0
    /// True while discarding the rest of an oversized line.
    private var discardingLine = false

    /// A decoder that accepts payloads up to `maxMessageBytes`.
    public init(maxMessageBytes: Int = Framing.defaultMaxMessageBytes) {
        self.maxMessageBytes = maxMessageBytes
    }

    /// Bytes buffered while waiting for the rest of a message.
    public var bufferedByteCount: Int { buffer.count }

    /// Appends bytes read from the stream.
    public mutating func append(_ bytes: UnsafeRawBufferPointer) {
        buffer.append(bytes)
    }

    /// The next payload or framing error; nil when more bytes are needed.
    public mutating func next() -> Result<[UInt8], FramingError>? {
        while true {
            if discardingLine {
                if let newline = buffer.firstIndex(of: 10, from: buffer.start) {
                    buffer.discard(upTo: newline + 1)
                    scanFrom = buffer.start
                    discardingLine = false
                    continue
                }
                buffer.discard(upTo: buffer.endIndex)
                scanFrom = buffer.start
                return nil
            }
            guard let newline = buffer.firstIndex(of: 10, from: scanFrom) else {
                scanFrom = buffer.endIndex
                // A final `\r` may be the start of the line's `\r\n`, which is not content: the
                // line is too long only if it is even without it, wherever the reads split it.
                let endsInCR = buffer.count > 0 && buffer[absolute: buffer.endIndex - 1] == 13
                if buffer.count - (endsInCR ? 1 : 0) > maxMessageBytes {
                    let size = buffer.count
                    discardingLine = true
                    buffer.discard(upTo: buffer.endIndex)
                    scanFrom = buffer.start
                    return .failure(.messageTooLarge(size: size, limit: maxMessageBytes))
                }
                return nil
            }
            var end = newline
            if end > buffer.start, buffer[absolute: end - 1] == 13 { end -= 1 }
            let length = end - buffer.start
            if length > maxMessageBytes {
                buffer.discard(upTo: newline + 1)
                scanFrom = buffer.start
                return .failure(.messageTooLarge(size: length, limit: maxMessageBytes))
            }
            let line = buffer.take(upTo: end, consumingThrough: newline + 1)
            scanFrom = buffer.start
            if line.allSatisfy({ $0 == 32 || $0 == 9 || $0 == 13 }) { continue }
            return .success(line)
        }
    }
}
