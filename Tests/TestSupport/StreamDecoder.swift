/// An incremental decoder of a byte stream, as `FramingVerifier` drives it: bytes go in however
/// the reads happened to cut the stream, complete outputs come out. It has the shape of RPC's
/// `FrameDecoder`, so those fit it with a small adapter.
public protocol StreamDecoder {
    /// What one complete unit of the stream decodes to (a message, or a framing error).
    associatedtype Output: Equatable

    /// Takes the next bytes of the stream (only the `count` bytes given: a chunk may be one byte).
    mutating func append(_ bytes: UnsafeRawBufferPointer)

    /// The next complete output, or nil until more bytes arrive.
    mutating func next() -> Output?

    /// Bytes taken but not yet turned into output.
    var bufferedByteCount: Int { get }
}
