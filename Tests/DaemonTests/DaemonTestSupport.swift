import Core
import Daemon
import Foundation
import Kernels
import RPC
import TestSupport

extension TestRandom {
    /// English-like text built from words that exercise the test tokenizer's merges.
    mutating func text(words: Int) -> String {
        let vocabulary = ["the", "then", "in", "an", "other", "inner", "banter", "thin", "fox", "dog", "there",
                          "water", "tea", "rant", "hint", "é", "42"]
        return (0..<words).map { _ in vocabulary[int(below: vocabulary.count)] }.joined(separator: " ")
    }

    /// `text(words:)` on a copy, for one-line inputs.
    func textValue(words: Int) -> String {
        var copy = self
        return copy.text(words: words)
    }
}

/// The error code a call failed with (nil when it succeeded, -1 for a non-protocol error).
func errorCode(_ body: () async throws -> Void) async -> Int? {
    await responseError(body)?.code
}

/// The response error a call failed with (code -1 for a non-protocol error).
func responseError(_ body: () async throws -> Void) async -> ResponseError? {
    await caughtError(body).map { $0 as? ResponseError ?? ResponseError(code: -1, message: "\($0)") }
}

/// The daemon's service on one end of an in-process connection pair, initialized.
struct InProcessDaemon {
    let pair: LocalConnectionPair
    let notifications = Recorder<NotificationMessage>()
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

/// The `cfspd` executable `swift build` made, if any.
func cfspdExecutable() -> String? { BuiltProduct.executable("cfspd") }
