import FuzzSupport
import RPC

/// What a frame decoder gave, with `messageTooLarge`'s size left out: for a line that has no
/// newline yet, the NDJSON decoder can only report the bytes it has seen, which depends on
/// how the stream was split. Everything else must not depend on it.
enum FrameEvent: Equatable, CustomStringConvertible {
    case payload([UInt8])
    case tooLarge(limit: Int)
    case error(FramingError)

    init(_ result: Result<[UInt8], FramingError>) {
        switch result {
        case .success(let payload): self = .payload(payload)
        case .failure(.messageTooLarge(_, let limit)): self = .tooLarge(limit: limit)
        case .failure(let error): self = .error(error)
        }
    }

    var description: String {
        switch self {
        case .payload(let bytes): return "payload(\(String(decoding: bytes, as: UTF8.self).debugDescription))"
        case .tooLarge(let limit): return "messageTooLarge(limit: \(limit))"
        case .error(let error): return "\(error)"
        }
    }
}

/// The fuzz check shared by the framing harnesses. Input: byte 0 picks the message size
/// limit (255: the default 64 MiB, else 4 times its value), byte 1 how the rest, the stream,
/// is split into reads (`FuzzChunks`). The stream is decoded twice, in one read and in those
/// chunks; the check traps unless
/// - both give the same payloads and errors (framing must not depend on read boundaries),
/// - after each read, the decoder buffers at most `bufferBound(limit)` bytes once drained
///   (an oversized or unframeable message must not cost memory),
/// and every payload then goes through `Message.decode`, as the server does with it.
public func checkFraming(
    _ input: UnsafeRawBufferPointer, makeDecoder: (Int) -> any FrameDecoder, bufferBound: (Int) -> Int
) {
    guard input.count >= 2 else { return }
    let limit = input[0] == 255 ? Framing.defaultMaxMessageBytes : Int(input[0]) * 4
    let stream = UnsafeRawBufferPointer(rebasing: input[2...])

    var whole = makeDecoder(limit)
    whole.append(stream)
    let expected = drain(&whole)

    var chunked = makeDecoder(limit)
    var events: [FrameEvent] = []
    for chunk in FuzzChunks(stream, seed: input[1]) {
        chunked.append(chunk)
        events += drain(&chunked)
        fuzzCheck(chunked.bufferedByteCount <= bufferBound(limit),
                  "\(chunked.bufferedByteCount) bytes buffered after draining, limit \(limit)")
    }
    fuzzCheck(events == expected, "read in chunks: \(events)\nread at once: \(expected)")
    for case .payload(let payload) in events {
        _ = Message.decode(payload)
    }
}

/// Every event the decoder has ready.
private func drain(_ decoder: inout any FrameDecoder) -> [FrameEvent] {
    var events: [FrameEvent] = []
    while let result = decoder.next() {
        events.append(FrameEvent(result))
    }
    return events
}
