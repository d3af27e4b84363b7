import CFSPProtocol
import Core
import Daemon
import Foundation
import Kernels
import RPC
import Testing
import TestSupport

/// `run`, the whole pipeline as one method, against the same stages sent one by one.
@Suite("The run method over an in-process connection", .timeLimit(.minutes(5)))
struct RunMethodTests {
    /// Params of a small run of the tiny model on `text`.
    private static func params(model: String, text: String, export: String?) -> RunParams {
        var params = RunParams(modelPath: model, input: TextInput(text: text), exportPath: export)
        params.calibration.sampling.count = 6
        params.calibration.sampling.windowSize = 16
        params.calibration.sampling.seed = 3
        params.evaluation.windowSize = 16
        params.evaluation.maxWindows = 4
        params.pruning.align = 4
        return params
    }

    @Test("run gives what load, calibrate, evaluate, prune, evaluate and export give one by one")
    func runEqualsTheStages() async throws {
        let folder = try ScratchFolder()
        let path = try writeTinyModel(in: folder)
        let text = TestRandom(seed: 31).textValue(words: 400)
        let exported = folder.file("run.gguf")
        let daemon = try await InProcessDaemon()
        defer { daemon.close() }

        var wire = try #require(Self.params(model: path, text: text, export: exported).wireJSON.objectValue)
        wire["workDoneToken"] = "run"
        let result = try await daemon.client.sendRequest(method: "run", params: .object(wire)).decode(RunResult.self)

        // The same stages, one request each, on a second copy of the model.
        let client = daemon.client
        let model = try await client.send(LoadModelRequest.self, .init(path: path))
        let calibration = try await client.send(
            CalibrateRequest.self, .init(model: model.model, input: TextInput(text: text), count: 6, windowSize: 16, seed: 3))
        let evaluation = EvaluateParams(model: model.model, input: TextInput(text: text), windowSize: 16, maxWindows: 4)
        let dense = try await client.send(EvaluateRequest.self, evaluation)
        var pruning = PruningParams(model: model.model, calibration: calibration.calibration, sparsity: RunParams.defaultSparsity)
        pruning.options.align = 4
        let pruned = try await client.send(PruneRequest.self, pruning)
        var prunedEvaluation = evaluation
        prunedEvaluation.model = pruned.pruned
        let after = try await client.send(EvaluateRequest.self, prunedEvaluation)

        #expect(result.model.model == "m1" && result.pruning.pruned == "m2" && result.calibration.calibration == "c1")
        #expect(result.pruning.options.sparsity == RunParams.defaultSparsity, "run's default sparsity")
        #expect(result.pruning.widths == pruned.widths)
        #expect(result.pruning.parametersAfter == pruned.parametersAfter)
        #expect(result.calibration.windows == 6 && result.calibration.windowSize == 16)
        #expect(result.denseEvaluation?.perplexity == dense.perplexity)
        #expect(result.prunedEvaluation?.perplexity == after.perplexity)
        #expect(result.prunedEvaluation?.model == "m2" && result.denseEvaluation?.model == "m1")
        #expect(result.export?.path == exported && FileManager.default.fileExists(atPath: exported))
        #expect(result.stages.map(\.stage) == RunStage.allCases)
        #expect(result.stages.allSatisfy { $0.seconds >= 0 })
        #expect(!result.released)
        let reloaded = try ModelLoader.load(path: exported)
        #expect(reloaded.model.config.intermediateSizes == pruned.widths)

        let progress = daemon.progress("run")
        #expect(progress.first?["kind"] == "begin" && progress.first?["title"] == "run")
        #expect(progress.last?["kind"] == "end" && progress.last?["outcome"] == "completed")
        let reports = progress.filter { $0["kind"] == "report" }
        var announced: [String] = []
        for report in reports {
            if let stage = report["stage"]?.stringValue, announced.last != stage { announced.append(stage) }
        }
        #expect(announced == RunStage.allCases.map(\.rawValue), "every stage announced once, in order")
        #expect(reports.allSatisfy { $0["steps"]?.intValue == RunStage.allCases.count })
        let percentages = reports.compactMap { $0["percentage"]?.intValue }
        #expect(percentages == percentages.sorted(), "the run's percentage never goes back")
        // Each stage's announcement is its label (the tiny model's stages end before any later report is due).
        #expect(reports.first { $0["stage"] == "evaluateDense" }?["message"] == "evaluate dense")
    }

    @Test("release frees both models and the calibration; without exportPath there is no export stage")
    func releaseAndNoExport() async throws {
        let folder = try ScratchFolder()
        let path = try writeTinyModel(in: folder)
        let daemon = try await InProcessDaemon()
        defer { daemon.close() }
        var params = Self.params(model: path, text: TestRandom(seed: 32).textValue(words: 300), export: nil)
        params.release = true
        params.pruning.sparsity = 0.5
        let result = try await daemon.client.send(RunRequest.self, params)
        #expect(result.released && result.export == nil)
        #expect(result.stages.map(\.stage) == [.load, .calibrate, .evaluateDense, .prune, .evaluatePruned])
        #expect(result.pruning.options.sparsity == 0.5)
        #expect(try await daemon.client.send(ListModelsRequest.self, EmptyObject()).models.isEmpty)
        let missing = await responseError {
            _ = try await daemon.client.send(ReleaseCalibrationRequest.self, .init(calibration: result.calibration.calibration))
        }
        #expect(missing?.code == DaemonError.calibrationNotFound("c1").responseError.code)
    }

    @Test("a failing stage answers its own error led by the stage, and what the run made is freed")
    func failingStage() async throws {
        let folder = try ScratchFolder()
        let path = try writeTinyModel(in: folder)
        let existing = folder.file("exists.gguf")
        try Data("keep me".utf8).write(to: URL(fileURLWithPath: existing))
        let daemon = try await InProcessDaemon()
        defer { daemon.close() }
        let params = Self.params(model: path, text: TestRandom(seed: 33).textValue(words: 300), export: existing)
        let error = try #require(await responseError { _ = try await daemon.client.send(RunRequest.self, params) })
        #expect(error.message.hasPrefix("export: "), "\(error.message)")
        #expect(error.data?["stage"] == "export")
        #expect(error.code == DaemonError.cannotWrite(path: existing, reason: "").responseError.code)
        #expect(try String(contentsOfFile: existing, encoding: .utf8) == "keep me")
        #expect(try await daemon.client.send(ListModelsRequest.self, EmptyObject()).models.isEmpty)

        let missing = await responseError {
            _ = try await daemon.client.send(RunRequest.self, Self.params(model: folder.file("none.gguf"), text: "x", export: nil))
        }
        #expect(missing?.code == 1004 && missing?.message.hasPrefix("load: ") == true, "\(String(describing: missing))")
    }

    @Test("a cancelled run answers -32800, ends its progress as cancelled and frees what it made")
    func cancelledRun() async throws {
        let folder = try ScratchFolder()
        let path = try writeTinyModel(in: folder)
        let text = TestRandom(seed: 34).textValue(words: 400)
        let daemon = try await InProcessDaemon()
        defer { daemon.close() }
        var params = Self.params(model: path, text: text, export: nil)
        // Long enough to be running when cancelled, however loaded the machine.
        params.calibration.sampling.count = 3_000_000
        var wire = try #require(params.wireJSON.objectValue)
        wire["workDoneToken"] = "long"
        let client = daemon.client
        let sent = wire
        let run = Task { try await client.sendRequest(method: "run", params: .object(sent)) }
        try await waitUntil { daemon.progress("long").contains { $0["stage"] == "calibrate" && $0["window"] != nil } }
        let window = try #require(daemon.progress("long").first { $0["stage"] == "calibrate" && $0["window"] != nil })
        #expect(window["windows"]?.intValue == 3_000_000)
        #expect(window["message"]?.stringValue?.hasPrefix("calibrate: window") == true, "the stage's own report, led by the stage")
        #expect(window["step"]?.intValue == 2 && window["steps"]?.intValue == 5)
        run.cancel()
        #expect(await errorCode { _ = try await run.value } == -32800)
        try await waitUntil { daemon.progress("long").last?["kind"] == "end" }
        #expect(daemon.progress("long").last?["outcome"] == "cancelled")
        // The run frees what it made before it answers.
        #expect(try await client.send(ListModelsRequest.self, EmptyObject()).models.isEmpty)
    }

    @Test("run's params are checked as its stages' are, under run's names")
    func invalidParams() async throws {
        let daemon = try await InProcessDaemon()
        defer { daemon.close() }
        func refusal(_ params: JSONValue) async -> ResponseError? {
            await responseError { _ = try await daemon.client.sendRequest(method: "run", params: params) }
        }
        let sparsity = await refusal(["modelPath": "/m.gguf", "text": "a b", "sparsity": 1.5])
        #expect(sparsity?.code == -32602 && sparsity?.data?["member"] == "sparsity")
        let window = await refusal(["modelPath": "/m.gguf", "text": "a b", "evalWindowSize": 1])
        #expect(window?.code == -32602 && window?.data?["member"] == "evalWindowSize")
        let model = await refusal(["text": "a b"])
        #expect(model?.code == -32602 && model?.message.contains("modelPath") == true)
        let inputs = await refusal(["modelPath": "/m.gguf", "text": "a b", "evalText": "c", "evalTokens": [1, 2]])
        #expect(inputs?.code == -32602 && inputs?.message.contains("at most one evaluation input") == true)
        let windows = await refusal(["modelPath": "/m.gguf", "windows": [[1, 2, 3]]])
        #expect(windows?.code == -32602 && windows?.message.contains("give an evaluation input") == true)
        let format = await refusal(["modelPath": "/m.gguf", "text": "a b", "exportFormat": "onnx"])
        #expect(format?.code == -32602 && format?.message.contains("\"gguf\"") == true)
    }
}
