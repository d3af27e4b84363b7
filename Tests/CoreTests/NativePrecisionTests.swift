import Core
import Foundation
import Kernels
import Testing
import TestSupport

/// Weights kept in the file's own encoding (issue 16 item 1, precision `.native`) against the
/// same file loaded as f32: every GGUF encoding a quantized export writes (f16, bf16, Q8_0, Q4_0,
/// Q4_K, Q5_K, Q6_K and the Q5_0/Q5_1/Q8_0 fallbacks of a 288-wide ffn_down) computes the f32
/// load's logits bit for bit, in a fraction of the memory; pruning keeps gate/up rows encoded and
/// gives the f32 load's pruned model; training and export see the same numbers.
@Suite("Native (file-encoded) weights")
struct NativePrecisionTests {
    static let precisions: [ExportPrecision] = [.f16, .bf16, .q8_0, .q4_0, .q4_k_m, .q5_k_m, .q6_k]

    /// A tiny model whose rows are whole K-quant blocks (hidden 256), one FFN 288 wide (not whole
    /// 256-value blocks: its ffn_down falls back to a 32-value type), written as `precision`.
    static func file(_ precision: ExportPrecision, in scratch: ScratchFolder, tied: Bool = true) throws -> GGUFFile {
        var config = LlamaConfig.tiny(layers: 2, hidden: 256, heads: 4, kvHeads: 2, ffn: 512, vocab: 96)
        config.intermediateSizes = [512, 288]
        config.tieWordEmbeddings = tied
        let path = scratch.url.appendingPathComponent("\(precision.rawValue)-\(tied).gguf").path
        _ = try GGUFExporter.export(try LlamaModel.random(config: config, seed: 5), to: path, precision: precision)
        return try GGUFFile(path: path)
    }

    static let probe: [Int32] = [3, 17, 95, 0, 42, 8, 8, 61, 29, 77, 1]

    @Test("logits equal the f32 load's bit for bit, with the matrices kept encoded", arguments: precisions)
    func logitsEqualTheF32Load(precision: ExportPrecision) throws {
        let scratch = try ScratchFolder(); defer { scratch.remove() }
        // Untied once (an encoded head of its own); tied for every encoding.
        for tied in precision == .q4_k_m ? [true, false] : [true] {
            let file = try Self.file(precision, in: scratch, tied: tied)
            let f32 = try LlamaModel(gguf: file, precision: .f32)
            let native = try LlamaModel(gguf: file, precision: .native)
            #expect(native.precision == .native)
            for block in native.blocks {
                for linear in BlockLinear.allCases {
                    #expect(linear.weights(in: block).precision == .native, "\(linear) stays \(precision.rawValue)")
                }
            }
            #expect(native.outputHead.precision == .native && native.embeddings.encoded != nil)
            #expect(native.parameterCount == f32.parameterCount)
            #expect(native.embedding == f32.embedding)
            let pool = ThreadPool(threads: 2)
            #expect(try native.logits(for: Self.probe, pool: pool) == f32.logits(for: Self.probe, pool: pool),
                    "\(precision.rawValue), tied \(tied)")
            // One token at a time (the GEMV path) too.
            #expect(try native.nextTokenLogits(after: [5], pool: pool) == f32.nextTokenLogits(after: [5], pool: pool))
            // The encoded bytes are what the file holds: at most half the f32 bytes (f16/bf16), about
            // a seventh for the 4-bit types.
            let ratio = Double(Self.matrixBytes(native)) / Double(Self.matrixBytes(f32))
            #expect(ratio <= (precision.isQuantized ? 0.3 : 0.5), "\(precision.rawValue): \(ratio)")
        }
    }

    /// Bytes of every matrix (blocks, embedding, an untied head).
    static func matrixBytes(_ model: LlamaModel) -> Int {
        let blocks = model.blocks.reduce(0) { sum, block in
            sum + BlockLinear.allCases.reduce(0) { $0 + $1.weights(in: block).storageBytes }
        }
        return blocks + model.embeddings.storageBytes + (model.config.tieWordEmbeddings ? 0 : model.outputHead.storageBytes)
    }

    @Test("pruning keeps gate/up rows encoded, stores down as f32, and gives the f32 load's pruned model",
          arguments: [(ExportPrecision.q4_k_m, Compensation.leastSquares), (.q8_0, .none), (.bf16, .obs)])
    func pruningEqualsTheF32Load(precision: ExportPrecision, compensation: Compensation) throws {
        let scratch = try ScratchFolder(); defer { scratch.remove() }
        let file = try Self.file(precision, in: scratch)
        let f32 = try LlamaModel(gguf: file, precision: .f32)
        let native = try LlamaModel(gguf: file, precision: .native)
        let pool = ThreadPool(threads: 2)
        let windows: [[Int32]] = (0..<3).map { w in (0..<40).map { Int32(($0 * 7 + w * 13) % 96) } }
        let statistics = try Calibrator().calibrate(model: native, windows: windows, pool: pool)
        #expect(statistics == (try Calibrator().calibrate(model: f32, windows: windows, pool: pool)))
        var options = PruningOptions(sparsity: 0.3)
        options.compensation = compensation
        let (prunedNative, planNative) = try Pruner().prune(model: native, statistics: statistics, options: options, pool: pool)
        let (prunedF32, planF32) = try Pruner().prune(model: f32, statistics: statistics, options: options, pool: pool)
        #expect(planNative.blocks.map(\.kept) == planF32.blocks.map(\.kept))
        for block in prunedNative.blocks {
            #expect(block.gate.precision == .native && block.up.precision == .native && block.query.precision == .native)
            #expect(block.down.precision == .f32, "down loses columns: repacked as f32")
        }
        #expect(try prunedNative.logits(for: Self.probe, pool: pool) == prunedF32.logits(for: Self.probe, pool: pool))
        // The exported files are the same bytes (export reads the decoded values either way).
        let a = scratch.url.appendingPathComponent("native.gguf").path, b = scratch.url.appendingPathComponent("f32.gguf").path
        _ = try GGUFExporter.export(prunedNative, to: a, precision: precision)
        _ = try GGUFExporter.export(prunedF32, to: b, precision: precision)
        #expect(FileManager.default.contents(atPath: a) == FileManager.default.contents(atPath: b))
    }

    @Test("attention pruning keeps q/k/v rows encoded and equals the f32 load's")
    func attentionPruningEqualsTheF32Load() throws {
        let scratch = try ScratchFolder(); defer { scratch.remove() }
        let file = try Self.file(.q8_0, in: scratch)
        let f32 = try LlamaModel(gguf: file, precision: .f32)
        let native = try LlamaModel(gguf: file, precision: .native)
        let pool = ThreadPool(threads: 1)
        let windows: [[Int32]] = (0..<2).map { w in (0..<32).map { Int32(($0 * 5 + w * 11) % 96) } }
        let statistics = try Calibrator().calibrate(model: native, windows: windows, pool: pool)
        var options = PruningOptions(sparsity: 0.3)
        options.structures = [.ffn, .attention]
        options.target = .parameters
        let prunedNative = try Pruner().prune(model: native, statistics: statistics, options: options, pool: pool).model
        let prunedF32 = try Pruner().prune(model: f32, statistics: statistics, options: options, pool: pool).model
        #expect(prunedNative.config.layerKVHeadCounts == prunedF32.config.layerKVHeadCounts)
        #expect(prunedNative.blocks.allSatisfy { $0.query.rows == 0 || $0.query.precision == .native })
        #expect(try prunedNative.logits(for: Self.probe, pool: pool) == prunedF32.logits(for: Self.probe, pool: pool))
    }

    @Test("recovery training on a native model follows the f32 load's loss curve exactly")
    func trainingEqualsTheF32Load() throws {
        let scratch = try ScratchFolder(); defer { scratch.remove() }
        let file = try Self.file(.q4_0, in: scratch)
        let pool = ThreadPool(threads: 2)
        let windows: [[Int32]] = (0..<4).map { w in (0..<24).map { Int32(($0 * 3 + w * 17) % 96) } }
        let trainer = RecoveryTrainer(options: TrainingTrainerTests.options(steps: 3))
        let native = try trainer.train(model: try LlamaModel(gguf: file, precision: .native), windows: windows, pool: pool)
        let f32 = try trainer.train(model: try LlamaModel(gguf: file, precision: .f32), windows: windows, pool: pool)
        #expect(native.lossCurve == f32.lossCurve)
        #expect(try native.model.logits(for: Self.probe, pool: pool) == f32.model.logits(for: Self.probe, pool: pool))
    }

    @Test("a file's blocks read natively (layer-sequential calibration) give the loaded statistics")
    func fileBlocksNative() throws {
        let scratch = try ScratchFolder(); defer { scratch.remove() }
        let file = try Self.file(.q4_k_m, in: scratch)
        let pool = ThreadPool(threads: 2)
        let windows: [[Int32]] = (0..<2).map { w in (0..<32).map { Int32(($0 * 9 + w) % 96) } }
        let source = try FileBlocks(gguf: file, precision: .native)
        #expect(try source.block(1).gate.precision == .native)
        let streamed = try LayerSequentialCalibrator().calibrate(source: source, windows: windows, pool: pool)
        let loaded = try LayerSequentialCalibrator().calibrate(
            source: FileBlocks(gguf: file, precision: .f32), windows: windows, pool: pool)
        #expect(streamed == loaded)
    }
}
