import CFSPProtocol
import Core
import Daemon
import Foundation
import Kernels
import RPC
import Testing
import TestSupport

/// `run` with `streamed: true` (issue 16): the model is read from its file block by block and
/// never loaded, and the file it exports is the loaded run's, byte for byte.
@Suite("The run method streamed from the file", .timeLimit(.minutes(5)))
struct StreamedRunTests {
    /// Params of a small run of the tiny model on `text` (evaluation settings only when loaded:
    /// a streamed run takes none).
    private static func params(model: String, text: String, export: String?, streamed: Bool) -> RunParams {
        var params = RunParams(modelPath: model, input: TextInput(text: text), exportPath: export)
        params.calibration.sampling.count = 6
        params.calibration.sampling.windowSize = 16
        params.calibration.sampling.seed = 3
        params.pruning.align = 4
        params.streamed = streamed
        if !streamed {
            params.evaluation.windowSize = 16
            params.evaluation.maxWindows = 4
        }
        return params
    }

    @Test("the cfspd binary's streamed run exports the loaded run's file byte for byte, skips the evaluations, names no model, and its traffic fits the schema",
          arguments: [Compensation?.none, .some(.none)])
    func streamedEqualsLoaded(compensation: Compensation?) async throws {
        let executable = try #require(cfspdExecutable(), "build cfspd first (swift build -c release) so the test can run it")
        let folder = try ScratchFolder()
        let scratch = try ScratchFolder(prefix: "cfsp-scratch")
        let model = try writeTinyModel(in: folder)
        let text = TestRandom(seed: 41).textValue(words: 400)
        let loadedPath = folder.file("loaded.gguf"), streamedPath = folder.file("streamed.gguf")
        let daemon = try CfspdProcess(executable: executable)
        _ = await daemon.response(daemon.request("initialize", ["clientInfo": ["name": "streamed-tests"]]))
        daemon.notify("initialized")

        func run(_ params: RunParams, token: String) async throws -> (RunResult, JSONValue) {
            var wire = try #require(params.wireJSON.objectValue)
            wire["workDoneToken"] = .string(token)
            let response = try #require(await daemon.response(daemon.request("run", .object(wire))))
            let result = try #require(response["result"], "\(response)")
            return (try result.decode(RunResult.self), result)
        }
        var loadedParams = Self.params(model: model, text: text, export: loadedPath, streamed: false)
        loadedParams.pruning.compensation = compensation
        var streamedParams = Self.params(model: model, text: text, export: streamedPath, streamed: true)
        streamedParams.pruning.compensation = compensation
        streamedParams.scratch = scratch.path
        let (loaded, _) = try await run(loadedParams, token: "loaded")
        let (streamed, wire) = try await run(streamedParams, token: "streamed")

        let bytes = try Data(contentsOf: URL(fileURLWithPath: streamedPath))
        #expect(bytes == (try Data(contentsOf: URL(fileURLWithPath: loadedPath))), "the exported files differ")
        let metadata = try GGUFFile(path: streamedPath).metadata
        #expect(metadata["cfsp.pruning.method"]?.string == "cfsp" && metadata["cfsp.source.path"]?.string == model,
                "the provenance is recorded")

        // Skipped evaluations are null; no model handle is sent (none was loaded); the calibration is kept.
        #expect(streamed.streamed && !loaded.streamed)
        #expect(streamed.denseEvaluation == nil && streamed.prunedEvaluation == nil)
        #expect(wire["denseEvaluation"] == .null && wire["prunedEvaluation"] == .null)
        #expect(wire["model"]?["model"] == nil && wire["pruning"]?["model"] == nil && wire["pruning"]?["pruned"] == nil)
        #expect(wire["export"]?["model"] == nil && wire["model"]?["parameters"] != nil)
        #expect(wire["calibration"]?["calibration"] == "c2" && wire["pruning"]?["calibration"] == "c2")
        #expect(streamed.stages.map(\.stage) == [.load, .calibrate, .prune, .export])

        // Every figure that applies is the loaded run's.
        #expect(streamed.model.parameters == loaded.model.parameters)
        #expect(streamed.model.ffnParameters == loaded.model.ffnParameters)
        #expect(streamed.model.config == loaded.model.config && streamed.model.path == loaded.model.path)
        #expect(streamed.model.precision == loaded.model.precision && streamed.model.hasTokenizer)
        #expect(streamed.model.bosToken == loaded.model.bosToken && streamed.model.eosToken == loaded.model.eosToken)
        #expect(streamed.calibration.importance == loaded.calibration.importance, "the statistics are bit for bit the same")
        #expect(streamed.calibration.windows == 6 && streamed.calibration.tokens == loaded.calibration.tokens)
        #expect(!streamed.calibration.gram, "the Gram matrices went to the scratch file, not into the held calibration")
        #expect(streamed.pruning.result.score.blocks == loaded.pruning.result.score.blocks)
        #expect(streamed.pruning.options == loaded.pruning.options)
        #expect(streamed.pruning.widths == loaded.pruning.widths && streamed.pruning.heads == loaded.pruning.heads)
        #expect(streamed.pruning.parametersBefore == loaded.pruning.parametersBefore)
        #expect(streamed.pruning.parametersAfter == loaded.pruning.parametersAfter)
        #expect(streamed.pruning.ffnParametersAfter == loaded.pruning.ffnParametersAfter)
        let export = try #require(streamed.export), reference = try #require(loaded.export)
        #expect(export.path == streamedPath && export.bytes == bytes.count && export.tensorTypes == reference.tensorTypes)
        #expect(export.notes == reference.notes && export.hasTokenizer == reference.hasTokenizer)

        // Progress: each of the four stages announced once, in order (the calibration's own reports,
        // too few to pass the reporter's rate limit here, are checked by the cancellation test).
        let reports = daemon.progress("streamed").filter { $0["kind"] == "report" }
        var announced: [String] = []
        for report in reports {
            if let stage = report["stage"]?.stringValue, announced.last != stage { announced.append(stage) }
        }
        #expect(announced == ["load", "calibrate", "prune", "export"])
        #expect(reports.allSatisfy { $0["steps"]?.intValue == 4 })
        #expect(daemon.progress("streamed").last?["outcome"] == "completed")
        #expect(try FileManager.default.contentsOfDirectory(atPath: scratch.path).isEmpty,
                "the temporary files are unlinked as they are made")

        #expect(await daemon.response(daemon.request("shutdown", nil))?["result"] == .null)
        daemon.notify("exit")
        #expect(daemon.waitForExit() == 0)
        let sent = daemon.sent.all.filter(\.valid).compactMap { try? JSONValue(parsing: Array($0.text.utf8)) }
        let report = try SchemaValidation.validate(sent: sent, received: daemon.messages, scratch: folder)
        #expect(report.problems.isEmpty, "\(report.problems.prefix(5))")
        #expect(report.results >= 4)
    }

    @Test("a streamed run is refused, naming what to change, without exportPath, for hf, other structures, evaluation members, a missing scratch folder or a Hugging Face source")
    func refusals() async throws {
        let folder = try ScratchFolder()
        let model = try writeTinyModel(in: folder)
        let daemon = try await InProcessDaemon()
        defer { daemon.close() }
        let base = Self.params(model: model, text: TestRandom(seed: 42).textValue(words: 200),
                               export: folder.file("out.gguf"), streamed: true)
        func refusal(_ change: (inout RunParams) -> Void) async -> ResponseError? {
            var params = base
            change(&params)
            return await responseError { _ = try await daemon.client.send(RunRequest.self, params) }
        }
        func member(_ error: ResponseError?) -> String? { error?.data?["member"]?.stringValue }

        let noExport = await refusal { $0.exportPath = nil }
        #expect(noExport?.code == -32602 && member(noExport) == "exportPath", "\(String(describing: noExport))")
        #expect(noExport?.message.contains("give 'exportPath'") == true)
        let hf = await refusal { $0.export.format = .hf }
        #expect(hf?.code == -32602 && member(hf) == "exportFormat" && hf?.message.contains("GGUF only") == true)
        let attention = await refusal { $0.pruning.structures = [.ffn, .attention] }
        #expect(attention?.code == -32602 && member(attention) == "structures")
        #expect(attention?.message.contains("need the model loaded") == true)
        let target = await refusal { $0.pruning.target = .parameters }
        #expect(target?.code == -32602 && member(target) == "target")
        let evaluation = await refusal { $0.evaluation.input = TextInput(path: folder.file("test.txt")) }
        #expect(evaluation?.code == -32602 && member(evaluation) == "evalPath")
        let maxWindows = await refusal { $0.evaluation.maxWindows = 3 }
        #expect(maxWindows?.code == -32602 && member(maxWindows) == "maxWindows")
        let loadedScratch = await refusal {
            $0.streamed = false
            $0.scratch = folder.path
        }
        #expect(loadedScratch?.code == -32602 && member(loadedScratch) == "scratch")

        let missing = folder.file("no-such-folder")
        let scratch = await refusal { $0.scratch = missing }
        #expect(scratch?.code == DaemonError.Code.cannotWrite.rawValue && scratch?.data?["path"]?.stringValue == missing)
        #expect(scratch?.message.contains("'scratch' must name an existing folder") == true, "\(String(describing: scratch))")
        let notFolder = await refusal { $0.scratch = model }
        #expect(notFolder?.code == DaemonError.Code.cannotWrite.rawValue)

        let folderModel = try writeTinyModel(in: folder, format: .huggingFace)
        let huggingFace = await refusal { $0.load.path = folderModel }
        #expect(huggingFace?.code == DaemonError.Code.cannotLoad.rawValue && huggingFace?.data?["stage"] == "load")
        #expect(huggingFace?.message.hasPrefix("load: ") == true && huggingFace?.message.contains("GGUF files only") == true,
                "\(String(describing: huggingFace))")

        let existing = folder.file("exists.gguf")
        try Data("keep me".utf8).write(to: URL(fileURLWithPath: existing))
        let exists = await refusal { $0.exportPath = existing }
        #expect(exists?.code == DaemonError.Code.cannotWrite.rawValue && exists?.message.contains("overwrite") == true)
        #expect(try String(contentsOfFile: existing, encoding: .utf8) == "keep me")

        // Nothing was left behind: no model, no calibration, no export.
        #expect(try await daemon.client.send(ListModelsRequest.self, EmptyObject()).models.isEmpty)
        let calibration = await responseError {
            _ = try await daemon.client.send(ReleaseCalibrationRequest.self, .init(calibration: "c1"))
        }
        #expect(calibration?.code == DaemonError.Code.calibrationNotFound.rawValue)
        #expect(!FileManager.default.fileExists(atPath: base.exportPath!))
    }

    @Test("release frees a streamed run's calibration; with OBS the spilled Gram matrices serve the plan")
    func releaseAndOBS() async throws {
        let folder = try ScratchFolder()
        let model = try writeTinyModel(in: folder)
        let daemon = try await InProcessDaemon()
        defer { daemon.close() }
        var params = Self.params(model: model, text: TestRandom(seed: 43).textValue(words: 300),
                                 export: folder.file("obs.gguf"), streamed: true)
        params.pruning.compensation = .obs
        params.release = true
        let result = try await daemon.client.send(RunRequest.self, params)
        #expect(result.released && result.streamed && result.pruning.options.compensation == .obs)
        #expect(result.pruning.parametersAfter < result.pruning.parametersBefore)
        let reloaded = try ModelLoader.load(path: folder.file("obs.gguf"))
        #expect(reloaded.model.config.intermediateSizes == result.pruning.widths)
        #expect(reloaded.model.parameterCount == result.pruning.parametersAfter, "the counts from the shapes are the file's")
        let missing = await responseError {
            _ = try await daemon.client.send(ReleaseCalibrationRequest.self, .init(calibration: result.calibration.calibration))
        }
        #expect(missing?.code == DaemonError.Code.calibrationNotFound.rawValue)
    }

    @Test("a streamed run cancelled mid-calibration answers -32800 and leaves no output file and no temporary file")
    func cancelledMidCalibration() async throws {
        let folder = try ScratchFolder()
        let scratch = try ScratchFolder(prefix: "cfsp-scratch")
        let model = try writeTinyModel(in: folder)
        let output = folder.file("never.gguf")
        let daemon = try await InProcessDaemon()
        defer { daemon.close() }
        var params = Self.params(model: model, text: TestRandom(seed: 44).textValue(words: 400), export: output,
                                 streamed: true)
        // Long enough to be running when cancelled (each block passes over 800,000 tokens), small
        // enough for the scratch file (100 MB of hidden states).
        params.calibration.sampling.count = 50_000
        params.scratch = scratch.path
        var wire = try #require(params.wireJSON.objectValue)
        wire["workDoneToken"] = "long"
        let client = daemon.client
        let sent = wire
        let run = Task { try await client.sendRequest(method: "run", params: .object(sent)) }
        try await waitUntil { daemon.progress("long").contains { $0["stage"] == "calibrate" && $0["window"] != nil } }
        let window = try #require(daemon.progress("long").first { $0["stage"] == "calibrate" && $0["window"] != nil })
        #expect(window["windows"]?.intValue == 50_000 && window["step"]?.intValue == 2 && window["steps"]?.intValue == 4)
        run.cancel()
        #expect(await errorCode { _ = try await run.value } == -32800)
        try await waitUntil { daemon.progress("long").last?["kind"] == "end" }
        #expect(daemon.progress("long").last?["outcome"] == "cancelled")
        #expect(!daemon.progress("long").contains { $0["stage"] == "export" }, "the run stopped before its export")
        #expect(!FileManager.default.fileExists(atPath: output))
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path) == ["tiny.gguf"])
        #expect(try FileManager.default.contentsOfDirectory(atPath: scratch.path).isEmpty)
        let calibration = await responseError {
            _ = try await client.send(ReleaseCalibrationRequest.self, .init(calibration: "c1"))
        }
        #expect(calibration?.code == DaemonError.Code.calibrationNotFound.rawValue, "no calibration was kept")
    }
}
