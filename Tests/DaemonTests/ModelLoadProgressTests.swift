import CFSPProtocol
import Core
import Daemon
import Foundation
import RPC
import TestSupport
import Testing

/// `model/load` of a large model reads for minutes: it streams progress per tensor and honours
/// `$/cancelRequest` between tensors, leaving nothing registered.
@Suite("model/load progress and cancellation")
struct ModelLoadProgressTests {
    @Test("model/load reports tensors read and ends completed")
    func progress() async throws {
        let folder = try ScratchFolder()
        defer { folder.remove() }
        let path = try writeTinyModel(in: folder)
        let daemon = try await InProcessDaemon()
        defer { daemon.close() }
        _ = try await daemon.client.sendRequest(method: "model/load", params: ["path": .string(path), "workDoneToken": "load"])
        let progress = daemon.progress("load")
        #expect(progress.first?["title"] == "model/load")
        #expect(progress.contains { $0["kind"] == "report" && $0["message"]?.stringValue?.hasPrefix("tensor 1 of ") == true })
        #expect(progress.last?["outcome"] == "completed")
    }

    @Test("cancelling model/load of SmolLM2 stops it between tensors; no model is registered")
    func cancellation() async throws {
        let model = try #require(ProcessInfo.processInfo.environment["CFSP_MODEL"],
                                 "CFSP_MODEL is not set: point it at SmolLM2-135M-Instruct.Q4_1.gguf (scripts/fetch-model.sh)")
        let daemon = try await InProcessDaemon()
        defer { daemon.close() }
        let client = daemon.client
        let load = Task {
            try await client.sendRequest(method: "model/load", params: ["path": .string(model), "workDoneToken": "load"])
        }
        try await waitUntil { daemon.progress("load").contains { $0["kind"] == "report" } }
        load.cancel()
        #expect(await errorCode { _ = try await load.value } == -32800)
        try await waitUntil { daemon.progress("load").last?["kind"] == "end" }
        #expect(daemon.progress("load").last?["outcome"] == "cancelled")
        #expect(try await client.send(ListModelsRequest.self, EmptyObject()).models.isEmpty)
    }
}
