import Foundation
import RPC
import TestSupport

extension TestRandom {
    /// A random JSON value of bounded depth, with strings that need escaping.
    mutating func json(depth: Int = 2) -> JSONValue {
        switch int(below: depth > 0 ? 7 : 5) {
        case 0: return .null
        case 1: return .bool(int(below: 2) == 0)
        case 2: return .int(int(below: 2_000_001) - 1_000_000)
        case 3: return .string(string())
        case 4: return .double(Double(int(below: 1000)) + 0.25)
        case 5: return .array((0..<int(below: 4)).map { _ in json(depth: depth - 1) })
        default:
            var members: [String: JSONValue] = [:]
            for _ in 0..<int(below: 4) { members[string()] = json(depth: depth - 1) }
            return .object(members)
        }
    }

    /// A short string of characters JSON must escape or encode (quotes, control characters,
    /// non-ASCII, an emoji).
    mutating func string() -> String {
        let alphabet = Array("ab\n\"\\é€ 🙂\r\t{}:")
        return String((0..<int(below: 8)).map { _ in alphabet[int(below: alphabet.count)] })
    }
}

/// Splits framed output back into messages (test-side, independent of the decoders under test
/// for NDJSON; Content-Length is parsed by hand here).
func parseFramedOutput(_ bytes: [UInt8], framing: Framing) -> [JSONValue] {
    var messages: [JSONValue] = []
    switch framing {
    case .ndjson:
        for line in bytes.split(separator: 10) where !line.isEmpty {
            if let value = try? JSONValue(parsing: Array(line)) { messages.append(value) }
        }
    case .contentLength:
        var rest = bytes[...]
        let marker: [UInt8] = [13, 10, 13, 10]
        while !rest.isEmpty {
            guard let end = rest.indices.first(where: { Array(rest[$0..<min($0 + 4, rest.endIndex)]) == marker })
            else { break }
            let header = String(decoding: rest[rest.startIndex..<end], as: UTF8.self)
            guard let length = Int(header.replacingOccurrences(of: "Content-Length: ", with: "")) else { break }
            let body = rest[(end + 4)..<(end + 4 + length)]
            if let value = try? JSONValue(parsing: Array(body)) { messages.append(value) }
            rest = rest[(end + 4 + length)...]
        }
    }
    return messages
}

/// Request and notification types used by the tests.
enum EchoRequest: RequestType {
    struct Params: Codable, Sendable { var text: String; var count: Int }
    struct Response: Codable, Sendable, Equatable { var echoed: String }
    static let method = "test/echo"
}

enum SlowRequest: RequestType {
    struct Params: Codable, Sendable { var workDoneToken: ProgressToken? }
    typealias Response = EmptyObject
    static let method = "test/slow"
}

/// A server with test handlers: echo, a job that runs until cancelled while reporting progress,
/// a failing job, and a job that reports as fast as it can for a fixed time.
func makeTestServer(extraCapabilities: [String: JSONValue] = ["formats": ["gguf"]]) -> Server {
    let server = Server(info: ServerInfo(name: "test-server", version: "0.1"), capabilities: extraCapabilities)
    server.register(EchoRequest.self) { params, _ in
        EchoRequest.Response(echoed: String(repeating: params.text, count: params.count))
    }
    server.register(SlowRequest.self) { _, context in
        let progress = context.progress(title: "slow job")
        var step = 0
        while true {
            try context.checkCancellation()
            step += 1
            progress.report(message: "step \(step)", percentage: Double(step % 100), fields: ["block": .int(step)])
            try await Task.sleep(for: .milliseconds(2))
        }
    }
    server.register(method: "test/fail") { params, context in
        _ = context.progress(title: "failing job")
        throw TestApplicationError(code: params?["code"]?.intValue ?? 1)
    }
    server.register(method: "test/burst") { _, context in
        let progress = context.progress(title: "burst")
        let start = ContinuousClock.now
        var attempts = 0
        while ContinuousClock.now - start < .milliseconds(350) {
            progress.report(percentage: 50, fields: ["tokensPerSecond": .double(1.5)])
            attempts += 1
        }
        return .int(attempts)
    }
    return server
}

struct TestApplicationError: ResponseErrorConvertible {
    var code: Int
    var responseError: ResponseError {
        ResponseError(code: 1000 + code, message: "test failure \(code)", data: ["code": .int(code)])
    }
}

/// Initializes a client connection against a test server.
func initialize(_ client: Connection) async throws -> InitializeResult {
    let result = try await client.send(InitializeRequest.self, InitializeParams(clientInfo: .init(name: "tests")))
    try client.notify(InitializedNotification.self, EmptyObject())
    return result
}
