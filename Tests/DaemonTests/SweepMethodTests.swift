import CFSPProtocol
import Core
import Daemon
import Foundation
import Kernels
import RPC
import Testing
import TestSupport

/// `sweep` against `prune` and `evaluate` sent one by one.
@Suite("The sweep method over an in-process connection", .timeLimit(.minutes(5)))
struct SweepMethodTests {
    @Test("each point is what prune and evaluate give; pruned models are freed unless kept")
    func pointsEqualPruneAndEvaluate() async throws {
        let folder = try ScratchFolder()
        let path = try writeTinyModel(in: folder)
        let text = TestRandom(seed: 41).textValue(words: 400)
        let daemon = try await InProcessDaemon()
        defer { daemon.close() }
        let client = daemon.client
        _ = try await client.send(LoadModelRequest.self, .init(path: path))
        _ = try await client.send(
            CalibrateRequest.self, .init(model: "m1", input: TextInput(text: text), count: 6, windowSize: 16, seed: 2))

        var params = SweepParams(model: "m1", calibration: "c1", sparsities: [0.25, 0.5], input: TextInput(text: text))
        params.methods = [.cfsp, .wandaSP]
        params.options.align = 4
        params.evaluation.windowSize = 16
        params.evaluation.maxWindows = 3
        var wire = try #require(params.wireJSON.objectValue)
        wire["workDoneToken"] = "sweep"
        let result = try await client.sendRequest(method: "sweep", params: .object(wire)).decode(SweepResult.self)

        #expect(result.points.map(\.method) == [.cfsp, .cfsp, .wandaSP, .wandaSP])
        #expect(result.points.map(\.sparsity) == [0.25, 0.5, 0.25, 0.5])
        #expect(result.points.allSatisfy { $0.model == nil })
        #expect(try await client.send(ListModelsRequest.self, EmptyObject()).models.map(\.model) == ["m1"],
                "each pruned model was freed once evaluated")
        let evaluation = EvaluateParams(model: "m1", input: TextInput(text: text), windowSize: 16, maxWindows: 3)
        let dense = try await client.send(EvaluateRequest.self, evaluation)
        #expect(result.dense?.perplexity == dense.perplexity)
        for point in result.points {
            var pruning = PruningParams(model: "m1", calibration: "c1", sparsity: point.sparsity, method: point.method)
            pruning.options.align = 4
            let pruned = try await client.send(PruneRequest.self, pruning)
            var prunedEvaluation = evaluation
            prunedEvaluation.model = pruned.pruned
            let after = try await client.send(EvaluateRequest.self, prunedEvaluation)
            #expect(point.widths == pruned.widths && point.parameters == pruned.parametersAfter)
            #expect(point.perplexity == after.perplexity)
            #expect(abs(point.achievedSparsity - pruned.achievedSparsity) < 1e-12)
        }

        let reports = daemon.progress("sweep").filter { $0["kind"] == "report" }
        var announced: [Int] = []
        for report in reports {
            if let point = report["point"]?.intValue, announced.last != point { announced.append(point) }
        }
        #expect(announced == [0, 1, 2, 3, 4], "the dense model, then every point, in order")
        #expect(reports.first { $0["point"] == 3 }?["message"] == "wanda-sp at 0.25")
        #expect(reports.allSatisfy { $0["points"]?.intValue == 4 })
    }

    @Test("keepModels keeps each pruned model; params are checked")
    func keptModelsAndBadParams() async throws {
        let folder = try ScratchFolder()
        let path = try writeTinyModel(in: folder)
        let text = TestRandom(seed: 42).textValue(words: 300)
        let daemon = try await InProcessDaemon()
        defer { daemon.close() }
        let client = daemon.client
        _ = try await client.send(LoadModelRequest.self, .init(path: path))
        _ = try await client.send(
            CalibrateRequest.self, .init(model: "m1", input: TextInput(text: text), count: 4, windowSize: 16, seed: 2))
        var params = SweepParams(model: "m1", calibration: "c1", sparsities: [0.3], input: TextInput(text: text))
        params.includeDense = false
        params.keepModels = true
        params.evaluation.windowSize = 16
        params.evaluation.maxWindows = 2
        let kept = try await client.send(SweepRequest.self, params)
        #expect(kept.dense == nil && kept.points.map(\.model) == ["m2"])
        #expect(try await client.send(DescribeModelRequest.self, .init(model: "m2")).parent == "m1")

        func refusal(_ params: JSONValue) async -> ResponseError? {
            await responseError { _ = try await client.sendRequest(method: "sweep", params: params) }
        }
        let empty = await refusal(["model": "m1", "calibration": "c1", "sparsities": [], "text": "a b"])
        #expect(empty?.code == -32602 && empty?.data?["member"] == "sparsities")
        let range = await refusal(["model": "m1", "calibration": "c1", "sparsities": [0.2, 1.0], "text": "a b"])
        #expect(range?.code == -32602 && range?.data?["member"] == "sparsities[1]")
        let method = await refusal(["model": "m1", "calibration": "c1", "sparsities": [0.2], "methods": ["wanda"],
                                    "text": "a b"])
        #expect(method?.code == -32602 && method?.message.contains("wanda-sp") == true)
        let missing = await refusal(["model": "m1", "calibration": "c9", "sparsities": [0.2], "text": "a b"])
        #expect(missing?.code == DaemonError.calibrationNotFound("c9").responseError.code)
        #expect(try await client.send(ListModelsRequest.self, EmptyObject()).models.map(\.model) == ["m1", "m2"])
    }
}
