import CFSPProtocol
import Core
import Daemon
import Foundation
import RPC
import Testing
import TestSupport

/// The real `cfspd` binary: a whole session over pipes that provokes every error code and is
/// validated against protocol.schema.json, cancellation mid-calibration, end of input and SIGTERM,
/// and two concurrent clients on the socket.
@Suite("cfspd binary over pipes and a socket", .timeLimit(.minutes(5)))
struct DaemonBinaryTests {
    private func executable() throws -> String {
        try #require(cfspdExecutable(), "build cfspd first (swift build -c release) so the test can run it")
    }

    @Test("a full session over pipes: every method, every error code, schema-valid traffic, exit 0 on 'exit'")
    func fullSession() async throws {
        let folder = try ScratchFolder()
        let model = try writeTinyModel(in: folder)
        var random = TestRandom(seed: 31)
        let text = random.text(words: 300)
        let daemon = try CfspdProcess(executable: try executable())

        func code(_ id: Int) async -> Int? { await daemon.response(id)?["error"]?["code"]?.intValue }
        func result(_ id: Int) async -> JSONValue? { await daemon.response(id)?["result"] }

        #expect(await code(daemon.request("model/list")) == -32002, "requests before initialize")
        let initialize = await result(daemon.request("initialize", ["clientInfo": ["name": "binary-tests"]]))
        #expect(initialize?["serverInfo"]?["name"] == "cfspd")
        daemon.notify("initialized")

        daemon.sendRaw("{\"jsonrpc\":\"2.0\",\"id\":", valid: false)
        try await waitUntil("a -32700 reply to invalid JSON") { daemon.messages.contains { $0["error"]?["code"] == -32700 } }
        daemon.sendRaw("[{\"jsonrpc\":\"2.0\",\"id\":99,\"method\":\"model/list\"}]", valid: false)
        try await waitUntil("a -32600 reply refusing the batch") {
            daemon.messages.contains { $0["error"]?["code"] == -32600 && ($0["error"]?["message"]?.stringValue ?? "").contains("atch") }
        }
        #expect(await code(daemon.request("model/teleport")) == -32601)
        #expect(await code(daemon.request("model/load", ["path": 3], valid: false)) == -32602)
        #expect(await code(daemon.request("score", ["model": "m1", "calibration": "c1", "sparsity": 0.2, "method": "psychic"], valid: false)) == -32602)
        #expect(await code(daemon.request("evaluate", ["model": "m1", "text": "a", "tokens": [1]], valid: false)) == -32602)

        let load = await result(daemon.request("model/load", ["path": .string(model)]))
        #expect(load?["model"] == "m1")
        #expect(await code(daemon.request("model/describe", ["model": "m7"])) == 1001)
        #expect(await code(daemon.request("score", ["model": "m1", "calibration": "c9", "sparsity": 0.2])) == 1002)
        #expect(await code(daemon.request("model/load", ["path": .string(folder.file("absent.gguf"))])) == 1004)
        #expect(await code(daemon.request("calibrate", ["model": "m1", "text": "the", "windowSize": 64])) == 1005)
        #expect(await code(daemon.request("calibrate", ["model": "m1", "tokens": [1, 2, 99999], "windowSize": 2])) == 1006)

        let calibrate = daemon.request("calibrate", ["model": "m1", "text": .string(text), "count": 8, "windowSize": 16,
                                                     "seed": 4, "workDoneToken": "cal"])
        let calibration = await result(calibrate)
        #expect(calibration?["calibration"] == "c1")
        #expect(daemon.progress("cal").first?["kind"] == "begin")
        #expect(daemon.progress("cal").last?["outcome"] == "completed")
        #expect(await code(daemon.request("score", ["model": "m1", "calibration": "c1", "sparsity": 1.5], valid: false)) == -32602)
        #expect(await result(daemon.request("score", ["model": "m1", "calibration": "c1", "sparsity": 0.25, "blockMetric": "cosine"]))?["blocks"] != nil)
        let prune = await result(daemon.request("prune", ["model": "m1", "calibration": "c1", "sparsity": 0.25, "method": "wanda-sp"]))
        #expect(prune?["pruned"] == "m2")
        let evaluate = await result(daemon.request("evaluate", ["model": "m2", "text": .string(text), "windowSize": 16, "maxWindows": 3, "workDoneToken": 5]))
        #expect(evaluate?["windows"] == 3)
        let gguf = folder.file("pruned.gguf")
        #expect(await result(daemon.request("export", ["model": "m2", "format": "gguf", "path": .string(gguf)]))?["hasTokenizer"] == true)
        #expect(await code(daemon.request("export", ["model": "m2", "format": "gguf", "path": .string(gguf)])) == 1007)
        let hf = folder.file("pruned-hf")
        #expect(await result(daemon.request("export", ["model": "m2", "format": "hf", "path": .string(hf), "precision": "bf16"]))?["format"] == "hf")
        // Without its tokenizer files the folder loads with no tokenizer: text is refused with 1008.
        for name in ["tokenizer.json", "tokenizer_config.json"] { try? FileManager.default.removeItem(atPath: hf + "/" + name) }
        #expect(await result(daemon.request("model/load", ["path": .string(hf)]))?["hasTokenizer"] == false)
        #expect(await code(daemon.request("evaluate", ["model": "m3", "text": "the other", "windowSize": 4])) == 1008)
        #expect(await result(daemon.request("calibration/save", ["calibration": "c1", "path": .string(folder.file("c1.json"))]))?["bytes"] != nil)
        #expect(await result(daemon.request("calibration/load", ["path": .string(folder.file("c1.json")), "model": "m1"]))?["calibration"] == "c2")
        #expect(await result(daemon.request("calibration/release", ["calibration": "c2"]))?["released"] == true)
        #expect(await result(daemon.request("model/list"))?["models"]?.arrayCount == 3)

        // Cancellation in the middle of a calibration: -32800, progress ends, the daemon still serves.
        let long = daemon.request("calibrate", ["model": "m1", "text": .string(text), "count": 300_000, "windowSize": 16,
                                                "workDoneToken": "long"])
        try await waitUntil { daemon.progress("long").contains { $0["kind"] == "report" } }
        #expect(await code(daemon.request("model/unload", ["model": "m1"])) == 1003)
        daemon.notify("$/cancelRequest", ["id": .int(long)])
        #expect(await code(long) == -32800)
        #expect(daemon.progress("long").last?["outcome"] == "cancelled")
        #expect(await result(daemon.request("model/unload", ["model": "m1"]))?["unloaded"] == true)

        #expect(await result(daemon.request("shutdown", nil)) == .null)
        #expect(await code(daemon.request("model/list")) == -32600, "requests after shutdown")
        daemon.notify("exit")
        #expect(daemon.waitForExit() == 0)

        let received = daemon.messages
        #expect(received.count == daemon.received.all.count, "stdout carries only protocol messages")
        let codes = Set(received.compactMap { $0["error"]?["code"]?.intValue })
        #expect(codes.isSuperset(of: [-32700, -32600, -32601, -32602, -32002, -32800, 1001, 1002, 1003, 1004, 1005, 1006, 1007, 1008]))
        let sent = daemon.sent.all.filter(\.valid).compactMap { try? JSONValue(parsing: Array($0.text.utf8)) }
        let report = try SchemaValidation.validate(sent: sent, received: received, scratch: folder)
        #expect(report.problems.isEmpty, "\(report.problems.prefix(5))")
        #expect(report.results >= 15)
    }

    @Test("a Content-Length header block that never ends is answered -32700 and the daemon exits non-zero")
    func framingErrorExits() throws {
        let daemon = try ChildProcess(
            executable: try executable(), arguments: ["--framing", "content-length", "--log-level", "critical", "--threads", "1"])
        defer { daemon.closeInput() }
        // Never a blank line: more header bytes than the decoder accepts.
        daemon.write([UInt8](repeating: UInt8(ascii: "a"), count: 16 << 10))
        #expect(String(decoding: daemon.readOutputToEnd(), as: UTF8.self).contains("-32700"))
        let status = daemon.waitForExit(timeout: .seconds(30))
        #expect(status != nil, "the daemon exits by itself (stdin is still open)")
        if let status { #expect(status != 0) }
    }

    @Test("end of input on stdin cancels the running job, ends its progress and exits 0")
    func endOfInput() async throws {
        let folder = try ScratchFolder()
        let model = try writeTinyModel(in: folder)
        let daemon = try CfspdProcess(executable: try executable())
        _ = await daemon.response(daemon.request("initialize"))
        _ = await daemon.response(daemon.request("model/load", ["path": .string(model)]))
        var random = TestRandom(seed: 3)
        let long = daemon.request("calibrate", ["model": "m1", "text": .string(random.text(words: 200)), "count": 300_000,
                                                "windowSize": 16, "workDoneToken": "t"])
        try await waitUntil { daemon.progress("t").count >= 2 }
        daemon.closeInput()
        #expect(daemon.waitForExit() == 0)
        #expect(await daemon.response(long, seconds: 2)?["error"]?["code"] == -32800)
        #expect(daemon.progress("t").last?["outcome"] == "cancelled")
    }

    @Test("two concurrent socket clients: separate progress and cancellation; SIGTERM exits 0 and removes the socket")
    func socketClients() async throws {
        let folder = try ScratchFolder()
        let model = try writeTinyModel(in: folder)
        let socket = folder.file("d.sock")
        let daemon = try CfspdProcess(executable: try executable(), arguments: ["--socket", socket])
        _ = await daemon.response(daemon.request("initialize"))
        try await waitUntil { access(socket, F_OK) == 0 }
        var status = stat()
        #expect(stat(socket, &status) == 0 && status.st_mode & 0o777 == 0o600)

        let first = try StreamClient.connect(socketPath: socket, framing: .ndjson)
        let second = try StreamClient.connect(socketPath: socket, framing: .ndjson)
        defer { first.close(); second.close() }
        let firstProgress = Recorder<NotificationMessage>()
        let secondProgress = Recorder<NotificationMessage>()
        first.connection.setNotificationObserver { firstProgress.append($0) }
        second.connection.setNotificationObserver { secondProgress.append($0) }
        for client in [first, second] {
            _ = try await client.connection.send(InitializeRequest.self, InitializeParams())
        }
        let loaded = try await first.connection.send(LoadModelRequest.self, .init(path: model))
        #expect(try await second.connection.send(ListModelsRequest.self, EmptyObject()).models.map(\.model) == [loaded.model],
                "handles are shared between clients")

        var random = TestRandom(seed: 4)
        let text = random.text(words: 300)
        let firstConnection = first.connection
        let endless = Task {
            try await firstConnection.sendRequest(method: "calibrate", params: [
                "model": .string(loaded.model), "text": .string(text), "count": 300_000, "windowSize": 16, "workDoneToken": "a"])
        }
        let secondConnection = second.connection
        let finite = Task {
            try await secondConnection.sendRequest(method: "calibrate", params: [
                "model": .string(loaded.model), "text": .string(text), "count": 20, "windowSize": 16, "workDoneToken": "b"])
        }
        let finished = try await finite.value
        #expect(finished["windows"] == 20)
        #expect(secondProgress.all.allSatisfy { $0.params?["token"] == "b" })
        try await waitUntil { firstProgress.all.contains { $0.params?["value"]?["kind"] == "report" } }
        #expect(firstProgress.all.allSatisfy { $0.params?["token"] == "a" })
        endless.cancel()
        let cancelled = await responseError { _ = try await endless.value }
        #expect(cancelled?.code == -32800, "\(String(describing: cancelled))")

        daemon.signal(SIGTERM)
        #expect(daemon.waitForExit() == 0)
        #expect(access(socket, F_OK) != 0, "the socket file is removed")
    }
}

extension JSONValue {
    var arrayCount: Int? {
        if case .array(let items) = self { return items.count }
        return nil
    }
}

/// `cfspd` in its default framing (Content-Length, as LSP) over stdio pipes, driven by the
/// typed `StreamClient` a CLI uses.
@Suite("cfspd binary with Content-Length framing", .timeLimit(.minutes(5)))
struct DaemonContentLengthTests {
    @Test("typed requests over Content-Length pipes; closing stdin exits 0")
    func contentLengthPipes() async throws {
        let executable = try #require(cfspdExecutable(), "build cfspd first (swift build -c release)")
        let folder = try ScratchFolder()
        let model = try writeTinyModel(in: folder, format: .huggingFace)
        let daemon = try ChildProcess(executable: executable, arguments: ["--log-level", "error", "--threads", "1"])
        let client = StreamClient(readFD: daemon.output, writeFD: daemon.input)  // the client closes both
        defer { client.close() }

        let initialized = try await client.connection.send(InitializeRequest.self, InitializeParams())
        #expect(initialized.capabilities["framing"] == "content-length")
        let loaded = try await client.connection.send(LoadModelRequest.self, .init(path: model))
        #expect(loaded.format == .huggingFace)
        #expect(loaded.hasTokenizer)
        var random = TestRandom(seed: 12)
        let result = try await client.connection.send(
            EvaluateRequest.self, .init(model: loaded.model, input: TextInput(text: random.text(words: 120)), windowSize: 16))
        #expect(result.perplexity.isFinite && result.perplexity > 1)
        client.finishWriting()
        #expect(client.waitUntilServerCloses(timeout: .seconds(20)))
        #expect(daemon.waitForExit() == 0)
    }
}
