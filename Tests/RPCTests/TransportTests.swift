import Foundation
import RPC
import Synchronization
import Testing
import TestSupport

#if canImport(Glibc)
import Glibc
#endif

@Suite("libuv transports", .serialized, .timeLimit(.minutes(5)))
struct TransportTests {
    /// A fresh folder under /tmp, whatever TMPDIR says: socket paths must stay under 108 bytes.
    private func socketFolder() throws -> ScratchFolder { try ScratchFolder(prefix: "cfsp-rpc", in: "/tmp") }

    private func socketOptions(_ path: String, framing: Framing = .contentLength) -> ServerRuntimeOptions {
        var options = ServerRuntimeOptions()
        options.stdio = nil
        options.socketPath = path
        options.handlesSignals = false
        options.framing = framing
        return options
    }

    private func runInBackground(_ runtime: ServerRuntime) -> Task<StopReason, Never> {
        Task.detached { runtime.waitUntilStopped() }
    }

    @Test("two socket clients are served independently; cancel affects only its own job; stop removes the socket")
    func socketClients() async throws {
        let directory = try socketFolder()
        let path = directory.file("d.sock")
        let runtime = ServerRuntime(server: makeTestServer(), options: socketOptions(path))
        try runtime.start()
        let stopped = runInBackground(runtime)
        var info = stat()
        #expect(stat(path, &info) == 0)
        #expect(info.st_mode & 0o777 == 0o600)

        let first = try StreamClient.connect(socketPath: path)
        let second = try StreamClient.connect(socketPath: path)
        let progress = Recorder<NotificationMessage>()
        first.connection.setNotificationObserver { progress.append($0) }
        _ = try await initialize(first.connection)
        let result = try await initialize(second.connection)
        #expect(result.capabilities["framing"] == "content-length")

        let job = Task { try await first.connection.send(SlowRequest.self, .init(workDoneToken: .int(77))) }
        try await waitUntil { progress.all.count >= 3 }
        let echo = try await second.connection.send(EchoRequest.self, .init(text: "ok", count: 2))
        #expect(echo.echoed == "okok")
        try first.connection.notify(CancelRequestNotification.self, CancelParams(id: .int(2)))
        do {
            _ = try await job.value
            Issue.record("the job should have been cancelled")
        } catch let error as ResponseError {
            #expect(error.code == -32800)
        }
        try await waitUntil { progress.all.last?.params?["value"]?["kind"] == "end" }
        #expect(try await first.connection.send(EchoRequest.self, .init(text: "x", count: 1)).echoed == "x")

        runtime.stop()
        #expect(await stopped.value == .requested)
        #expect(access(path, F_OK) != 0, "the socket file is removed")
        #expect(first.waitUntilServerCloses())
        first.close()
        second.close()
    }

    @Test("10,000 requests over one socket connection are all answered", arguments: Framing.allCases)
    func manyRequestsOverSocket(framing: Framing) async throws {
        let directory = try socketFolder()
        let path = directory.file("d.sock")
        let runtime = ServerRuntime(server: makeTestServer(), options: socketOptions(path, framing: framing))
        try runtime.start()
        let client = try StreamClient.connect(socketPath: path, framing: framing)
        _ = try await initialize(client.connection)
        let correct = try await withThrowingTaskGroup(of: Bool.self) { group in
            for index in 0..<10_000 {
                group.addTask {
                    try await client.connection.send(EchoRequest.self, .init(text: "\(index)", count: 2)).echoed
                        == "\(index)\(index)"
                }
            }
            var correct = 0
            for try await ok in group where ok { correct += 1 }
            return correct
        }
        #expect(correct == 10_000)
        #expect(client.connection.bufferedInputByteCount == 0)
        client.close()
        runtime.stop()
        _ = runtime.waitUntilStopped()
    }

    @Test("a client that disconnects mid-job has the job cancelled while others are served")
    func disconnectCancelsJob() async throws {
        let directory = try socketFolder()
        let path = directory.file("d.sock")
        let cancelled = Recorder<String>()
        let server = makeTestServer()
        server.register(method: "test/wait") { _, context in
            while !context.isCancelled { try? await Task.sleep(for: .milliseconds(1)) }
            cancelled.append(context.cancellation.reason)
            throw ResponseError.requestCancelled()
        }
        let runtime = ServerRuntime(server: server, options: socketOptions(path, framing: .ndjson))
        try runtime.start()
        let leaving = try StreamClient.connect(socketPath: path, framing: .ndjson)
        let staying = try StreamClient.connect(socketPath: path, framing: .ndjson)
        _ = try await initialize(leaving.connection)
        _ = try await initialize(staying.connection)
        let job = Task { try await leaving.connection.sendRequest(method: "test/wait", params: nil) }
        try await Task.sleep(for: .milliseconds(50))
        leaving.close()
        try await waitUntil { cancelled.all.count == 1 }
        #expect(cancelled.all.first == "the client disconnected")
        _ = await job.result
        #expect(try await staying.connection.send(EchoRequest.self, .init(text: "y", count: 3)).echoed == "yyy")
        try await waitUntil { runtime.connectionCount == 1 }
        _ = try await staying.connection.send(ShutdownRequest.self, EmptyObject())
        try staying.connection.notify(ExitNotification.self, EmptyObject())
        #expect(staying.waitUntilServerCloses(), "exit over a socket closes that connection")
        try await waitUntil { runtime.connectionCount == 0 }
        runtime.stop()
        _ = runtime.waitUntilStopped()
        staying.close()
    }

    @Test("SIGTERM cancels jobs, ends progress, answers, removes the socket and stops")
    func sigterm() async throws {
        let directory = try socketFolder()
        let path = directory.file("d.sock")
        var options = socketOptions(path)
        options.handlesSignals = true
        let runtime = ServerRuntime(server: makeTestServer(), options: options)
        try runtime.start()
        let stopped = runInBackground(runtime)
        let client = try StreamClient.connect(socketPath: path)
        let progress = Recorder<NotificationMessage>()
        client.connection.setNotificationObserver { progress.append($0) }
        _ = try await initialize(client.connection)
        let job = Task { try await client.connection.send(SlowRequest.self, .init(workDoneToken: .int(5))) }
        try await waitUntil { progress.all.count >= 2 }
        kill(getpid(), SIGTERM)
        do {
            _ = try await job.value
            Issue.record("the job should have been cancelled")
        } catch let error as ResponseError {
            #expect(error.code == -32800)
        }
        #expect(await stopped.value == .signal(SIGTERM))
        #expect(progress.all.last?.params?["value"]?["outcome"] == "cancelled")
        #expect(access(path, F_OK) != 0)
        client.close()
    }

    @Test("socket paths: too long, live, stale and non-socket files")
    func socketPathChecks() throws {
        let long = "/tmp/" + String(repeating: "x", count: 120)
        #expect(throws: TransportError.socketPathTooLong(path: long, bytes: long.utf8.count, limit: 107)) {
            try ServerRuntime(server: makeTestServer(), options: socketOptions(long)).start()
        }
        let directory = try socketFolder()
        let path = directory.file("live.sock")
        let live = ServerRuntime(server: makeTestServer(), options: socketOptions(path))
        try live.start()
        #expect(throws: TransportError.socketInUse(path: path)) {
            try ServerRuntime(server: makeTestServer(), options: socketOptions(path)).start()
        }
        live.stop()
        _ = live.waitUntilStopped()

        // A socket file nobody listens on (a crashed server) is replaced.
        let stalePath = directory.file("stale.sock")
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (index, byte) in stalePath.utf8.enumerated() { raw[index] = byte }
        }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        #expect(bound == 0)
        close(fd)
        let replacing = ServerRuntime(server: makeTestServer(), options: socketOptions(stalePath))
        try replacing.start()
        let client = try StreamClient.connect(socketPath: stalePath)
        client.close()
        replacing.stop()
        _ = replacing.waitUntilStopped()

        let filePath = directory.file("plain")
        #expect(FileManager.default.createFile(atPath: filePath, contents: Data("keep".utf8)))
        #expect(throws: TransportError.pathIsNotASocket(path: filePath)) {
            try ServerRuntime(server: makeTestServer(), options: socketOptions(filePath)).start()
        }
        #expect(FileManager.default.contents(atPath: filePath) == Data("keep".utf8))
        unlink(filePath)
    }

    /// A runtime serving the test server on stdio over two fresh pipes, started and waited for in
    /// the background; returns that wait (it ends with the runtime's stop reason) and our ends: the
    /// write end of its input and the read end of its output (the runtime closes its own ends).
    private func startOverPipes() throws -> (stopped: Task<StopReason, Never>, toServer: Int32, fromServer: Int32) {
        var toServer: [Int32] = [0, 0]
        var fromServer: [Int32] = [0, 0]
        #expect(pipe(&toServer) == 0)
        #expect(pipe(&fromServer) == 0)
        var options = ServerRuntimeOptions()
        options.stdio = StdioDescriptors(input: toServer[0], output: fromServer[1])
        options.handlesSignals = false
        let runtime = ServerRuntime(server: makeTestServer(), options: options)
        try runtime.start()
        return (runInBackground(runtime), toServer[1], fromServer[0])
    }

    @Test("stdio over pipes: end of input cancels the running job, ends its progress and stops the runtime")
    func stdioPipes() async throws {
        let (stopped, toServer, fromServer) = try startOverPipes()
        let client = StreamClient(readFD: fromServer, writeFD: toServer)
        let progress = Recorder<NotificationMessage>()
        client.connection.setNotificationObserver { progress.append($0) }
        _ = try await initialize(client.connection)
        #expect(try await client.connection.send(EchoRequest.self, .init(text: "p", count: 2)).echoed == "pp")
        let job = Task { try await client.connection.send(SlowRequest.self, .init(workDoneToken: .string("t"))) }
        try await waitUntil { progress.all.count >= 2 }
        client.finishWriting()
        do {
            _ = try await job.value
            Issue.record("the job should have been cancelled")
        } catch let error as ResponseError {
            #expect(error.code == -32800)
            #expect(error.message.contains("shutting down"))
        }
        #expect(await stopped.value == .inputClosed)
        #expect(progress.all.last?.params?["value"]?["kind"] == "end")
        #expect(client.waitUntilServerCloses())
        client.close()  // the runtime closed its own ends when it stopped
    }

    /// A pseudo-terminal left in its default (cooked) mode; returns (master, slave).
    private func openTerminal() -> (Int32, Int32)? {
        // The pty functions are not in the Glibc module map; look them up in libc.
        typealias IntFunction = @convention(c) (Int32) -> Int32
        typealias NameFunction = @convention(c) (Int32) -> UnsafeMutablePointer<CChar>?
        guard let openSymbol = dlsym(nil, "posix_openpt"), let grantSymbol = dlsym(nil, "grantpt"),
              let unlockSymbol = dlsym(nil, "unlockpt"), let nameSymbol = dlsym(nil, "ptsname")
        else { return nil }
        let master = unsafeBitCast(openSymbol, to: IntFunction.self)(O_RDWR | O_NOCTTY)
        guard master >= 0, unsafeBitCast(grantSymbol, to: IntFunction.self)(master) == 0,
              unsafeBitCast(unlockSymbol, to: IntFunction.self)(master) == 0,
              let name = unsafeBitCast(nameSymbol, to: NameFunction.self)(master)
        else { return nil }
        let slave = open(String(cString: name), O_RDWR | O_NOCTTY)
        guard slave >= 0 else { return nil }
        return (master, slave)
    }

    @Test("stdio on a terminal (input or output side, both framings); exit over stdio stops the runtime",
          arguments: [true, false], Framing.allCases)
    func stdioTerminal(terminalIsInput: Bool, framing: Framing) async throws {
        let terminal = try #require(openTerminal())
        var pipeFDs: [Int32] = [0, 0]
        #expect(pipe(&pipeFDs) == 0)
        var options = ServerRuntimeOptions()
        options.handlesSignals = false
        options.framing = framing
        options.stdio = terminalIsInput
            ? StdioDescriptors(input: terminal.1, output: pipeFDs[1])
            : StdioDescriptors(input: pipeFDs[0], output: terminal.1)
        let runtime = ServerRuntime(server: makeTestServer(), options: options)
        try runtime.start()
        let stopped = runInBackground(runtime)
        let client = terminalIsInput
            ? StreamClient(readFD: pipeFDs[0], writeFD: terminal.0, framing: framing)
            : StreamClient(readFD: terminal.0, writeFD: pipeFDs[1], framing: framing)
        _ = try await initialize(client.connection)
        #expect(try await client.connection.send(EchoRequest.self, .init(text: "t", count: 4)).echoed == "tttt")
        _ = try await client.connection.send(ShutdownRequest.self, EmptyObject())
        try client.connection.notify(ExitNotification.self, EmptyObject())
        #expect(await stopped.value == .exitNotification)
        client.finishWriting()
        if terminalIsInput { #expect(client.waitUntilServerCloses()) }
    }

    @Test("stdio from and to regular files answers every request")
    func stdioFiles() throws {
        let directory = try socketFolder()
        let inputPath = directory.file("in.ndjson"), outputPath = directory.file("out.ndjson")
        let requests = [
            #"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{}}"#,
            #"{"jsonrpc":"2.0","method":"initialized","params":{}}"#,
            #"{"jsonrpc":"2.0","id":2,"method":"test/echo","params":{"text":"f","count":2}}"#,
            #"not json"#,
            #"{"jsonrpc":"2.0","id":3,"method":"shutdown"}"#,
        ]
        #expect(FileManager.default.createFile(atPath: inputPath, contents: Data((requests.joined(separator: "\n") + "\n").utf8)))
        #expect(FileManager.default.createFile(atPath: outputPath, contents: nil))
        let input = open(inputPath, O_RDONLY), output = open(outputPath, O_WRONLY)
        var options = ServerRuntimeOptions()
        options.stdio = StdioDescriptors(input: input, output: output)
        options.handlesSignals = false
        options.framing = .ndjson
        let runtime = ServerRuntime(server: makeTestServer(), options: options)
        #expect(try runtime.run() == .inputClosed)
        close(input)
        close(output)
        let written = Array(FileManager.default.contents(atPath: outputPath) ?? Data())
        let replies = parseFramedOutput(written, framing: .ndjson)
        #expect(replies.count == 4)
        #expect(Set(replies.compactMap { $0["id"] }) == [1, 2, 3, .null])
        #expect(replies.first { $0["id"] == 1 }?["result"]?["capabilities"]?["framing"] == "ndjson")
        #expect(replies.contains { $0["id"] == .null && $0["error"]?["code"] == -32700 })
        unlink(inputPath)
        unlink(outputPath)
    }

    @Test("a slow reader gets coalesced progress but every response")
    func slowReaderCoalesces() async throws {
        let directory = try socketFolder()
        let path = directory.file("d.sock")
        let finished = Recorder<Int>()
        let server = Server(info: ServerInfo(name: "flood", version: "1"), progressInterval: .zero)
        let padding = JSONValue.string(String(repeating: "p", count: 2048))
        server.register(method: "test/flood") { _, context in
            let progress = context.progress(title: "flood")
            for step in 0..<5000 { progress.report(percentage: Double(step) / 50, fields: ["pad": padding]) }
            finished.append(5000)
            return .int(5000)
        }
        let runtime = ServerRuntime(server: server, options: socketOptions(path, framing: .ndjson))
        try runtime.start()
        let fd = try UnixSocketAddress(path: path).connect()
        let requests = #"{"jsonrpc":"2.0","id":1,"method":"initialize"}"# + "\n"
            + #"{"jsonrpc":"2.0","id":2,"method":"test/flood","params":{"workDoneToken":"w"}}"# + "\n"
        _ = requests.utf8CString.withUnsafeBytes { write(fd, $0.baseAddress, requests.utf8.count) }
        try await waitUntil { finished.all.count == 1 }
        try await Task.sleep(for: .milliseconds(100))
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count <= 0 { break }
            received += buffer[0..<count]
            if parseFramedOutput(received, framing: .ndjson).contains(where: { $0["id"] == 2 }) { break }
        }
        let messages = parseFramedOutput(received, framing: .ndjson)
        let values = messages.compactMap { $0["params"]?["value"] }
        let reports = values.filter { $0["kind"] == "report" }.count
        #expect(messages.contains { $0["id"] == 1 && $0["result"] != nil })
        #expect(messages.last?["id"] == 2 && messages.last?["result"] == 5000)
        #expect(values.first?["kind"] == "begin")
        #expect(values.last?["kind"] == "end")
        #expect(reports > 0 && reports < 5000, "reports were coalesced: \(reports) of 5000 written")
        close(fd)
        runtime.stop()
        _ = runtime.waitUntilStopped()
    }

    @Test("a header block that never ends on stdio is answered -32700, then the runtime stops by itself")
    func stdioFramingErrorStops() async throws {
        let (stopped, toServer, fromServer) = try startOverPipes()
        let junk = [UInt8](repeating: UInt8(ascii: "a"), count: ContentLengthFrameDecoder.maxHeaderBytes + 100)
        #expect(writeAll(junk, to: toServer))
        #expect(await stopped.value == .framingError)
        let replies = parseFramedOutput(readUntilEndOfFile(fromServer), framing: .contentLength)
        #expect(replies.count == 1)
        #expect(replies.first?["error"]?["code"] == -32700)
        #expect(replies.first?["id"] == .null)
        close(toServer)
        close(fromServer)
    }

    @Test("short socket connections leave nothing behind: every Connection is freed after its client leaves")
    func shortConnectionsAreFreed() async throws {
        let directory = try socketFolder()
        let path = directory.file("d.sock")
        let seen = WeakConnections()
        let server = makeTestServer()
        server.register(method: "test/whoami") { _, context in
            seen.append(context.request.connection)
            return .int(context.request.connection.identifier)
        }
        let runtime = ServerRuntime(server: server, options: socketOptions(path, framing: .ndjson))
        try runtime.start()
        for round in 0..<200 {
            let client = try StreamClient.connect(socketPath: path, framing: .ndjson)
            if round % 2 == 0 { _ = try await initialize(client.connection) }
            else { _ = try await client.connection.send(InitializeRequest.self, InitializeParams()) }
            _ = try await client.connection.sendRequest(method: "test/whoami", params: nil)
            if round % 4 == 1 {
                _ = try await client.connection.send(ShutdownRequest.self, EmptyObject())
                try client.connection.notify(ExitNotification.self, EmptyObject())
                #expect(client.waitUntilServerCloses())
            }
            client.close()
        }
        #expect(seen.count == 200)
        try await waitUntil(timeout: .seconds(30)) { runtime.connectionCount == 0 }
        try await waitUntil("\(seen.alive) of 200 connections still alive", timeout: .seconds(30)) { seen.alive == 0 }
        runtime.stop()
        _ = runtime.waitUntilStopped()
    }

    @Test("backpressure: a client that writes without reading holds bounded server memory, others are served, then it gets every answer")
    func backpressureBoundsUnreadOutput() async throws {
        let directory = try socketFolder()
        let path = directory.file("d.sock")
        let runtime = ServerRuntime(server: makeTestServer(), options: socketOptions(path, framing: .ndjson))
        try runtime.start()
        let fd = try UnixSocketAddress(path: path).connect()
        // 20,000 answers of about 1 KiB: 20 MB if the server read everything regardless. The
        // blocking writes and reads run on their own threads, not on the tasks' shared pool.
        let total = 20_000
        let writerDone = DispatchSemaphore(value: 0)
        let wroteAll = Atomic<Bool>(false)
        Thread {
            var text = #"{"jsonrpc":"2.0","id":0,"method":"initialize"}"# + "\n"
            var failed = false
            for id in 1...total where !failed {
                text += #"{"jsonrpc":"2.0","id":\#(id),"method":"test/echo","params":{"text":"0123456789","count":100}}"#
                text += "\n"
                guard text.utf8.count > 32 << 10 || id == total else { continue }
                let bytes = Array(text.utf8)
                text = ""
                var offset = 0
                while offset < bytes.count {
                    let written = bytes[offset...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
                    if written < 0 && errno == EINTR { continue }
                    if written <= 0 { failed = true; break }
                    offset += written
                }
            }
            wroteAll.store(!failed, ordering: .releasing)
            writerDone.signal()
        }.start()
        try await waitUntil(timeout: .seconds(60)) { runtime.readPausedConnectionCount == 1 }
        var largest = 0
        for _ in 0..<40 {
            largest = max(largest, runtime.queuedOutputBytes)
            try await Task.sleep(for: .milliseconds(25))
        }
        #expect(largest > 0)
        #expect(largest < 4 << 20, "unread output held by the server: \(largest) bytes")
        #expect(runtime.readPausedConnectionCount == 1)
        let wroteEarly = wroteAll.load(ordering: .acquiring)
        #expect(!wroteEarly, "the writer is held back by the paused server")

        // Another client is served meanwhile.
        let other = try StreamClient.connect(socketPath: path, framing: .ndjson)
        _ = try await initialize(other.connection)
        #expect(try await other.connection.send(EchoRequest.self, .init(text: "o", count: 2)).echoed == "oo")
        other.close()

        // Now read: every answer arrives, once.
        let answered = Mutex(Set<Int>())
        let readerDone = DispatchSemaphore(value: 0)
        Thread {
            var pending: [UInt8] = []
            var buffer = [UInt8](repeating: 0, count: 1 << 16)
            while answered.withLock({ $0.count }) < total + 1 {
                let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
                if count < 0 && errno == EINTR { continue }
                if count <= 0 { break }
                pending += buffer[0..<count]
                guard let last = pending.lastIndex(of: 10) else { continue }
                let ids = parseFramedOutput(Array(pending[...last]), framing: .ndjson).compactMap { message in
                    message["result"] != nil ? message["id"]?.intValue : nil
                }
                answered.withLock { $0.formUnion(ids) }
                pending.removeSubrange(...last)
            }
            readerDone.signal()
        }.start()
        try await waitUntil(timeout: .seconds(120)) { readerDone.wait(timeout: .now()) == .success }
        #expect(answered.withLock { $0.count } == total + 1)
        try await waitUntil(timeout: .seconds(30)) { writerDone.wait(timeout: .now()) == .success }
        let wroteEverything = wroteAll.load(ordering: .acquiring)
        #expect(wroteEverything)
        close(fd)
        try await waitUntil(timeout: .seconds(30)) { runtime.connectionCount == 0 && runtime.queuedOutputBytes == 0 }
        runtime.stop()
        _ = runtime.waitUntilStopped()
    }

    @Test("a socket path of 107 bytes binds at exactly that path; 108 bytes is refused with a clear error")
    func socketPathAtTheLimit() throws {
        let directory = try socketFolder()
        let prefix = directory.path + "/"
        let longest = prefix + String(repeating: "s", count: 107 - prefix.utf8.count)
        let tooLong = longest + "t"
        #expect(longest.utf8.count == 107)
        #expect(throws: TransportError.socketPathTooLong(path: tooLong, bytes: 108, limit: 107)) {
            try ServerRuntime(server: makeTestServer(), options: socketOptions(tooLong)).start()
        }
        #expect(TransportError.socketPathTooLong(path: tooLong, bytes: 108, limit: 107).description
            .contains("at most 107 bytes"))
        let runtime = ServerRuntime(server: makeTestServer(), options: socketOptions(longest))
        try runtime.start()
        var info = stat()
        #expect(lstat(longest, &info) == 0 && (info.st_mode & S_IFMT) == S_IFSOCK)
        let client = try StreamClient.connect(socketPath: longest)
        client.close()
        runtime.stop()
        _ = runtime.waitUntilStopped()
        #expect(access(longest, F_OK) != 0)
    }

    @Test("stopping a server whose socket file was replaced by another server's leaves the other's socket")
    func replacedSocketIsNotUnlinked() async throws {
        let directory = try socketFolder()
        let path = directory.file("d.sock")
        let first = ServerRuntime(server: makeTestServer(), options: socketOptions(path))
        try first.start()
        #expect(unlink(path) == 0)
        let second = ServerRuntime(server: makeTestServer(), options: socketOptions(path))
        try second.start()
        first.stop()
        _ = first.waitUntilStopped()
        #expect(access(path, F_OK) == 0, "the second server's socket is still there")
        let client = try StreamClient.connect(socketPath: path)
        #expect(try await initialize(client.connection).serverInfo.name == "test-server")
        client.close()
        second.stop()
        _ = second.waitUntilStopped()
        #expect(access(path, F_OK) != 0, "the second server removes its own socket")
    }
}

/// Weak references to connections a test saw, to check that they are freed.
final class WeakConnections: Sendable {
    private final class Box: @unchecked Sendable {
        weak var connection: Connection?
        init(_ connection: Connection) { self.connection = connection }
    }
    private let boxes = Mutex<[Box]>([])
    func append(_ connection: Connection) { boxes.withLock { $0.append(Box(connection)) } }
    var count: Int { boxes.withLock { $0.count } }
    var alive: Int { boxes.withLock { $0.filter { $0.connection != nil }.count } }
}
