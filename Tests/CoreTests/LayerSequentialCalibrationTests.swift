import Core
import Foundation
import Kernels
import Testing
import TestSupport

/// `LayerSequentialCalibrator` against the window-by-window `Calibrator`: the same statistics,
/// to the last bit, whether the blocks come from a loaded model or are read one at a time from a
/// (quantized) file, and whether the hidden states wait in memory or in a file.
@Suite("Layer-sequential calibration")
struct LayerSequentialCalibrationTests {
    static func windows(vocabulary: Int, lengths: [Int] = [12, 9, 12], seed: UInt64 = 5) -> [[Int32]] {
        var random = TestRandom(seed: seed)
        return lengths.map { n in (0..<n).map { _ in Int32(random.next() % UInt64(vocabulary)) } }
    }

    /// The tiny pruning model written to a Q8_0 GGUF in `scratch`, and that file opened.
    static func q8File(in scratch: ScratchFolder, named name: String) throws -> GGUFFile {
        let path = scratch.path + "/" + name
        _ = try GGUFExporter.export(try PruningTests.tinyModel(), to: path, precision: .q8_0)
        return try GGUFFile(path: path)
    }

    @Test("blocks of a loaded model, states in memory: the window-by-window statistics exactly, Gram and sublayers included")
    func residentEqualsWindowByWindow() throws {
        let model = try PruningTests.tinyModel()
        let windows = Self.windows(vocabulary: model.config.vocabSize)
        let pool = ThreadPool(threads: 2)
        let reference = try Calibrator().calibrate(model: model, windows: windows, pool: pool)
        let sequential = try LayerSequentialCalibrator().calibrate(source: ResidentBlocks(model: model), windows: windows, pool: pool)
        #expect(reference.hasGram && reference.hasSublayerStatistics)
        #expect(sequential == reference)
    }

    @Test("blocks read one at a time from a Q8_0 GGUF, states in a file: the statistics of the loaded file exactly")
    func fileBlocksEqualTheLoadedFile() throws {
        let scratch = try ScratchFolder()
        defer { scratch.remove() }
        let file = try Self.q8File(in: scratch, named: "tiny-q8.gguf")
        #expect(file.tensors.contains { $0.type == .q8_0 }, "the file really is quantized")
        let loaded = try LlamaModel(gguf: file, precision: .f32)
        let windows = Self.windows(vocabulary: loaded.config.vocabSize)
        let pool = ThreadPool(threads: 2)
        let reference = try Calibrator().calibrate(model: loaded, windows: windows, pool: pool)
        let calibrator = LayerSequentialCalibrator(storage: .temporaryFile(directory: scratch.path))
        let sequential = try calibrator.calibrate(source: try FileBlocks(gguf: file, precision: .f32), windows: windows, pool: pool)
        #expect(sequential == reference)
        let left = try FileManager.default.contentsOfDirectory(atPath: scratch.path)
        #expect(left == ["tiny-q8.gguf"], "the hidden-state file leaves nothing behind")
    }

    @Test("a GGUF embedding lookup dequantizes just the rows asked for, equal to the whole table's rows")
    func ggufRowsEqualTheWholeTable() throws {
        let scratch = try ScratchFolder()
        defer { scratch.remove() }
        let file = try Self.q8File(in: scratch, named: "tiny.gguf")
        let name = TensorNaming.gguf.tokenEmbedding
        let shape = try #require(file.descriptor(name)?.shape)
        let whole = try file.floats(name)
        let picked = [3, 0, shape[0] - 1, 3]
        let rows = try file.rows(name, picked)
        let h = shape[1]
        #expect(rows.count == picked.count * h)
        for (k, row) in picked.enumerated() {
            #expect(Array(rows[(k * h)..<((k + 1) * h)]) == Array(whole[(row * h)..<((row + 1) * h)]))
        }
        #expect(throws: GGUFError.self) { try file.rows(name, [shape[0]]) }
    }

    @Test("progress rises to every window, cancellation stops the pass, bad windows are refused")
    func progressCancellationAndErrors() throws {
        let model = try PruningTests.tinyModel()
        let windows = Self.windows(vocabulary: model.config.vocabSize)
        let pool = ThreadPool(threads: 1)
        var seen: [Int] = []
        _ = try LayerSequentialCalibrator(gram: false).calibrate(
            source: ResidentBlocks(model: model), windows: windows, pool: pool, progress: { seen.append($0.windowsDone) })
        #expect(seen.count == model.config.numLayers * windows.count)
        #expect(seen == seen.sorted() && seen.last == windows.count)
        var calls = 0
        #expect(throws: OperationCancelled.self) {
            _ = try LayerSequentialCalibrator().calibrate(
                source: ResidentBlocks(model: model), windows: windows, pool: pool, isCancelled: {
                    calls += 1
                    return calls > 5
                })
        }
        #expect(throws: ModelError.self) {
            _ = try LayerSequentialCalibrator().calibrate(source: ResidentBlocks(model: model), windows: [[1], []], pool: pool)
        }
        #expect(throws: ModelError.self) {
            _ = try LayerSequentialCalibrator().calibrate(
                source: ResidentBlocks(model: model), windows: [[Int32(model.config.vocabSize)]], pool: pool)
        }
        #expect(throws: ScratchFileError.self) {
            _ = try LayerSequentialCalibrator(storage: .temporaryFile(directory: "/nonexistent-cfsp-folder")).calibrate(
                source: ResidentBlocks(model: model), windows: windows, pool: pool)
        }
    }
}
