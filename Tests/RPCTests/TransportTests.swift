import Foundation
import RPC
import Testing

#if canImport(Glibc)
import Glibc
#endif

@Suite("libuv transports", .serialized, .timeLimit(.minutes(5)))
struct TransportTests {
    /// A fresh short temporary directory (socket paths must stay under 108 bytes).
    private func temporaryDirectory() -> String {
        let path = "/tmp/cfsp-rpc-\(UUID().uuidString.prefix(8))"
        mkdir(path, 0o700)
        return path
    }

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
        let directory = temporaryDirectory()
        let path = directory + "/d.sock"
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
        #expect(await eventually { progress.all.count >= 3 })
        let echo = try await second.connection.send(EchoRequest.self, .init(text: "ok", count: 2))
        #expect(echo.echoed == "okok")
        try first.connection.notify(CancelRequestNotification.self, CancelParams(id: .int(2)))
        do {
            _ = try await job.value
            Issue.record("the job should have been cancelled")
        } catch let error as ResponseError {
            #expect(error.code == -32800)
        }
        #expect(await eventually { progress.all.last?.params?["value"]?["kind"] == "end" })
        #expect(try await first.connection.send(EchoRequest.self, .init(text: "x", count: 1)).echoed == "x")

        runtime.stop()
        #expect(await stopped.value == .requested)
        #expect(access(path, F_OK) != 0, "the socket file is removed")
        #expect(first.waitUntilServerCloses())
        first.close()
        second.close()
        rmdir(directory)
    }

    @Test("10,000 requests over one socket connection are all answered", arguments: Framing.allCases)
    func manyRequestsOverSocket(framing: Framing) async throws {
        let directory = temporaryDirectory()
        let path = directory + "/d.sock"
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
        rmdir(directory)
    }

    @Test("a client that disconnects mid-job has the job cancelled while others are served")
    func disconnectCancelsJob() async throws {
        let directory = temporaryDirectory()
        let path = directory + "/d.sock"
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
        #expect(await eventually { cancelled.all.count == 1 })
        #expect(cancelled.all.first == "the client disconnected")
        _ = await job.result
        #expect(try await staying.connection.send(EchoRequest.self, .init(text: "y", count: 3)).echoed == "yyy")
        #expect(await eventually { runtime.connectionCount == 1 })
        _ = try await staying.connection.send(ShutdownRequest.self, EmptyObject())
        try staying.connection.notify(ExitNotification.self, EmptyObject())
        #expect(staying.waitUntilServerCloses(), "exit over a socket closes that connection")
        #expect(await eventually { runtime.connectionCount == 0 })
        runtime.stop()
        _ = runtime.waitUntilStopped()
        staying.close()
        rmdir(directory)
    }

    @Test("SIGTERM cancels jobs, ends progress, answers, removes the socket and stops")
    func sigterm() async throws {
        let directory = temporaryDirectory()
        let path = directory + "/d.sock"
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
        #expect(await eventually { progress.all.count >= 2 })
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
        rmdir(directory)
    }

    @Test("socket paths: too long, live, stale and non-socket files")
    func socketPathChecks() throws {
        let long = "/tmp/" + String(repeating: "x", count: 120)
        #expect(throws: TransportError.socketPathTooLong(path: long, bytes: long.utf8.count, limit: 107)) {
            try ServerRuntime(server: makeTestServer(), options: socketOptions(long)).start()
        }
        let directory = temporaryDirectory()
        let path = directory + "/live.sock"
        let live = ServerRuntime(server: makeTestServer(), options: socketOptions(path))
        try live.start()
        #expect(throws: TransportError.socketInUse(path: path)) {
            try ServerRuntime(server: makeTestServer(), options: socketOptions(path)).start()
        }
        live.stop()
        _ = live.waitUntilStopped()

        // A socket file nobody listens on (a crashed server) is replaced.
        let stalePath = directory + "/stale.sock"
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

        let filePath = directory + "/plain"
        #expect(FileManager.default.createFile(atPath: filePath, contents: Data("keep".utf8)))
        #expect(throws: TransportError.pathIsNotASocket(path: filePath)) {
            try ServerRuntime(server: makeTestServer(), options: socketOptions(filePath)).start()
        }
        #expect(FileManager.default.contents(atPath: filePath) == Data("keep".utf8))
        unlink(filePath)
        rmdir(directory)
    }

    @Test("stdio over pipes: end of input cancels the running job, ends its progress and stops the runtime")
    func stdioPipes() async throws {
        var toServer: [Int32] = [0, 0]
        var fromServer: [Int32] = [0, 0]
        #expect(pipe(&toServer) == 0)
        #expect(pipe(&fromServer) == 0)
        var options = ServerRuntimeOptions()
        options.stdio = StdioDescriptors(input: toServer[0], output: fromServer[1])
        options.handlesSignals = false
        let runtime = ServerRuntime(server: makeTestServer(), options: options)
        try runtime.start()
        let stopped = runInBackground(runtime)
        let client = StreamClient(readFD: fromServer[0], writeFD: toServer[1])
        let progress = Recorder<NotificationMessage>()
        client.connection.setNotificationObserver { progress.append($0) }
        _ = try await initialize(client.connection)
        #expect(try await client.connection.send(EchoRequest.self, .init(text: "p", count: 2)).echoed == "pp")
        let job = Task { try await client.connection.send(SlowRequest.self, .init(workDoneToken: .string("t"))) }
        #expect(await eventually { progress.all.count >= 2 })
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
        let directory = temporaryDirectory()
        let inputPath = directory + "/in.ndjson", outputPath = directory + "/out.ndjson"
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
        rmdir(directory)
    }

    @Test("a slow reader gets coalesced progress but every response")
    func slowReaderCoalesces() async throws {
        let directory = temporaryDirectory()
        let path = directory + "/d.sock"
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
        #expect(await eventually { finished.all.count == 1 })
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
        rmdir(directory)
    }
}
