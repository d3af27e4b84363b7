/// How messages are delimited on a byte stream.
public enum Framing: String, Sendable, Hashable, CaseIterable, Codable {
    /// `Content-Length: N\r\n\r\n` then N bytes of JSON, as the Language Server Protocol.
    case contentLength = "content-length"
    /// One JSON object per line (`\n`-terminated), the easiest for shell scripts and Python.
    case ndjson

    /// The default cap on one message: 64 MiB.
    public static let defaultMaxMessageBytes = 64 << 20

    /// A fresh incremental decoder for this framing.
    public func makeDecoder(maxMessageBytes: Int = Framing.defaultMaxMessageBytes) -> any FrameDecoder {
        switch self {
        case .contentLength: return ContentLengthFrameDecoder(maxMessageBytes: maxMessageBytes)
        case .ndjson: return NDJSONFrameDecoder(maxMessageBytes: maxMessageBytes)
        }
    }

    /// Wraps one serialized message in this framing.
    public func frame(_ payload: [UInt8]) -> [UInt8] {
        switch self {
        case .contentLength:
            var framed = Array("Content-Length: \(payload.count)\r\n\r\n".utf8)
            framed.reserveCapacity(framed.count + payload.count)
            framed.append(contentsOf: payload)
            return framed
        case .ndjson:
            var framed = payload
            framed.append(UInt8(ascii: "\n"))
            return framed
        }
    }
}

/// Incremental decoder: feed arbitrary chunks of bytes, take out complete message payloads.
public protocol FrameDecoder: Sendable {
    /// Appends bytes read from the stream.
    mutating func append(_ bytes: UnsafeRawBufferPointer)
    /// The next complete payload, a framing error, or nil when more bytes are needed.
    /// After a recoverable error, decoding resumes at the next message.
    mutating func next() -> Result<[UInt8], FramingError>?
    /// Bytes buffered but not yet returned (for tests of bounded memory).
    var bufferedByteCount: Int { get }
}

extension FrameDecoder {
    /// Convenience for arrays (tests, in-process connections).
    public mutating func append(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { append($0) }
    }
}

/// A framing problem. Only `headerTooLarge` is fatal (the stream cannot be resynchronised);
/// after the others decoding continues with the next message.
public enum FramingError: Error, Sendable, Hashable, CustomStringConvertible {
    case messageTooLarge(size: Int, limit: Int)
    case missingContentLength
    case malformedHeader(String)
    case headerTooLarge(limit: Int)

    /// True when the connection cannot continue.
    public var isFatal: Bool {
        if case .headerTooLarge = self { return true }
        return false
    }

    /// A readable account for logs and error messages.
    public var description: String {
        switch self {
        case .messageTooLarge(let size, let limit):
            return "a message of \(size) bytes exceeds the limit of \(limit) bytes; it was skipped — send smaller messages or start the server with a larger message size limit"
        case .missingContentLength:
            return "the message header has no Content-Length; each message must start with 'Content-Length: N' followed by an empty line (or start the server with --framing ndjson)"
        case .malformedHeader(let line):
            return "malformed message header '\(line)'; expected 'Content-Length: N' with N a decimal byte count"
        case .headerTooLarge(let limit):
            return "no end of message header within \(limit) bytes; the stream is not Content-Length framed (use --framing ndjson for one JSON object per line)"
        }
    }

    /// The JSON-RPC error sent to the peer for this problem.
    public var responseError: ResponseError {
        switch self {
        case .messageTooLarge(let size, let limit):
            return .invalidRequest(description, data: ["size": .int(size), "limit": .int(limit)])
        default:
            return .parseError(description)
        }
    }
}

/// Growable byte buffer with a read cursor; compacts so memory stays bounded by what is unread.
struct ByteQueue: Sendable {
    private(set) var storage: [UInt8] = []
    private(set) var start = 0

    var count: Int { storage.count - start }

    mutating func append(_ bytes: UnsafeRawBufferPointer) {
        storage.append(contentsOf: bytes)
    }

    /// Index (absolute in storage) of the first `byte` at or after `from`, or nil.
    func firstIndex(of byte: UInt8, from: Int) -> Int? {
        var index = max(from, start)
        while index < storage.count {
            if storage[index] == byte { return index }
            index += 1
        }
        return nil
    }

    subscript(absolute index: Int) -> UInt8 { storage[index] }

    var endIndex: Int { storage.count }

    /// Removes and returns the bytes in `start..<end` (absolute), also dropping the bytes up to
    /// `consumed` (absolute, at least `end`), such as a delimiter after the payload.
    mutating func take(upTo end: Int, consumingThrough consumed: Int? = nil) -> [UInt8] {
        let bytes = Array(storage[start..<end])
        discard(upTo: consumed ?? end)
        return bytes
    }

    /// Drops the bytes in `start..<end` (absolute).
    mutating func discard(upTo end: Int) {
        start = end
        if start == storage.count {
            storage.removeAll(keepingCapacity: storage.capacity <= 1 << 20)
            start = 0
        } else if start >= 1 << 16 && start * 2 >= storage.count {
            storage.removeSubrange(0..<start)
            start = 0
        }
    }
}
