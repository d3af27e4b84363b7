import Foundation
import RPC
import Testing
import TestSupport

@Suite("Server over an in-process connection pair", .timeLimit(.minutes(5)))
struct ServerTests {
    private func makePair(framing: Framing = .contentLength) -> (LocalConnectionPair, Recorder<NotificationMessage>) {
        let pair = LocalConnectionPair(framing: framing)
        pair.server.start(handler: makeTestServer())
        let notifications = Recorder<NotificationMessage>()
        pair.client.setNotificationObserver { notifications.append($0) }
        return (pair, notifications)
    }

    /// The response error code `body` failed with (nil when it succeeded, -1 for another error).
    private func code(of body: () async throws -> Void) async -> Int? {
        await caughtError(body).map { ($0 as? ResponseError)?.code ?? -1 }
    }

    @Test("requests before initialize get -32002; initialize returns info and capabilities")
    func lifecycle() async throws {
        let (pair, _) = makePair()
        defer { pair.close() }
        let early = await code { _ = try await pair.client.send(EchoRequest.self, .init(text: "a", count: 1)) }
        #expect(early == -32002)
        let result = try await initialize(pair.client)
        #expect(result.serverInfo == ServerInfo(name: "test-server", version: "0.1"))
        let methods = result.capabilities["methods"]
        #expect(methods == .array(["$/cancelRequest", "exit", "initialize", "initialized", "shutdown",
                                   "test/burst", "test/echo", "test/fail", "test/slow"]))
        #expect(result.capabilities["framing"] == "content-length")
        #expect(result.capabilities["formats"] == ["gguf"])
        let again = await code { _ = try await pair.client.send(InitializeRequest.self, InitializeParams()) }
        #expect(again == -32600)
        let echo = try await pair.client.send(EchoRequest.self, .init(text: "ab", count: 3))
        #expect(echo.echoed == "ababab")
    }

    @Test("unknown methods get -32601 and bad params -32602 naming the member")
    func methodAndParamErrors() async throws {
        let (pair, _) = makePair(framing: .ndjson)
        defer { pair.close() }
        _ = try await initialize(pair.client)
        let missing = await code { _ = try await pair.client.sendRequest(method: "nope", params: nil) }
        #expect(missing == -32601)
        do {
            _ = try await pair.client.sendRequest(method: "test/echo", params: ["text": "x"])
            Issue.record("expected invalid params")
        } catch let error as ResponseError {
            #expect(error.code == -32602)
            #expect(error.message.contains("count"))
        }
        let typeError = await code {
            _ = try await pair.client.sendRequest(method: "test/echo", params: ["text": 1, "count": 1])
        }
        #expect(typeError == -32602)
    }

    @Test("$/cancelRequest makes the request answer -32800 and progress ends as cancelled")
    func cancellation() async throws {
        let (pair, notifications) = makePair()
        defer { pair.close() }
        _ = try await initialize(pair.client)
        async let outcome = code {
            _ = try await pair.client.send(SlowRequest.self, .init(workDoneToken: .string("job-1")))
        }
        try await waitUntil { notifications.all.count >= 2 }
        // The first request id after initialize is 2.
        try pair.client.notify(CancelRequestNotification.self, CancelParams(id: .int(2)))
        #expect(await outcome == -32800)
        try await waitUntil { notifications.all.last?.params?["value"]?["kind"] == "end" }
        let values = notifications.all.compactMap { $0.params?["value"] }
        #expect(values.first?["kind"] == "begin")
        #expect(values.last?["outcome"] == "cancelled")
        #expect(values.filter { $0["kind"] == "end" }.count == 1)
        #expect(notifications.all.allSatisfy { $0.params?["token"] == "job-1" })
        #expect(values.dropFirst().dropLast().allSatisfy { $0["kind"] == "report" && $0["block"] != nil })
    }

    @Test("cancelling the client task sends $/cancelRequest and the request answers -32800")
    func clientTaskCancellation() async throws {
        let (pair, notifications) = makePair()
        defer { pair.close() }
        _ = try await initialize(pair.client)
        let job = Task { try await pair.client.send(SlowRequest.self, .init(workDoneToken: .string("c"))) }
        try await waitUntil { notifications.all.count >= 2 }
        job.cancel()
        await #expect(throws: ResponseError.requestCancelled("request 2 was cancelled by the client")) {
            try await job.value
        }
        try await waitUntil { pair.server.pendingIncomingCount == 0 }
        try await waitUntil { notifications.all.last?.params?["value"]?["outcome"] == "cancelled" }
    }

    @Test("progress reports are limited to about 10 per second and end follows a successful job")
    func rateLimit() async throws {
        let (pair, notifications) = makePair()
        defer { pair.close() }
        _ = try await initialize(pair.client)
        let attempts = try await pair.client.sendRequest(method: "test/burst", params: ["workDoneToken": 9])
        #expect((attempts.intValue ?? 0) > 100)
        try await waitUntil { notifications.all.last?.params?["value"]?["kind"] == "end" }
        let kinds = notifications.all.compactMap { $0.params?["value"]?["kind"]?.stringValue }
        let reports = kinds.filter { $0 == "report" }.count
        #expect(reports >= 2 && reports <= 5, "350 ms of reports at 10/s, got \(reports)")
        #expect(kinds.first == "begin")
        #expect(kinds.last == "end")
        #expect(notifications.all.last?.params?["value"]?["outcome"] == "completed")
    }

    @Test("application errors keep their code and progress ends as failed")
    func applicationError() async throws {
        let (pair, notifications) = makePair()
        defer { pair.close() }
        _ = try await initialize(pair.client)
        do {
            _ = try await pair.client.sendRequest(method: "test/fail", params: ["code": 5, "workDoneToken": "f"])
            Issue.record("expected an error")
        } catch let error as ResponseError {
            #expect(error == ResponseError(code: 1005, message: "test failure 5", data: ["code": 5]))
        }
        try await waitUntil { notifications.all.count == 2 }
        #expect(notifications.all.last?.params?["value"] == ["kind": "end", "outcome": "failed", "message": "test failure 5"])
    }

    @Test("after shutdown requests are refused; exit closes the connection")
    func shutdownAndExit() async throws {
        let (pair, _) = makePair()
        _ = try await initialize(pair.client)
        _ = try await pair.client.send(ShutdownRequest.self, EmptyObject())
        let after = await code { _ = try await pair.client.send(EchoRequest.self, .init(text: "a", count: 1)) }
        #expect(after == -32600)
        try pair.client.notify(ExitNotification.self, EmptyObject())
        try await waitUntil { pair.server.isClosed && pair.client.isClosed }
    }

    @Test("a disconnect cancels the client's running jobs")
    func disconnectCancels() async throws {
        let (pair, notifications) = makePair()
        _ = try await initialize(pair.client)
        let job = Task { try await pair.client.send(SlowRequest.self, .init(workDoneToken: nil)) }
        try await waitUntil { pair.server.pendingIncomingCount == 1 }
        _ = notifications
        pair.close()
        try await waitUntil { pair.server.pendingIncomingCount == 0 }
        await #expect(throws: ConnectionClosedError.self) { try await job.value }
    }

    @Test("10,000 requests over one connection are all answered and buffers drain", arguments: Framing.allCases)
    func manyRequests(framing: Framing) async throws {
        let (pair, _) = makePair(framing: framing)
        defer { pair.close() }
        _ = try await initialize(pair.client)
        let answered = try await withThrowingTaskGroup(of: Bool.self) { group in
            for index in 0..<10_000 {
                group.addTask {
                    let reply = try await pair.client.send(EchoRequest.self, .init(text: "\(index)", count: 1))
                    return reply.echoed == "\(index)"
                }
            }
            var correct = 0
            for try await ok in group where ok { correct += 1 }
            return correct
        }
        #expect(answered == 10_000)
        #expect(pair.server.pendingIncomingCount == 0)
        #expect(pair.server.bufferedInputByteCount == 0)
        #expect(pair.client.bufferedInputByteCount == 0)
        try await waitUntil { pair.server.outgoing.pendingByteCount == 0 }
    }

    @Test("malformed input is answered and the connection keeps working", arguments: Framing.allCases)
    func malformedInputSurvives(framing: Framing) throws {
        let connection = Connection(framing: framing)
        connection.start(handler: makeTestServer())
        let inputs = [
            "{broken", #"[{"jsonrpc":"2.0","id":1,"method":"initialize"}]"#,
            #"{"jsonrpc":"2.0","id":1,"result":5}"#, #"{"jsonrpc":"2.0","id":2,"method":"initialize"}"#,
        ]
        for input in inputs { #expect(connection.receive(framing.frame(Array(input.utf8)))) }
        let replies = parseFramedOutput(connection.outgoing.dequeue(maxBytes: 1 << 20), framing: framing)
        #expect(replies.count == 3)
        #expect(replies[0]["error"]?["code"] == -32700)
        #expect(replies[0]["id"] == .null)
        #expect(replies[1]["error"]?["code"] == -32600)
        #expect(replies[1]["error"]?["message"]?.stringValue?.contains("batches are not supported") == true)
        #expect(replies[2]["id"] == 2)
        #expect(replies[2]["result"]?["serverInfo"]?["name"] == "test-server")
    }

    @Test("invalid request objects ({}, no method) get -32600 with their id or null; responses stay unanswered",
          arguments: Framing.allCases)
    func invalidRequestObjectsAreAnswered(framing: Framing) throws {
        let connection = Connection(framing: framing)
        connection.start(handler: makeTestServer())
        let inputs = [
            "{}", #"{"jsonrpc":"2.0","id":99}"#, #"{"jsonrpc":"2.0","id":"s"}"#, #"{"id":7}"#,
            #"{"jsonrpc":"2.0","id":5,"result":1}"#, #"{"jsonrpc":"2.0","id":6,"error":{"code":1,"message":"m"}}"#,
        ]
        for input in inputs { #expect(connection.receive(framing.frame(Array(input.utf8)))) }
        let replies = parseFramedOutput(connection.outgoing.dequeue(maxBytes: 1 << 20), framing: framing)
        #expect(replies.count == 4)
        #expect(replies.allSatisfy { $0["error"]?["code"] == -32600 && $0["jsonrpc"] == "2.0" })
        #expect(replies.map { $0["id"] } == [.null, 99, "s", 7])
    }

    @Test("an oversized message gets an error naming the limit; the next request is served")
    func oversizedMessage() throws {
        let connection = Connection(framing: .contentLength, maxMessageBytes: 100)
        connection.start(handler: makeTestServer())
        let big = #"{"jsonrpc":"2.0","id":1,"method":"x","params":{"pad":""# + String(repeating: "p", count: 200) + "\"}}"
        #expect(connection.receive(Framing.contentLength.frame(Array(big.utf8))))
        #expect(connection.receive(Framing.contentLength.frame(Array(#"{"jsonrpc":"2.0","id":2,"method":"initialize"}"#.utf8))))
        let replies = parseFramedOutput(connection.outgoing.dequeue(maxBytes: 1 << 20), framing: .contentLength)
        #expect(replies.count == 2)
        #expect(replies[0]["error"]?["code"] == -32600)
        #expect(replies[0]["error"]?["data"]?["limit"] == 100)
        #expect(replies[1]["id"] == 2)
    }
}
