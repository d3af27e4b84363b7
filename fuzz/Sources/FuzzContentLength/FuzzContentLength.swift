import FuzzRPCSupport
import FuzzSupport
import RPC

/// libFuzzer entry: `Content-Length` framing (`ContentLengthFrameDecoder`), read at once and in
/// chunks (`checkFraming`). Drained, it holds at most a header or one message under the limit.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzContentLength(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    checkFraming(
        fuzzBytes(data, size),
        makeDecoder: { ContentLengthFrameDecoder(maxMessageBytes: $0) },
        bufferBound: { max($0, ContentLengthFrameDecoder.maxHeaderBytes) })
    return 0
}
