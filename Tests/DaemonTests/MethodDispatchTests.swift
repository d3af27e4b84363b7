import CFSPProtocol
import Core
import Daemon
import Foundation
import Kernels
import RPC
import Testing
import TestSupport

/// Every model method over an in-process connection pair, checked against Core called directly.
@Suite("Model methods over an in-process connection", .timeLimit(.minutes(5)))
struct MethodDispatchTests {
    @Test("initialize lists every model method and the daemon's capabilities")
    func capabilities() async throws {
        let pair = LocalConnectionPair(framing: .ndjson)
        defer { pair.close() }
        pair.server.start(handler: DaemonService(pool: ThreadPool(threads: 1)).makeServer())
        let result = try await pair.client.send(InitializeRequest.self, InitializeParams())
        #expect(result.serverInfo.name == "cfspd")
        let methods = result.capabilities["methods"]
        for method in ["model/load", "model/list", "model/describe", "model/unload", "calibrate", "calibration/save",
                       "calibration/load", "calibration/release", "score", "prune", "evaluate", "export", "finetune"] {
            #expect(methods?.arrayContains(.string(method)) == true, "missing \(method)")
        }
        let lifecycle = ["$/cancelRequest", "exit", "initialize", "initialized", "shutdown"]
        #expect(methods == .array((lifecycle + ProtocolMethods.descriptions.map(\.method)).sorted().map(JSONValue.string)),
                "the daemon routes exactly the methods of CFSPProtocol")
        #expect(result.capabilities["serverInfo"] == nil && result.serverInfo.version == CFSPVersion.current)
        #expect(result.capabilities["pruningMethods"] == .array(PruningMethod.allCases.map { .string($0.rawValue) }))
        #expect(result.capabilities["blockMetrics"] == ["angular", "cosine", "mse", "mae"])
        #expect(result.capabilities["modelFormats"] == ["gguf", "hf"])
    }

    @Test("model/load, list, describe and unload, for GGUF and Hugging Face test models")
    func modelLifecycle() async throws {
        let folder = try ScratchFolder()
        let gguf = try writeTinyModel(in: folder, format: .gguf)
        let hf = try writeTinyModel(in: folder, format: .huggingFace)
        let daemon = try await InProcessDaemon()
        defer { daemon.close() }

        let first = try await daemon.client.send(LoadModelRequest.self, .init(path: gguf))
        let reference = try ModelLoader.load(path: gguf)
        #expect(first.model == "m1")
        #expect(first.format == .gguf)
        #expect(first.architecture == "llama")
        #expect(first.parameters == reference.model.parameterCount)
        #expect(first.ffnParameters == reference.model.ffnParameterCount)
        #expect(first.config.intermediateSizes == [48, 48])
        #expect(first.config.vocabSize == TestModelFile.vocabularySize)
        #expect(first.hasTokenizer)
        #expect(first.parent == nil)

        let second = try await daemon.client.send(LoadModelRequest.self, .init(path: hf, precision: .bf16))
        #expect(second.model == "m2")
        #expect(second.format == .huggingFace)
        #expect(second.precision == .bf16)
        #expect(second.hasTokenizer)

        let list = try await daemon.client.send(ListModelsRequest.self, EmptyObject())
        #expect(list.models.map(\.model) == ["m1", "m2"])
        #expect(try await daemon.client.send(DescribeModelRequest.self, .init(model: "m2")) == second)

        let unloaded = try await daemon.client.send(UnloadModelRequest.self, .init(model: "m1"))
        #expect(unloaded.unloaded)
        #expect(try await daemon.client.send(ListModelsRequest.self, EmptyObject()).models.map(\.model) == ["m2"])
        #expect(await errorCode { _ = try await daemon.client.send(DescribeModelRequest.self, .init(model: "m1")) } == 1001)
        let third = try await daemon.client.send(LoadModelRequest.self, .init(path: gguf))
        #expect(third.model == "m3", "handles are never reused")
    }

    @Test("calibrate on text returns the statistics Core computes on the same windows")
    func calibrateMatchesCore() async throws {
        let folder = try ScratchFolder()
        let path = try writeTinyModel(in: folder)
        var random = TestRandom(seed: 11)
        let text = random.text(words: 300)
        let daemon = try await InProcessDaemon()
        defer { daemon.close() }
        _ = try await daemon.client.send(LoadModelRequest.self, .init(path: path))

        var params = CalibrateRequest.Params(model: "m1", input: TextInput(text: text), count: 5, windowSize: 12, seed: 3)
        params.blockMetric = .mse
        let result = try await daemon.client.send(CalibrateRequest.self, params)

        let loaded = try ModelLoader.load(path: path)
        let tokens = try #require(loaded.tokenizer).encode(text)
        let windows = try CalibrationWindows.windows(of: tokens, windowLength: 12, count: 5, seed: 3)
        let statistics = try Calibrator().calibrate(model: loaded.model, windows: windows, pool: ThreadPool(threads: 1))
        #expect(result.calibration == "c1")
        #expect(result.model == "m1")
        #expect(result.windows == 5)
        #expect(result.windowSize == 12)
        #expect(result.tokens == 60)
        #expect(result.blockMetric == .mse)
        let expected = BlockMetric.mse.importance(statistics)
        #expect(result.importance.count == 2)
        for (got, want) in zip(result.importance, expected) {
            #expect(abs(got - want) <= 1e-9 * max(1, abs(want)))
        }
        #expect(abs(result.meanImportance[0] - expected[0] / 60) <= 1e-9 * max(1, abs(expected[0])))
        #expect(result.seconds > 0)
        #expect(result.tokensPerSecond > 0)
    }

    @Test("calibrate on token ids, explicit windows, window starts and a JSONL file")
    func calibrateInputs() async throws {
        let folder = try ScratchFolder()
        let path = try writeTinyModel(in: folder)
        var random = TestRandom(seed: 5)
        let tokens = (0..<80).map { _ in random.int(below: TestModelFile.vocabularySize) }
        let daemon = try await InProcessDaemon()
        defer { daemon.close() }
        _ = try await daemon.client.send(LoadModelRequest.self, .init(path: path))

        let fromTokens = try await daemon.client.send(
            CalibrateRequest.self, .init(model: "m1", input: TextInput(tokens: tokens), windowSize: 16, starts: [0, 10, 60]))
        #expect(fromTokens.windows == 3)
        #expect(fromTokens.tokens == 48)

        let explicit = [Array(tokens[0..<16]), Array(tokens[10..<26]), Array(tokens[60..<76])]
        let fromWindows = try await daemon.client.send(
            CalibrateRequest.self, .init(model: "m1", input: TextInput(windows: explicit)))
        #expect(fromWindows.importance == fromTokens.importance, "the same windows give the same statistics")

        let jsonl = folder.file("corpus.jsonl")
        let records = (0..<6).map { _ in ["body": random.text(words: 40)] }
        let lines = try records.map { String(decoding: try JSONSerialization.data(withJSONObject: $0), as: UTF8.self) }
        try lines.joined(separator: "\n").write(toFile: jsonl, atomically: true, encoding: .utf8)
        var input = TextInput(path: jsonl)
        input.field = "body"
        let fromFile = try await daemon.client.send(
            CalibrateRequest.self, .init(model: "m1", input: input, count: 4, windowSize: 10))
        #expect(fromFile.windows == 4)
        #expect(fromFile.tokens == 40)
    }

    @Test("score and prune give Core's plan; the pruned model is a new handle with the planned widths")
    func scoreAndPrune() async throws {
        let folder = try ScratchFolder()
        let path = try writeTinyModel(in: folder)
        var random = TestRandom(seed: 21)
        let text = random.text(words: 400)
        let daemon = try await InProcessDaemon()
        defer { daemon.close() }
        _ = try await daemon.client.send(LoadModelRequest.self, .init(path: path))
        _ = try await daemon.client.send(
            CalibrateRequest.self, .init(model: "m1", input: TextInput(text: text), count: 6, windowSize: 16, seed: 1))

        var params = PruningParams(model: "m1", calibration: "c1", sparsity: 0.3, method: .cfsp)
        params.options.temperature = 0.5
        params.options.align = 4
        let score = try await daemon.client.send(ScoreRequest.self, params)

        let loaded = try ModelLoader.load(path: path)
        let tokens = try #require(loaded.tokenizer).encode(text)
        let windows = try CalibrationWindows.windows(of: tokens, windowLength: 16, count: 6, seed: 1)
        let statistics = try Calibrator().calibrate(model: loaded.model, windows: windows, pool: ThreadPool(threads: 1))
        var options = PruningOptions(sparsity: 0.3, method: .cfsp)
        options.temperature = 0.5
        options.align = 4
        let plan = try Pruner().plan(model: loaded.model, statistics: statistics, options: options)
        options.compensation = .leastSquares  // the options echoed with cfsp's default compensation named
        #expect(score.options == options && plan.options == options)
        #expect(score.blocks.map(\.kept) == plan.blocks.map(\.keptCount))
        #expect(score.blocks.map(\.width) == [48, 48])
        #expect(score.keptNeurons == plan.keptNeurons)
        #expect(score.blocks.allSatisfy { $0.kept % 4 == 0 })
        for (got, want) in zip(score.blocks, plan.blocks) {
            #expect(abs(got.keepRatio - want.keepRatio) < 1e-9)
            #expect(abs(got.threshold - want.threshold) <= 1e-9 * max(1, abs(want.threshold)))
        }

        let pruned = try await daemon.client.send(PruneRequest.self, params)
        #expect(pruned.pruned == "m2")
        #expect(pruned.widths == plan.blocks.map(\.keptCount))
        #expect(pruned.parametersBefore == loaded.model.parameterCount)
        let compressed = try loaded.model.compressed(keeping: plan.blocks.map(\.kept))
        #expect(pruned.parametersAfter == compressed.parameterCount)
        #expect(pruned.ffnParametersAfter == compressed.ffnParameterCount)
        #expect(abs(pruned.shareRemoved - (1 - Double(compressed.parameterCount) / Double(loaded.model.parameterCount))) < 1e-12)
        let described = try await daemon.client.send(DescribeModelRequest.self, .init(model: "m2"))
        #expect(described.parent == "m1")
        #expect(described.config.intermediateSizes == pruned.widths)
        #expect(described.hasTokenizer)
    }

    @Test("evaluate gives Core's perplexity, with progress fields window, windows, tokensPerSecond")
    func evaluateMatchesCore() async throws {
        let folder = try ScratchFolder()
        let path = try writeTinyModel(in: folder)
        var random = TestRandom(seed: 8)
        let text = random.text(words: 200)
        let textFile = folder.file("text.txt")
        try text.write(toFile: textFile, atomically: true, encoding: .utf8)
        let daemon = try await InProcessDaemon()
        defer { daemon.close() }
        _ = try await daemon.client.send(LoadModelRequest.self, .init(path: path))

        let raw = try await daemon.client.sendRequest(
            method: "evaluate", params: ["model": "m1", "path": .string(textFile), "windowSize": 16, "maxWindows": 5,
                                         "workDoneToken": "ppl"])
        let result = try raw.decode(EvaluateRequest.Response.self)
        let loaded = try ModelLoader.load(path: path)
        let tokens = try #require(loaded.tokenizer).encode(text)
        let reference = try PerplexityEvaluator(windowSize: 16, maxWindows: 5)
            .evaluate(model: loaded.model, tokens: tokens, pool: ThreadPool(threads: 1))
        #expect(result.windows == 5)
        #expect(result.windowSize == 16)
        #expect(result.scoredTokens == reference.scoredTokens)
        #expect(abs(result.perplexity - reference.perplexity) <= 1e-9 * reference.perplexity)

        let progress = daemon.progress("ppl")
        #expect(progress.first?["kind"] == "begin")
        #expect(progress.first?["title"] == "evaluate")
        #expect(progress.last?["kind"] == "end")
        #expect(progress.last?["outcome"] == "completed")
        let report = try #require(progress.first { $0["kind"] == "report" })
        #expect(report["window"]?.intValue == 1)
        #expect(report["windows"]?.intValue == 5)
        #expect(report["tokensPerSecond"] != nil)
        #expect(report["perplexity"] != nil)
    }

    @Test("export to GGUF and Hugging Face reloads with the same perplexity; calibration save/load/release")
    func exportAndCalibrationFiles() async throws {
        let folder = try ScratchFolder()
        let path = try writeTinyModel(in: folder)
        var random = TestRandom(seed: 9)
        let text = random.text(words: 200)
        let daemon = try await InProcessDaemon()
        defer { daemon.close() }
        _ = try await daemon.client.send(LoadModelRequest.self, .init(path: path))
        _ = try await daemon.client.send(
            CalibrateRequest.self, .init(model: "m1", input: TextInput(text: text), count: 4, windowSize: 16))
        let saved = try await daemon.client.send(
            SaveCalibrationRequest.self, .init(calibration: "c1", path: folder.file("c1.json")))
        #expect(saved.bytes > 0)
        #expect(await errorCode {
            _ = try await daemon.client.send(SaveCalibrationRequest.self, .init(calibration: "c1", path: folder.file("c1.json")))
        } == 1007)
        let reloaded = try await daemon.client.send(LoadCalibrationRequest.self, .init(path: folder.file("c1.json"), model: "m1"))
        let original = try await daemon.client.send(
            ScoreRequest.self, PruningParams(model: "m1", calibration: "c1", sparsity: 0.25))
        let fromFile = try await daemon.client.send(
            ScoreRequest.self, PruningParams(model: "m1", calibration: reloaded.calibration, sparsity: 0.25))
        #expect(original.blocks == fromFile.blocks)
        _ = try await daemon.client.send(ReleaseCalibrationRequest.self, .init(calibration: reloaded.calibration))
        #expect(await errorCode {
            _ = try await daemon.client.send(ReleaseCalibrationRequest.self, .init(calibration: reloaded.calibration))
        } == 1002)

        let pruned = try await daemon.client.send(
            PruneRequest.self, PruningParams(model: "m1", calibration: "c1", sparsity: 0.25))
        let evaluate = EvaluateRequest.Params(model: pruned.pruned, input: TextInput(text: text), windowSize: 16)
        let before = try await daemon.client.send(EvaluateRequest.self, evaluate)

        let gguf = try await daemon.client.send(
            ExportRequest.self, .init(model: pruned.pruned, format: .gguf, path: folder.file("pruned.gguf")))
        #expect(gguf.hasTokenizer, "the source GGUF's tokenizer is carried over")
        #expect(gguf.bytes > 0)
        let hf = try await daemon.client.send(
            ExportRequest.self, .init(model: pruned.pruned, format: .hf, path: folder.file("pruned-hf"), precision: .f16))
        #expect(hf.precision == .f16)
        #expect(await errorCode {
            _ = try await daemon.client.send(
                ExportRequest.self, .init(model: pruned.pruned, format: .gguf, path: folder.file("pruned.gguf")))
        } == 1007)

        let back = try await daemon.client.send(LoadModelRequest.self, .init(path: folder.file("pruned.gguf")))
        #expect(back.config.intermediateSizes == pruned.widths)
        var again = evaluate
        again.model = back.model
        let after = try await daemon.client.send(EvaluateRequest.self, again)
        #expect(abs(after.perplexity - before.perplexity) <= 1e-6 * before.perplexity)
        let hfBack = try await daemon.client.send(LoadModelRequest.self, .init(path: folder.file("pruned-hf")))
        #expect(hfBack.config.intermediateSizes == pruned.widths)
        #expect(hfBack.hasTokenizer, "a GGUF-born model's HF export has a tokenizer.json built from the GGUF metadata")
        var hfAgain = evaluate
        hfAgain.model = hfBack.model
        let hfAfter = try await daemon.client.send(EvaluateRequest.self, hfAgain)
        // The exported tokenizer cuts the text into the same tokens; the weights are f16 there.
        #expect(hfAfter.scoredTokens == after.scoredTokens && hfAfter.windows == after.windows)
        #expect(abs(hfAfter.perplexity - before.perplexity) <= 1e-2 * before.perplexity)
    }

    @Test("read-only jobs run side by side on one model; unload while a job runs is refused with 1003")
    func concurrentJobsAndBusyUnload() async throws {
        let folder = try ScratchFolder()
        let path = try writeTinyModel(in: folder)
        var random = TestRandom(seed: 2)
        let text = random.text(words: 400)
        let daemon = try await InProcessDaemon()
        defer { daemon.close() }
        _ = try await daemon.client.send(LoadModelRequest.self, .init(path: path))

        let client = daemon.client
        let long = Task {
            try await client.sendRequest(method: "calibrate", params: [
                // Long enough (96M tokens) that it is still running when cancelled even when the
                // whole suite loads both cores; 300,000 windows once finished first under load.
                "model": "m1", "text": .string(text), "count": 3_000_000, "windowSize": 32, "workDoneToken": "long"])
        }
        try await waitUntil { daemon.progress("long").contains { $0["kind"] == "report" } }
        let side = try await client.send(
            EvaluateRequest.self, .init(model: "m1", input: TextInput(text: text), windowSize: 16, maxWindows: 2))
        #expect(side.windows == 2)
        let busy = await responseError { _ = try await client.send(UnloadModelRequest.self, .init(model: "m1")) }
        #expect(busy?.code == 1003)
        #expect(busy?.data?["jobs"] == ["calibrate"])
        long.cancel()
        #expect(await errorCode { _ = try await long.value } == -32800)
        try await waitUntil { daemon.progress("long").last?["kind"] == "end" }
        #expect(daemon.progress("long").last?["outcome"] == "cancelled")
        #expect(try await client.send(UnloadModelRequest.self, .init(model: "m1")).unloaded)
    }
}

extension JSONValue {
    func arrayContains(_ element: JSONValue) -> Bool {
        if case .array(let items) = self { return items.contains(element) }
        return false
    }
}
