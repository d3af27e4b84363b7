import CFSPProtocol
import Core
import Daemon
import Foundation
import Kernels
import RPC
import Testing
import TestSupport

/// `calibration/merge` over an in-process connection: calibrating windows A and B apart and
/// merging gives the statistics of calibrating A and B together, and inputs that do not add up
/// are refused with code 1009 naming the statistic.
@Suite("calibration/merge", .timeLimit(.minutes(5)))
struct CalibrationMergeTests {
    /// Windows of 16 seeded token ids: A (3 windows), B (2 windows) and A + B.
    static func windows(seed: UInt64 = 31) -> (a: [[Int]], b: [[Int]]) {
        var random = TestRandom(seed: seed)
        let window = { (0..<16).map { _ in random.int(below: TestModelFile.vocabularySize) } }
        return ((0..<3).map { _ in window() }, (0..<2).map { _ in window() })
    }

    /// The statistics a calibration handle holds, read back from the file `calibration/save` writes.
    static func statistics(_ handle: String, _ daemon: InProcessDaemon, _ folder: ScratchFolder) async throws
        -> CalibrationStatistics
    {
        let path = folder.file("\(handle).json")
        _ = try await daemon.client.send(SaveCalibrationRequest.self, .init(calibration: handle, path: path, overwrite: true))
        return try JSONDecoder().decode(CalibrationStatistics.self, from: Data(contentsOf: URL(fileURLWithPath: path)))
    }

    /// Every statistic of `got` equals `want`'s within 1e-6 relative (1e-9 absolute near zero).
    static func expectClose(_ got: CalibrationStatistics, _ want: CalibrationStatistics,
                            sourceLocation: SourceLocation = #_sourceLocation) {
        func close(_ x: Double, _ y: Double) -> Bool { abs(x - y) <= max(1e-6 * abs(y), 1e-9) }
        func allClose(_ x: [Double], _ y: [Double]) -> Bool { x.count == y.count && zip(x, y).allSatisfy(close) }
        #expect(got.windows == want.windows && got.tokens == want.tokens && got.windowSize == want.windowSize,
                sourceLocation: sourceLocation)
        #expect(got.hiddenSize == want.hiddenSize && got.formatVersion == want.formatVersion, sourceLocation: sourceLocation)
        #expect(got.blocks.count == want.blocks.count, sourceLocation: sourceLocation)
        for (g, w) in zip(got.blocks, want.blocks) {
            #expect(close(g.angularSum, w.angularSum) && close(g.cosineSum, w.cosineSum), sourceLocation: sourceLocation)
            #expect(close(g.mseSum, w.mseSum) && close(g.maeSum, w.maeSum), sourceLocation: sourceLocation)
            #expect(allClose(g.activationSum, w.activationSum), sourceLocation: sourceLocation)
            #expect(allClose(g.activationSquareSum, w.activationSquareSum), sourceLocation: sourceLocation)
            #expect(g.gram?.size == w.gram?.size, sourceLocation: sourceLocation)
            if let gg = g.gram, let wg = w.gram {
                #expect(allClose(gg.packed, wg.packed), sourceLocation: sourceLocation)
            }
        }
    }

    @Test("merging A and B gives every statistic of A + B; pruning from it keeps the same neurons and the same perplexity")
    func mergeEqualsJoint() async throws {
        let folder = try ScratchFolder()
        let path = try writeTinyModel(in: folder)
        let (a, b) = Self.windows()
        let daemon = try await InProcessDaemon()
        defer { daemon.close() }
        _ = try await daemon.client.send(LoadModelRequest.self, .init(path: path))
        let partA = try await daemon.client.send(CalibrateRequest.self, .init(model: "m1", input: TextInput(windows: a)))
        let partB = try await daemon.client.send(CalibrateRequest.self, .init(model: "m1", input: TextInput(windows: b)))
        let joint = try await daemon.client.send(CalibrateRequest.self, .init(model: "m1", input: TextInput(windows: a + b)))
        #expect(joint.gram, "calibrate keeps the Gram matrices by default")

        let merged = try await daemon.client.send(
            MergeCalibrationsRequest.self, .init(calibrations: [partA.calibration, partB.calibration], blockMetric: .mse))
        #expect(merged.calibration == "c4" && merged.model == "m1")
        #expect(merged.windows == 5 && merged.tokens == 80 && merged.windowSize == 16 && merged.gram)
        #expect(merged.seconds == 0 && merged.blockMetric == .mse)
        let jointStatistics = try await Self.statistics(joint.calibration, daemon, folder)
        let mergedStatistics = try await Self.statistics(merged.calibration, daemon, folder)
        Self.expectClose(mergedStatistics, jointStatistics)
        #expect(mergedStatistics.hasGram)
        let mseJoint = BlockMetric.mse.importance(jointStatistics)
        #expect(zip(merged.importance, mseJoint).allSatisfy { abs($0 - $1) <= 1e-6 * abs($1) })

        // The same parts as saved files (what Ray workers send) merge to the same statistics, bit for bit.
        for part in [partA, partB] {
            _ = try await daemon.client.send(SaveCalibrationRequest.self,
                                             .init(calibration: part.calibration, path: folder.file("part-\(part.calibration).json")))
        }
        let fromFiles = try await daemon.client.send(MergeCalibrationsRequest.self, .init(
            paths: [folder.file("part-\(partA.calibration).json"), folder.file("part-\(partB.calibration).json")], model: "m1"))
        #expect(fromFiles.model == "m1")
        #expect(try await Self.statistics(fromFiles.calibration, daemon, folder) == mergedStatistics)
        let mixed = try await daemon.client.send(MergeCalibrationsRequest.self, .init(
            calibrations: [partA.calibration], paths: [folder.file("part-\(partB.calibration).json")]))
        #expect(mixed.model == nil, "a file has no model, and none was named")
        #expect(try await Self.statistics(mixed.calibration, daemon, folder) == mergedStatistics)

        // Pruning (cfsp with its least-squares compensation, which uses the Gram matrices) from the
        // merged calibration keeps what pruning from the joint one keeps.
        let loaded = try ModelLoader.load(path: path)
        let options = PruningOptions(sparsity: 0.3, method: .cfsp)
        let jointPlan = try Pruner().plan(model: loaded.model, statistics: jointStatistics, options: options)
        let mergedPlan = try Pruner().plan(model: loaded.model, statistics: mergedStatistics, options: options)
        #expect(mergedPlan.blocks.map(\.kept) == jointPlan.blocks.map(\.kept))
        let fromJoint = try await daemon.client.send(
            PruneRequest.self, PruningParams(model: "m1", calibration: joint.calibration, sparsity: 0.3))
        let fromMerged = try await daemon.client.send(
            PruneRequest.self, PruningParams(model: "m1", calibration: merged.calibration, sparsity: 0.3))
        #expect(fromMerged.widths == fromJoint.widths && fromMerged.widths == jointPlan.blocks.map(\.keptCount))
        let text = TextInput(tokens: a.flatMap { $0 })
        let pplJoint = try await daemon.client.send(EvaluateRequest.self, .init(model: fromJoint.pruned, input: text, windowSize: 16))
        let pplMerged = try await daemon.client.send(EvaluateRequest.self, .init(model: fromMerged.pruned, input: text, windowSize: 16))
        #expect(abs(pplMerged.perplexity - pplJoint.perplexity) <= 1e-6 * pplJoint.perplexity)
    }

    @Test("merging one calibration twice counts its windows twice (the caller's choice)")
    func mergeTwice() async throws {
        let folder = try ScratchFolder()
        let path = try writeTinyModel(in: folder)
        let (a, _) = Self.windows()
        let daemon = try await InProcessDaemon()
        defer { daemon.close() }
        _ = try await daemon.client.send(LoadModelRequest.self, .init(path: path))
        let part = try await daemon.client.send(
            CalibrateRequest.self, .init(model: "m1", input: TextInput(windows: a), gram: false))
        let twice = try await daemon.client.send(MergeCalibrationsRequest.self, .init(calibrations: ["c1", "c1"]))
        let doubled = try await daemon.client.send(CalibrateRequest.self,
                                                   .init(model: "m1", input: TextInput(windows: a + a), gram: false))
        #expect(twice.windows == 2 * part.windows && twice.tokens == 2 * part.tokens && !twice.gram)
        Self.expectClose(try await Self.statistics(twice.calibration, daemon, folder),
                         try await Self.statistics(doubled.calibration, daemon, folder))
        let once = try await daemon.client.send(MergeCalibrationsRequest.self, .init(calibrations: ["c1"]))
        let copy = try await Self.statistics(once.calibration, daemon, folder)
        #expect(try await copy == Self.statistics("c1", daemon, folder), "one input gives a copy")
    }

    @Test("mismatched inputs are refused: 1009 naming the statistic and the inputs, 1002, 1004, 1006, -32602")
    func mismatches() async throws {
        let folder = try ScratchFolder()
        let path = try writeTinyModel(in: folder)
        let (a, b) = Self.windows()
        let daemon = try await InProcessDaemon()
        defer { daemon.close() }
        _ = try await daemon.client.send(LoadModelRequest.self, .init(path: path))
        _ = try await daemon.client.send(CalibrateRequest.self, .init(model: "m1", input: TextInput(windows: a)))  // c1
        let short = b.map { Array($0.prefix(12)) }
        _ = try await daemon.client.send(CalibrateRequest.self, .init(model: "m1", input: TextInput(windows: short)))  // c2
        _ = try await daemon.client.send(CalibrateRequest.self, .init(model: "m1", input: TextInput(windows: b), gram: false))  // c3
        let pruned = try await daemon.client.send(PruneRequest.self, PruningParams(model: "m1", calibration: "c1", sparsity: 0.5))
        _ = try await daemon.client.send(CalibrateRequest.self, .init(model: pruned.pruned, input: TextInput(windows: b)))  // c4

        func refusal(_ params: MergeCalibrationsParams) async -> ResponseError? {
            await responseError { _ = try await daemon.client.send(MergeCalibrationsRequest.self, params) }
        }
        let windowSize = await refusal(.init(calibrations: ["c1", "c2"]))
        #expect(windowSize?.code == 1009)
        #expect(windowSize?.data?["member"] == "windowSize" && windowSize?.data?["inputs"] == ["c1", "c2"])
        #expect(windowSize?.message.contains("'c1' was calibrated on windows of 16 tokens and 'c2' on windows of 12") == true,
                "\(windowSize?.message ?? "")")
        let gram = await refusal(.init(calibrations: ["c1", "c3"]))
        #expect(gram?.code == 1009 && gram?.data?["member"] == "gram" && gram?.data?["inputs"] == ["c1", "c3"])
        #expect(gram?.message.contains("'c1' has the Gram matrices and 'c3' has none") == true, "\(gram?.message ?? "")")
        let shape = await refusal(.init(calibrations: ["c1", "c4"]))
        #expect(shape?.code == 1009 && shape?.data?["member"] == "blocks" && shape?.data?["inputs"] == ["c1", "c4"])
        #expect(shape?.message.contains("models of different shapes (blocks [48, 48] and") == true, "\(shape?.message ?? "")")

        let unknown = await refusal(.init(calibrations: ["c1", "c9"]))
        #expect(unknown?.code == 1002 && unknown?.data?["calibration"] == "c9")
        #expect(await refusal(.init(calibrations: ["c1"], paths: [folder.file("missing.json")]))?.code == 1004)
        #expect(await refusal(.init(calibrations: ["c1"], model: pruned.pruned))?.code == 1006)
        #expect(await refusal(.init(calibrations: ["c1"], model: "m9"))?.code == 1001)
        let none = await refusal(.init())
        #expect(none?.code == -32602)
        #expect(none?.message.contains("give at least one calibration to merge") == true)
    }
}
