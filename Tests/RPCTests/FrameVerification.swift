import RPC
import TestSupport

/// A decoded frame as the framing tests compare it: a payload (shown as text in failures) or a
/// framing error.
enum Frame: Equatable, CustomStringConvertible {
    case payload([UInt8])
    case failure(FramingError)

    /// The payload `text` in UTF-8.
    static func text(_ text: String) -> Frame { .payload(Array(text.utf8)) }

    var description: String {
        switch self {
        case .payload(let bytes): return "payload \(String(decoding: bytes, as: UTF8.self).debugDescription)"
        case .failure(let error): return "error \(error)"
        }
    }
}

/// RPC's frame decoders as `FramingVerifier` drives them.
struct VerifiedFrameDecoder: StreamDecoder {
    private var decoder: any FrameDecoder
    private let ignoresOversizeByteCount: Bool

    /// A fresh decoder for `framing` that accepts payloads up to `limit`. NDJSON reports an
    /// overlong line's size as far as it had read when it gave up, which depends on where the
    /// reads cut the line; `ignoresOversizeByteCount` compares only the limit of such errors.
    init(_ framing: Framing, limit: Int = Framing.defaultMaxMessageBytes, ignoresOversizeByteCount: Bool = false) {
        decoder = framing.makeDecoder(maxMessageBytes: limit)
        self.ignoresOversizeByteCount = ignoresOversizeByteCount
    }

    mutating func append(_ bytes: UnsafeRawBufferPointer) { decoder.append(bytes) }

    mutating func next() -> Frame? {
        switch decoder.next() {
        case nil: return nil
        case .success(let payload): return .payload(payload)
        case .failure(.messageTooLarge(_, let limit)) where ignoresOversizeByteCount:
            return .failure(.messageTooLarge(size: 0, limit: limit))
        case .failure(let error): return .failure(error)
        }
    }

    var bufferedByteCount: Int { decoder.bufferedByteCount }
}

/// A verifier of `framing`'s decoder (see `VerifiedFrameDecoder` for the parameters).
func frameVerifier(
    _ framing: Framing, limit: Int = Framing.defaultMaxMessageBytes, ignoresOversizeByteCount: Bool = false
) -> FramingVerifier<VerifiedFrameDecoder> {
    FramingVerifier { VerifiedFrameDecoder(framing, limit: limit, ignoresOversizeByteCount: ignoresOversizeByteCount) }
}

/// A step of a framing test: `input` and the frames it completes.
typealias FrameStep = FramingVerifier<VerifiedFrameDecoder>.Step
