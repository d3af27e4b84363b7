import FuzzRPCSupport
import FuzzSupport
import RPC

/// libFuzzer entry: newline-delimited JSON framing (`NDJSONFrameDecoder`), read at once and in
/// chunks (`checkFraming`). Drained, it holds at most one unfinished line: the limit and a `\r`.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzNDJSON(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    checkFraming(
        fuzzBytes(data, size),
        makeDecoder: { NDJSONFrameDecoder(maxMessageBytes: $0) },
        bufferBound: { $0 + 1 })
    return 0
}
