import Core
import Daemon
import Foundation
import Kernels
import RPC
import Synchronization

/// Seeded SplitMix64 for reproducible test inputs.
struct DaemonTestRandom {
    private var state: UInt64
    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    mutating func int(below bound: Int) -> Int { Int(next() % UInt64(bound)) }

    /// English-like text built from words that exercise the test tokenizer's merges.
    mutating func text(words: Int) -> String {
        let vocabulary = ["the", "then", "in", "an", "other", "inner", "banter", "thin", "fox", "dog", "there",
                          "water", "tea", "rant", "hint", "é", "42"]
        return (0..<words).map { _ in vocabulary[int(below: vocabulary.count)] }.joined(separator: " ")
    }
}

/// Thread-safe list of what a test observed.
final class Observed<Element: Sendable>: Sendable {
    private let items = Mutex<[Element]>([])
    func append(_ item: Element) { items.withLock { $0.append(item) } }
    var all: [Element] { items.withLock { $0 } }
}

/// Polls `condition` until it holds or about `seconds` pass.
func waitUntil(seconds: Double = 120, _ condition: () -> Bool) async -> Bool {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
        if condition() { return true }
        try? await Task.sleep(for: .milliseconds(5))
    }
    return condition()
}

/// A fresh temporary folder, removed by `remove()`.
struct ScratchFolder {
    let path: String

    init() throws {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("cfspd-tests-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    func file(_ name: String) -> String { path + "/" + name }

    func remove() { try? FileManager.default.removeItem(atPath: path) }
}

/// The error code a call failed with (nil when it succeeded, -1 for a non-protocol error).
func errorCode(_ body: () async throws -> Void) async -> Int? {
    do {
        try await body()
        return nil
    } catch let error as ResponseError {
        return error.code
    } catch {
        return -1
    }
}

/// The response error a call failed with.
func responseError(_ body: () async throws -> Void) async -> ResponseError? {
    do {
        try await body()
        return nil
    } catch let error as ResponseError {
        return error
    } catch {
        return ResponseError(code: -1, message: "\(error)")
    }
}

/// The daemon's service on one end of an in-process connection pair, initialized.
struct InProcessDaemon {
    let pair: LocalConnectionPair
    let notifications = Observed<NotificationMessage>()
    var client: Connection { pair.client }

    init(threads: Int = 2, framing: Framing = .ndjson) async throws {
        pair = LocalConnectionPair(framing: framing)
        pair.server.start(handler: DaemonService(pool: ThreadPool(threads: threads)).makeServer())
        let notifications = self.notifications
        pair.client.setNotificationObserver { notifications.append($0) }
        _ = try await pair.client.send(InitializeRequest.self, InitializeParams(clientInfo: .init(name: "daemon-tests")))
        try pair.client.notify(InitializedNotification.self, EmptyObject())
    }

    /// The `$/progress` values sent for `token`, in order.
    func progress(_ token: JSONValue) -> [JSONValue] {
        notifications.all.filter { $0.method == "$/progress" && $0.params?["token"] == token }
            .compactMap { $0.params?["value"] }
    }

    func close() { pair.close() }
}

/// Writes the tiny test model into `folder` and returns its path.
func writeTinyModel(in folder: ScratchFolder, format: ModelFormat = .gguf, seed: UInt64 = 7) throws -> String {
    let path = folder.file(format == .gguf ? "tiny.gguf" : "tiny-hf")
    try TestModelFile.write(to: path, format: format, seed: seed)
    return path
}

/// The `cfspd` executable built beside the test bundle (`swift build` puts products there).
func cfspdExecutable() -> String? {
    var directory = Bundle.main.bundleURL
    for _ in 0..<4 {
        let candidate = directory.appendingPathComponent("cfspd").path
        if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        directory.deleteLastPathComponent()
    }
    let fallback = FileManager.default.currentDirectoryPath + "/.build/release/cfspd"
    return FileManager.default.isExecutableFile(atPath: fallback) ? fallback : nil
}
