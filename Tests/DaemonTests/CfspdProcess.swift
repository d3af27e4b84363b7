import Foundation
import RPC
import Synchronization

/// The real `cfspd` binary as a child process, spoken to in raw NDJSON over its stdio pipes so a
/// test can send malformed bytes and record every message in both directions.
final class CfspdProcess: Sendable {
    private let process: Process
    private let input: Int32
    /// Every line the daemon wrote to stdout, in order.
    let received = Observed<String>()
    /// Every message the test sent (with whether the test meant it to be valid).
    let sent = Observed<(text: String, valid: Bool)>()
    private let nextID = Mutex(1)

    /// Starts `cfspd` with `arguments` (NDJSON framing is added).
    init(executable: String, arguments: [String] = []) throws {
        var toChild: [Int32] = [0, 0]
        var fromChild: [Int32] = [0, 0]
        guard pipe(&toChild) == 0, pipe(&fromChild) == 0 else { throw CocoaError(.fileWriteUnknown) }
        for fd in [toChild[1], fromChild[0]] { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = ["--framing", "ndjson", "--log-level", "warning", "--threads", "2"] + arguments
        // The child ends are closed right after launch; a handle that closed them again when the Process
        // is freed would close whatever descriptor reuses the number by then (another test's pipe).
        process.standardInput = FileHandle(fileDescriptor: toChild[0], closeOnDealloc: false)
        process.standardOutput = FileHandle(fileDescriptor: fromChild[1], closeOnDealloc: false)
        try process.run()
        close(toChild[0])
        close(fromChild[1])
        self.process = process
        input = toChild[1]
        let received = self.received
        let output = fromChild[0]
        let reader = Thread {
            var pending: [UInt8] = []
            var buffer = [UInt8](repeating: 0, count: 1 << 16)
            while true {
                let count = buffer.withUnsafeMutableBytes { read(output, $0.baseAddress, $0.count) }
                if count < 0 && errno == EINTR { continue }
                if count <= 0 { break }
                pending.append(contentsOf: buffer[0..<count])
                while let newline = pending.firstIndex(of: 10) {
                    received.append(String(decoding: pending[..<newline], as: UTF8.self))
                    pending.removeSubrange(...newline)
                }
            }
            close(output)
        }
        reader.start()
    }

    var processIdentifier: Int32 { process.processIdentifier }

    /// Writes raw bytes (one line is added) to the daemon's stdin.
    func sendRaw(_ line: String, valid: Bool) {
        sent.append((line, valid))
        let bytes = Array((line + "\n").utf8)
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes { write(input, $0.baseAddress, $0.count) }
            if written <= 0 { return }
            offset += written
        }
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

    /// Waits for the response to `id`.
    func response(_ id: Int, seconds: Double = 120) async -> JSONValue? {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if let found = messages.first(where: { $0["id"] == .int(id) }) { return found }
            try? await Task.sleep(for: .milliseconds(5))
        }
        return nil
    }

    /// The `$/progress` values received for `token`.
    func progress(_ token: JSONValue) -> [JSONValue] {
        messages.filter { $0["method"] == "$/progress" && $0["params"]?["token"] == token }.compactMap { $0["params"]?["value"] }
    }

    /// Closes stdin (end of input).
    func closeInput() { close(input) }

    func signal(_ number: Int32) { kill(process.processIdentifier, number) }

    /// Waits for the process to exit and returns its status (nil on timeout: then it is killed).
    func waitForExit(seconds: Double = 90) -> Int32? {
        let deadline = Date().addingTimeInterval(seconds)
        while process.isRunning && Date() < deadline { usleep(10_000) }
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            return nil
        }
        return process.terminationStatus
    }
}
