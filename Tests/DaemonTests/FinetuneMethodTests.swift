import CFSPProtocol
import Core
import Daemon
import Foundation
import Kernels
import RPC
import Testing
import TestSupport

/// `finetune` over an in-process connection pair, checked against Core's trainer called directly.
@Suite("finetune over an in-process connection", .timeLimit(.minutes(5)))
struct FinetuneMethodTests {
    @Test("prune then finetune: merged model with the pruned shapes and the same loss curve as Core")
    func finetuneMatchesCore() async throws {
        let folder = try ScratchFolder()
        let path = try writeTinyModel(in: folder)
        var random = TestRandom(seed: 5)
        let text = random.text(words: 400)
        let daemon = try await InProcessDaemon()
        defer { daemon.close() }
        _ = try await daemon.client.send(LoadModelRequest.self, .init(path: path))
        _ = try await daemon.client.send(
            CalibrateRequest.self, .init(model: "m1", input: TextInput(text: text), count: 4, windowSize: 16, seed: 1))
        let pruned = try await daemon.client.send(
            PruneRequest.self, PruningParams(model: "m1", calibration: "c1", sparsity: 0.3))

        var params = FinetuneRequest.Params(model: pruned.pruned, input: TextInput(text: text), steps: 3)
        params.options.sequenceLength = 16
        params.options.rank = 2
        params.calibration = "c1"
        params.options.seed = 9
        let result = try await daemon.client.send(FinetuneRequest.self, params)
        #expect(result.model == pruned.pruned)
        #expect(result.stepsCompleted == 3 && result.lossCurve.count == 3 && !result.cancelled)
        #expect(result.ranks.count == 2)
        let described = try await daemon.client.send(DescribeModelRequest.self, .init(model: result.finetuned))
        #expect(described.config.intermediateSizes == pruned.widths)
        #expect(described.parent == pruned.pruned)

        // The same run through Core directly gives the same loss curve, bit for bit.
        let loaded = try ModelLoader.load(path: path)
        let tokens = try #require(loaded.tokenizer).encode(text)
        let windows = try CalibrationWindows.windows(of: tokens, windowLength: 16, count: 4, seed: 1)
        let pool = ThreadPool(threads: ThreadPool.availableProcessors)
        let stats = try Calibrator().calibrate(model: loaded.model, windows: windows, pool: pool)
        let (model, _) = try Pruner().prune(model: loaded.model, statistics: stats, options: PruningOptions(sparsity: 0.3))
        var options = FineTuneOptions(steps: 3, rank: 2, allocation: .importance)
        options.sequenceLength = 16
        options.seed = 9
        let direct = try RecoveryTrainer(options: options).train(
            model: model, windows: [tokens], importance: BlockMetric.angular.importance(stats), pool: pool)
        #expect(direct.lossCurve == result.lossCurve)
        #expect(direct.ranks == result.ranks)
    }

    @Test("importance ranks without a calibration, options out of range, and allocations without what they need are refused with specific codes")
    func badRequests() async throws {
        let folder = try ScratchFolder()
        let path = try writeTinyModel(in: folder)
        let daemon = try await InProcessDaemon()
        defer { daemon.close() }
        _ = try await daemon.client.send(LoadModelRequest.self, .init(path: path))
        let noCalibration = FinetuneRequest.Params(model: "m1", input: TextInput(text: "the quick brown fox"), steps: 2)
        #expect(await errorCode { _ = try await daemon.client.send(FinetuneRequest.self, noCalibration) } == 1005)
        var noSteps = FinetuneRequest.Params(model: "m1", input: TextInput(text: "the quick brown fox"), steps: 0)
        noSteps.options.allocation = .uniform
        let stepsError = await responseError { _ = try await daemon.client.send(FinetuneRequest.self, noSteps) }
        #expect(stepsError?.code == -32602, "a member out of its range is invalid params")
        #expect(stepsError?.message.contains("'steps' must be an integer at least 1, not 0") == true, "\(stepsError?.message ?? "")")
        #expect(stepsError?.data?["member"] == "steps")
        #expect(stepsError?.data?["minimum"] == 1)
        var ranks = FinetuneRequest.Params(model: "m1", input: TextInput(text: "the quick brown fox"), steps: 2)
        ranks.options.allocation = .uniform
        ranks.options.minRank = 16
        #expect(await errorCode { _ = try await daemon.client.send(FinetuneRequest.self, ranks) } == 1005,
                "options that do not fit together are bad data")
        var notPruned = FinetuneRequest.Params(model: "m1", input: TextInput(text: "the quick brown fox"), steps: 2)
        notPruned.options.allocation = .pruned
        #expect(await errorCode { _ = try await daemon.client.send(FinetuneRequest.self, notPruned) } == 1005)
        #expect(await errorCode {
            _ = try await daemon.client.send(FinetuneRequest.self, .init(model: "m9", input: TextInput(text: "a"), steps: 1))
        } == 1001)
    }

    @Test("distillation: the model taught by itself (the control) matches Core, and a missing or unwanted teacher is refused")
    func distillation() async throws {
        let folder = try ScratchFolder()
        let path = try writeTinyModel(in: folder)
        var random = TestRandom(seed: 6)
        let text = random.text(words: 300)
        let daemon = try await InProcessDaemon()
        defer { daemon.close() }
        _ = try await daemon.client.send(LoadModelRequest.self, .init(path: path))
        var params = FinetuneRequest.Params(model: "m1", input: TextInput(text: text), steps: 2)
        params.options.sequenceLength = 16
        params.options.rank = 2
        params.options.allocation = .uniform
        params.options.objective = .distillation
        #expect(await errorCode { _ = try await daemon.client.send(FinetuneRequest.self, params) } == 1005,
                "distillation without a teacher is bad data")
        params.teacher = "m7"
        #expect(await errorCode { _ = try await daemon.client.send(FinetuneRequest.self, params) } == 1001,
                "an unknown teacher handle is an unknown model")
        params.teacher = "m1"
        let result = try await daemon.client.send(FinetuneRequest.self, params)
        #expect(result.stepsCompleted == 2)
        // The model taught by itself starts at zero loss and gradient (B = 0), so it stays put.
        #expect(result.lossCurve.allSatisfy { abs($0) < 1e-6 }, "\(result.lossCurve)")

        let loaded = try ModelLoader.load(path: path)
        let tokens = try #require(loaded.tokenizer).encode(text)
        var options = FineTuneOptions(steps: 2, rank: 2, allocation: .uniform)
        options.sequenceLength = 16
        options.objective = .distillation
        let direct = try RecoveryTrainer(options: options).train(
            model: loaded.model, windows: [tokens], teacher: loaded.model, pool: ThreadPool(threads: ThreadPool.availableProcessors))
        #expect(direct.lossCurve == result.lossCurve)

        var unwanted = FinetuneRequest.Params(model: "m1", input: TextInput(text: text), steps: 1)
        unwanted.options.allocation = .uniform
        unwanted.teacher = "m1"
        #expect(await errorCode { _ = try await daemon.client.send(FinetuneRequest.self, unwanted) } == 1005,
                "a teacher with the language-model objective is refused, not ignored")
    }
}
