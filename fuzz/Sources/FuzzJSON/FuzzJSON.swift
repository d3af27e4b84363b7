import FuzzSupport
import RPC

/// libFuzzer entry: the JSON-RPC layer's JSON parser (`JSONValue(parsing:)`, every message
/// goes through it) and message decoding. A parsed value must serialize to text that parses
/// back to the same value, and re-serializes to the same bytes.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzJSON(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    guard let value = try? JSONValue(parsing: fuzzBytes(data, size)) else { return 0 }
    let text = value.serialized()
    let reparsed: JSONValue
    do {
        reparsed = try JSONValue(parsing: text)
    } catch {
        fuzzCheck(false, "serialized JSON does not parse (\(error)): \(String(decoding: text, as: UTF8.self))")
        return 0
    }
    fuzzCheck(reparsed == value, "round trip changed \(value) into \(reparsed)")
    fuzzCheck(reparsed.serialized() == text, "serializing twice differs: \(String(decoding: text, as: UTF8.self))")
    _ = Message.decode(value)
    return 0
}
