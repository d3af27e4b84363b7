/// Decodes `Content-Length` framed messages (LSP base protocol): header lines ended by `\r\n`, an
/// empty line, then exactly `Content-Length` bytes. Other headers (Content-Type) are ignored.
public struct ContentLengthFrameDecoder: FrameDecoder {
    /// Longest header block accepted before the stream is declared unframeable.
    public static let maxHeaderBytes = 8192

    /// Largest accepted payload; larger messages are skipped with `messageTooLarge`.
    public let maxMessageBytes: Int
    private var buffer = ByteQueue()
    private var state = State.header
    private var scanFrom = 0

    private enum State: Sendable {
        case header
        case body(length: Int)
        case skipping(remaining: Int)
        case broken
    }

    /// A decoder that accepts payloads up to `maxMessageBytes`.
    public init(maxMessageBytes: Int = Framing.defaultMaxMessageBytes) {
        self.maxMessageBytes = maxMessageBytes
    }

    /// Bytes buffered while waiting for the rest of a message.
    public var bufferedByteCount: Int { buffer.count }

    /// Appends bytes read from the stream.
    public mutating func append(_ bytes: UnsafeRawBufferPointer) {
        switch state {
        case .broken:
            return
        case .skipping(let remaining) where buffer.count == 0:
            // Skip without buffering, so an oversized message costs no memory.
            let skipped = min(remaining, bytes.count)
            let rest = UnsafeRawBufferPointer(rebasing: bytes[skipped...])
            state = remaining - skipped == 0 ? .header : .skipping(remaining: remaining - skipped)
            if !rest.isEmpty { buffer.append(rest) }
            scanFrom = buffer.start
        default:
            buffer.append(bytes)
        }
    }

    /// The next payload or framing error; nil when more bytes are needed.
    public mutating func next() -> Result<[UInt8], FramingError>? {
        while true {
            switch state {
            case .broken:
                return nil
            case .skipping(let remaining):
                let skipped = min(remaining, buffer.count)
                buffer.discard(upTo: buffer.start + skipped)
                if skipped < remaining {
                    state = .skipping(remaining: remaining - skipped)
                    return nil
                }
                state = .header
                scanFrom = buffer.start
            case .body(let length):
                guard buffer.count >= length else { return nil }
                state = .header
                let payload = buffer.take(upTo: buffer.start + length)
                scanFrom = buffer.start
                return .success(payload)
            case .header:
                guard let headerEnd = findHeaderEnd() else {
                    if buffer.count > Self.maxHeaderBytes {
                        state = .broken
                        buffer.discard(upTo: buffer.endIndex)
                        return .failure(.headerTooLarge(limit: Self.maxHeaderBytes))
                    }
                    return nil
                }
                // The limit counts the whole header block, however the reads cut it: a block
                // whose end arrived in the same read as more than maxHeaderBytes of it is as
                // fatal as one still unfinished past the limit.
                if headerEnd + 4 - buffer.start > Self.maxHeaderBytes {
                    state = .broken
                    buffer.discard(upTo: buffer.endIndex)
                    return .failure(.headerTooLarge(limit: Self.maxHeaderBytes))
                }
                let header = buffer.take(upTo: headerEnd + 4)
                scanFrom = buffer.start
                switch Self.contentLength(in: header.dropLast(4)) {
                case .failure(let error):
                    return .failure(error)
                case .success(nil):
                    continue  // stray blank line between messages
                case .success(let length?):
                    if length > maxMessageBytes {
                        state = .skipping(remaining: length)
                        return .failure(.messageTooLarge(size: length, limit: maxMessageBytes))
                    }
                    state = .body(length: length)
                }
            }
        }
    }

    /// Absolute index of the `\r\n\r\n` that ends the header, if buffered.
    private mutating func findHeaderEnd() -> Int? {
        var index = max(scanFrom, buffer.start)
        while let cr = buffer.firstIndex(of: UInt8(ascii: "\r"), from: index) {
            guard cr + 3 < buffer.endIndex else {
                scanFrom = cr
                return nil
            }
            if buffer[absolute: cr + 1] == 10, buffer[absolute: cr + 2] == 13, buffer[absolute: cr + 3] == 10 {
                return cr
            }
            index = cr + 1
        }
        scanFrom = buffer.endIndex
        return nil
    }

    /// The Content-Length of a header block; nil for an empty block (tolerated blank lines).
    private static func contentLength(in header: ArraySlice<UInt8>) -> Result<Int?, FramingError> {
        let text = String(decoding: header, as: UTF8.self)
        let lines = text.split(separator: "\r\n", omittingEmptySubsequences: true)
        if lines.isEmpty { return .success(nil) }
        var length: Int?
        for line in lines {
            guard let colon = line.firstIndex(of: ":") else {
                return .failure(.malformedHeader(String(line.prefix(200))))
            }
            let name = line[..<colon].trimmingSpaces.lowercased()
            guard name == "content-length" else { continue }
            let value = line[line.index(after: colon)...].trimmingSpaces
            guard !value.isEmpty, value.allSatisfy(\.isASCIIDigit), value.count <= 18, let parsed = Int(value)
            else {
                return .failure(.malformedHeader(String(line.prefix(200))))
            }
            length = parsed
        }
        guard let length else { return .failure(.missingContentLength) }
        return .success(length)
    }
}

extension Substring {
    fileprivate var trimmingSpaces: Substring {
        var result = self
        while let first = result.first, first == " " || first == "\t" { result.removeFirst() }
        while let last = result.last, last == " " || last == "\t" { result.removeLast() }
        return result
    }
}

extension Character {
    fileprivate var isASCIIDigit: Bool { isASCII && isNumber }
}
