import Core
import Foundation
import Kernels
import Testing
import TestSupport

/// Pruning a model from its file one block at a time (issue 16) against the loaded path: the Gram
/// matrices a layer-sequential pass spills to disk come back bit for bit, the plan made over
/// blocks read from the file is the loaded model's, and the GGUF streamed block by block is the
/// file `GGUFExporter.export` writes for `Pruner.prune`'s model, byte for byte.
@Suite("Streamed pruning")
struct StreamedPruningTests {
    /// The tiny pruning model as a Q8_0 GGUF in a new scratch folder (remove it when done), its
    /// blocks as read from the file, and calibration windows for it.
    static func tinyFile() throws -> (scratch: ScratchFolder, file: GGUFFile, source: FileBlocks, windows: [[Int32]]) {
        let scratch = try ScratchFolder()
        let file = try LayerSequentialCalibrationTests.q8File(in: scratch, named: "tiny-q8.gguf")
        let source = try FileBlocks(gguf: file, precision: .f32)
        return (scratch, file, source, LayerSequentialCalibrationTests.windows(vocabulary: source.config.vocabSize))
    }

    @Test("spilled Gram matrices come back bit for bit, and the statistics without them are the in-memory pass's")
    func spilledGramsEqualTheInMemoryOnes() throws {
        let (scratch, _, source, windows) = try Self.tinyFile()
        defer { scratch.remove() }
        let pool = ThreadPool(threads: 2)
        let inMemory = try LayerSequentialCalibrator().calibrate(source: source, windows: windows, pool: pool)
        let (statistics, grams) = try LayerSequentialCalibrator().calibrate(
            source: source, windows: windows, pool: pool, spillingGramsTo: scratch.path)
        #expect(inMemory.hasGram && !statistics.hasGram)
        #expect(grams.byteCount > 0)
        for (l, block) in inMemory.blocks.enumerated() {
            #expect(try grams.gram(block: l, kind: .ffn) == block.gram, "block \(l) FFN Gram")
            #expect(try grams.gram(block: l, kind: .attention) == block.attentionGram, "block \(l) attention Gram")
            var stripped = block
            stripped.gram = nil
            stripped.attentionGram = nil
            #expect(statistics.blocks[l] == stripped, "block \(l) statistics")
        }
        #expect(try grams.gram(block: inMemory.blocks.count, kind: .ffn) == nil)
        let left = try FileManager.default.contentsOfDirectory(atPath: scratch.path)
        #expect(left == ["tiny-q8.gguf"], "the Gram file leaves nothing behind")
    }

    @Test("plan over file blocks and GGUF streamed block by block equal the loaded model's, byte for byte",
          arguments: [(PruningMethod.cfsp, Compensation?.none), (.cfsp, .some(.none)), (.flap, .some(.none)),
                      (.cfsp, .some(.obs)), (.flap, .some(.leastSquares))])
    func streamedExportEqualsTheLoadedExport(method: PruningMethod, compensation: Compensation?) throws {
        let (scratch, file, source, windows) = try Self.tinyFile()
        defer { scratch.remove() }
        let loaded = try LlamaModel(gguf: file, precision: .f32)
        let pool = ThreadPool(threads: 2)
        let (statistics, grams) = try LayerSequentialCalibrator().calibrate(
            source: source, windows: windows, pool: pool, spillingGramsTo: scratch.path)
        let full = try Calibrator().calibrate(model: loaded, windows: windows, pool: pool)
        var options = PruningOptions(sparsity: 0.4)
        options.method = method
        options.compensation = compensation
        let plan = try Pruner().plan(source: source, statistics: statistics, options: options, pool: pool, grams: grams)
        let (pruned, loadedPlan) = try Pruner().prune(model: loaded, statistics: full, options: options, pool: pool)
        #expect(plan == loadedPlan)
        // The counts from the file's shape and the plan are the loaded models' own.
        let before = source.parameterCounts(), after = source.parameterCounts(plan: plan)
        #expect(before.parameters == loaded.parameterCount && before.ffnParameters == loaded.ffnParameterCount)
        #expect(after.parameters == pruned.parameterCount && after.ffnParameters == pruned.ffnParameterCount)
        #expect(after.parameters < before.parameters)

        let streamedPath = scratch.file("streamed.gguf"), loadedPath = scratch.file("loaded.gguf")
        let streamed = try GGUFExporter.exportPruned(
            blocksOf: source, plan: plan, statistics: statistics, grams: grams, to: streamedPath, sourceFile: file)
        let reference = try GGUFExporter.export(pruned, to: loadedPath, source: file)
        #expect(streamed.architecture == reference.architecture && streamed.tensorCount == reference.tensorCount)
        #expect(streamed.hasTokenizer == reference.hasTokenizer && streamed.tensorTally == reference.tensorTally)
        #expect(streamed.notes == reference.notes)
        let bytes = try Data(contentsOf: URL(fileURLWithPath: streamedPath))
        #expect(bytes == (try Data(contentsOf: URL(fileURLWithPath: loadedPath))), "\(method) \(String(describing: compensation))")
        #expect(try LlamaModel(gguf: GGUFFile(path: streamedPath), precision: .f32).config.intermediateSizes
                == pruned.config.intermediateSizes)
    }

    @Test("the streamed export tells each block as it reaches it, and a cancellation leaves no file")
    func exportProgressAndCancellation() throws {
        let (scratch, file, source, windows) = try Self.tinyFile()
        defer { scratch.remove() }
        let pool = ThreadPool(threads: 2)
        let statistics = try LayerSequentialCalibrator(gram: false).calibrate(source: source, windows: windows, pool: pool)
        var options = PruningOptions(sparsity: 0.3)
        options.compensation = Compensation.none
        let plan = try Pruner().plan(source: source, statistics: statistics, options: options, pool: pool)
        let blocks = Recorder<Int>()
        try GGUFExporter.exportPruned(blocksOf: source, plan: plan, statistics: statistics, to: scratch.file("all.gguf"),
                                      sourceFile: file, progress: { blocks.append($0) })
        #expect(blocks.all == Array(0..<source.config.numLayers), "each block once, in order")

        let stopped = scratch.file("stopped.gguf")
        let reached = Recorder<Int>()
        do {
            try GGUFExporter.exportPruned(blocksOf: source, plan: plan, statistics: statistics, to: stopped,
                                          sourceFile: file, progress: { reached.append($0) },
                                          isCancelled: { reached.all.count >= 1 })
            Issue.record("a cancelled export finished")
        } catch is OperationCancelled {}
        #expect(reached.all == [0], "stopped before the second block was read")
        #expect(!FileManager.default.fileExists(atPath: stopped))
        let left = try FileManager.default.contentsOfDirectory(atPath: scratch.path).sorted()
        #expect(left == ["all.gguf", "tiny-q8.gguf"], "no temporary file is left either")
    }

    @Test("a plan that removes attention or depth is refused from file blocks, with what to do instead")
    func structuresNeedTheLoadedModel() throws {
        let (scratch, _, source, windows) = try Self.tinyFile()
        defer { scratch.remove() }
        let statistics = try LayerSequentialCalibrator(gram: false).calibrate(
            source: source, windows: windows, pool: ThreadPool(threads: 1))
        var options = PruningOptions(sparsity: 0.3)
        options.structures = [.ffn, .depth]
        do {
            _ = try Pruner().plan(source: source, statistics: statistics, options: options)
            Issue.record("a depth plan over file blocks was not refused")
        } catch let error as PruningError {
            #expect("\(error)".contains("need the model loaded"))
        }
    }
}
