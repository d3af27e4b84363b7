import Core
import Foundation
import Kernels
import Testing

/// Layer-sequential calibration on the real SmolLM2-135M (CFSP_MODEL, Q4_1): blocks read one at
/// a time from the GGUF, hidden states in a temporary file, give the statistics of the
/// window-by-window pass over the fully loaded model (issue 16, item 2).
@Suite("LayerSequentialIntegration", .serialized)
struct LayerSequentialIntegration {
    @Test func fileBlocksGiveTheStatisticsOfTheLoadedModel() throws {
        let path = try GGUFIntegration.modelPath()
        let pool = ThreadPool(threads: ThreadPool.availableProcessors)
        let loaded = try LlamaModel(gguf: try GGUFFile(path: path), precision: .f32)
        // Two windows of 128 ids spread over the vocabulary (the statistics compared, not their meaning).
        let vocabulary = loaded.config.vocabSize
        let windows = (0..<2).map { w in (0..<128).map { Int32((w * 7919 + $0 * 104_729) % vocabulary) } }
        let reference = try Calibrator().calibrate(model: loaded, windows: windows, pool: pool)
        let sequential = try LayerSequentialCalibrator(storage: .temporaryFile(directory: NSTemporaryDirectory()))
            .calibrate(source: try FileBlocks(gguf: try GGUFFile(path: path), precision: .f32), windows: windows, pool: pool)
        #expect(reference.blocks.count == 30 && reference.hasGram && reference.hasSublayerStatistics)
        #expect(sequential == reference)
    }
}
