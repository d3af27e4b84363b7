import Foundation
import RPC
import Synchronization
import TestSupport

/// The real `cfspd` binary as a child process, spoken to in raw NDJSON over its stdio pipes so a
/// test can send malformed bytes and record every message in both directions.
final class CfspdProcess: Sendable {
    private let child: ChildProcess
    /// Every line the daemon wrote to stdout, in order.
    let received = Recorder<String>()
    /// Every message the test sent (with whether the test meant it to be valid).
    let sent = Recorder<(text: String, valid: Bool)>()
    private let nextID = Mutex(1)

    /// Starts `cfspd` with `arguments` (NDJSON framing is added) and a thread that records its output.
    init(executable: String, arguments: [String] = []) throws {
        let child = try ChildProcess(
            executable: executable,
            arguments: ["--framing", "ndjson", "--log-level", "warning", "--threads", "2"] + arguments)
        self.child = child
        let received = self.received
        let reader = Thread {
            var pending: [UInt8] = []
            child.readOutput { chunk in
                pending.append(contentsOf: chunk)
                while let newline = pending.firstIndex(of: 10) {
                    received.append(String(decoding: pending[..<newline], as: UTF8.self))
                    pending.removeSubrange(...newline)
                }
            }
        }
        reader.start()
    }

    /// Our end of its stdin is ours alone: close it with the harness (the reader closes stdout).
    deinit { child.closeInput() }

    /// Writes raw bytes (one line is added) to the daemon's stdin.
    func sendRaw(_ line: String, valid: Bool) {
        sent.append((line, valid))
        child.write(Array((line + "\n").utf8))
    }

    /// Sends a request and returns its id.
    @discardableResult
    func request(_ method: String, _ params: JSONValue? = .object([:]), valid: Bool = true) -> Int {
        let id = nextID.withLock { id in
            defer { id += 1 }
            return id
        }
        var message: [String: JSONValue] = ["jsonrpc": "2.0", "id": .int(id), "method": .string(method)]
        if let params { message["params"] = params }
        sendRaw(String(decoding: JSONValue.object(message).serialized(), as: UTF8.self), valid: valid)
        return id
    }

    /// Sends a notification.
    func notify(_ method: String, _ params: JSONValue = .object([:])) {
        let message: JSONValue = ["jsonrpc": "2.0", "method": .string(method), "params": params]
        sendRaw(String(decoding: message.serialized(), as: UTF8.self), valid: true)
    }

    /// Every parsed message received so far.
    var messages: [JSONValue] { received.all.compactMap { try? JSONValue(parsing: Array($0.utf8)) } }

    /// Waits for the response to `id` (nil if none comes within `seconds`).
    func response(_ id: Int, seconds: Int = 120) async -> JSONValue? {
        await poll(timeout: .seconds(seconds)) { messages.first { $0["id"] == .int(id) } }
    }

    /// The `$/progress` values received for `token`.
    func progress(_ token: JSONValue) -> [JSONValue] {
        messages.filter { $0["method"] == "$/progress" && $0["params"]?["token"] == token }.compactMap { $0["params"]?["value"] }
    }

    /// Closes stdin (end of input).
    func closeInput() { child.closeInput() }

    func signal(_ number: Int32) { child.signal(number) }

    /// Waits for the process to exit and returns its status (nil on timeout: then it is killed).
    func waitForExit(seconds: Int = 90) -> Int32? { child.waitForExit(timeout: .seconds(seconds)) }
}
