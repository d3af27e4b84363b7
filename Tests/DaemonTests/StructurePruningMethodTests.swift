import CFSPProtocol
import Core
import Foundation
import Kernels
import RPC
import Testing
import TestSupport

/// `score` and `prune` with structures and a parameter target, sent as raw JSON (so the wire
/// names are what protocol.md says), against Core's plan; the pruned model exports as a `deci`
/// GGUF that loads back with the same perplexity, and the Hugging Face export refuses it.
@Suite struct StructurePruningMethodTests {
    @Test func structuresAndAParameterTargetTravelAndPrune() async throws {
        let folder = try ScratchFolder()
        let path = try writeTinyModel(in: folder)
        var random = TestRandom(seed: 31)
        let text = random.text(words: 400)
        let daemon = try await InProcessDaemon()
        defer { daemon.close() }
        _ = try await daemon.client.send(LoadModelRequest.self, .init(path: path))
        _ = try await daemon.client.send(
            CalibrateRequest.self, .init(model: "m1", input: TextInput(text: text), count: 6, windowSize: 16, seed: 1))
        let params: JSONValue = ["model": "m1", "calibration": "c1", "sparsity": 0.3,
                                 "structures": ["ffn", "attention", "depth"], "target": "parameters"]
        let score = try await daemon.client.sendRequest(method: "score", params: params).decode(ScoreResult.self)
        #expect(score.options.structures == [.ffn, .attention, .depth] && score.options.target == .parameters)
        #expect(score.blocks.allSatisfy { $0.kvGroups == 2 && $0.keptKVGroups != nil && $0.ffnImportance != nil })

        let loaded = try ModelLoader.load(path: path)
        let tokens = try #require(loaded.tokenizer).encode(text)
        let windows = try CalibrationWindows.windows(of: tokens, windowLength: 16, count: 6, seed: 1)
        let statistics = try Calibrator().calibrate(model: loaded.model, windows: windows, pool: ThreadPool(threads: 1))
        var options = PruningOptions(sparsity: 0.3)
        options.structures = [.ffn, .attention, .depth]
        options.target = .parameters
        let plan = try Pruner().plan(model: loaded.model, statistics: statistics, options: options)
        #expect(score.blocks == plan.blocks.map(BlockScore.init))

        let pruned = try await daemon.client.sendRequest(method: "prune", params: params).decode(PruneResult.self)
        let target = Int((Double(loaded.model.parameterCount) * 0.3).rounded())
        let removed = pruned.parametersBefore - pruned.parametersAfter
        #expect(removed == plan.removedParameters && removed <= target && target - removed < 3 * 32)
        #expect(pruned.heads == plan.blocks.map { ($0.keptKVGroups?.count ?? 2) * 2 })
        #expect(pruned.widths == plan.blocks.map(\.keptCount))

        let text16 = EvaluateRequest.Params(model: pruned.pruned, input: TextInput(text: text), windowSize: 16)
        let before = try await daemon.client.send(EvaluateRequest.self, text16)
        let gguf = try await daemon.client.send(
            ExportRequest.self, .init(model: pruned.pruned, format: .gguf, path: folder.file("s.gguf")))
        #expect(gguf.bytes > 0)
        let back = try await daemon.client.send(LoadModelRequest.self, .init(path: folder.file("s.gguf")))
        // A block that keeps attention without an FFN is written with a 1-neuron zero FFN (deci).
        #expect(back.config.intermediateSizes
                == zip(pruned.widths, pruned.heads).map { width, heads in width == 0 && heads > 0 ? 1 : width })
        var again = text16
        again.model = back.model
        let after = try await daemon.client.send(EvaluateRequest.self, again)
        #expect(abs(after.perplexity - before.perplexity) <= 1e-6 * before.perplexity)
        if pruned.heads != [4, 4] {
            #expect(await errorCode {
                _ = try await daemon.client.send(
                    ExportRequest.self, .init(model: pruned.pruned, format: .hf, path: folder.file("s-hf")))
            } == 1007)
        }

        let unknown: JSONValue = ["model": "m1", "calibration": "c1", "sparsity": 0.3, "structures": ["ffn", "heads"]]
        #expect(await errorCode { _ = try await daemon.client.sendRequest(method: "prune", params: unknown) } == -32602)
    }
}
