import CFSPProtocol
import Core
import Foundation
import Kernels
import RPC

extension DaemonService {
    /// `run` with `streamed` (issue 16: a model larger than memory): the GGUF file is opened and
    /// checked but never loaded; calibration runs one block at a time over every window, its
    /// hidden states and (when the compensation rewrites the down projection) Gram matrices in
    /// unlinked temporary files under `scratch`; the plan reads each block from the file; the
    /// export writes the pruned model block by block, the file the loaded run would write. Both
    /// evaluations are skipped. In memory: one block's weights (two while a block is pruned; one
    /// per thread, with its Gram matrix, while OBS plans),
    /// one window's hidden states, the calibration statistics (a few vectors per block, no
    /// Gram matrices) and the tokenized calibration text; the file itself is memory-mapped and
    /// its pages released after each block.
    ///
    /// The calibration is kept under a handle as `run` keeps it (released with `release`);
    /// there is no model handle, loaded or pruned: the pruned model is only the exported file.
    func runStreamed(_ params: RunParams, _ context: JobContext) async throws -> RunResult {
        guard let exportPath = params.exportPath else {
            throw ResponseError.invalidParams("a streamed run needs exportPath")  // validateWire refuses it first
        }
        let scratch = params.scratch ?? NSTemporaryDirectory()
        try Self.checkScratch(scratch)
        // A streamed run may take hours before its export: an export target that would be
        // refused then is refused now.
        if !params.export.overwrite && FileManager.default.fileExists(atPath: exportPath) {
            throw DaemonError.cannotWrite(path: exportPath, reason: "the file exists; pass \"overwrite\": true to replace it")
        }
        var stages = RunStages([.load, .calibrate, .prune, .export], context: context)
        var made = MadeByRun()
        do {
            let source = try await stages.run(.load) { try await openStreamed(params.load, $0) }
            var calibrate = params.calibration
            calibrate.blockMetric = params.pruning.blockMetric
            calibrate.gram = params.pruning.effectiveCompensation.rewritesDown
            let calibrated = try await stages.run(.calibrate) {
                try await calibrateStreamed(calibrate, source: source, scratch: scratch, $0)
            }
            let calibration = registry.add { handle in
                CalibrationEntry(handle: handle, statistics: calibrated.statistics, model: nil,
                                 seconds: calibrated.seconds, textSource: Self.describe(params.calibration.input))
            }
            made.calibration = calibration.handle
            let options = params.pruning
            let pool = self.pool
            let (plan, pruneSeconds) = try await stages.run(.prune) { job in
                _ = job.progress(title: PruneRequest.method)
                let start = Date()
                let plan = try await compute {
                    try Pruner().plan(source: source.blocks, statistics: calibrated.statistics, options: options,
                                      pool: pool, grams: calibrated.grams)
                }
                try job.checkCancellation()
                return (plan, Date().timeIntervalSince(start))
            }
            let before = source.blocks.parameterCounts(), after = source.blocks.parameterCounts(plan: plan)
            var prunedConfig = source.blocks.config
            prunedConfig.intermediateSizes = plan.blocks.map(\.kept.count)
            let pruning = PruneResult(
                score: ScoreResult(model: "", calibration: calibration.handle, plan: plan), handle: "",
                prunedConfig: prunedConfig, parametersBefore: before.parameters, parametersAfter: after.parameters,
                ffnParametersBefore: before.ffnParameters, ffnParametersAfter: after.ffnParameters,
                seconds: pruneSeconds)
            // What `prune` records for a loaded model, from the same options and calibration.
            let provenance = PruningProvenance(
                sourceName: source.name, sourcePath: source.path, method: options.method.rawValue,
                sparsity: options.sparsity, uniformWidths: options.uniformWidths,
                calibrationWindows: calibrated.statistics.windows, calibrationWindowSize: calibrated.statistics.windowSize,
                calibrationText: calibration.textSource)
            let exported = try await stages.run(.export) { job in
                try await exportStreamed(
                    StreamedExport(source: source, plan: plan, statistics: calibrated.statistics, grams: calibrated.grams,
                                   provenance: provenance, path: exportPath, params: params.export),
                    job)
            }
            if params.release { release(made) }
            return RunResult(
                model: source.info(parameters: before), calibration: Self.info(calibration, metric: params.pruning.blockMetric),
                denseEvaluation: nil, pruning: pruning, prunedEvaluation: nil, export: exported, stages: stages.times,
                released: params.release, streamed: true)
        } catch {
            release(made)
            throw error
        }
    }

    /// Refuses a scratch folder that does not exist (or is not a folder) before any work.
    static func checkScratch(_ path: String) throws(DaemonError) {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw .cannotWrite(
                path: path,
                reason: "'scratch' must name an existing folder, where a streamed run keeps its temporary files (hidden states, Gram matrices), and this is none")
        }
    }

    /// A GGUF file opened for a streamed run: its blocks, read on demand, and its tokenizer.
    struct StreamedSource: Sendable {
        /// The file (its general and tokenizer metadata go into the export).
        let file: GGUFFile
        /// Its blocks, read one at a time.
        let blocks: FileBlocks
        /// Its tokenizer.
        let tokenizer: any TextTokenizer
        /// The path it was opened at.
        let path: String
        /// Its name (`general.name`, else the file name).
        let name: String
        /// The precision its blocks are packed in.
        let precision: WeightPrecision

        /// The model's description: no handle (never loaded), counts from its shape.
        func info(parameters: (parameters: Int, ffnParameters: Int)) -> ModelInfo {
            ModelInfo(handle: "", path: path, format: .gguf, config: blocks.config, precision: precision,
                      parameters: parameters.parameters, ffnParameters: parameters.ffnParameters, hasTokenizer: true,
                      parent: nil, bosToken: tokenizer.bosTokenID.map { Int($0) },
                      eosToken: tokenizer.eosTokenID.map { Int($0) }, addsBos: tokenizer.addsBOSToken)
        }
    }

    /// The load stage of a streamed run: opens the GGUF file, checks every tensor's shape
    /// (`FileBlocks`) and reads the tokenizer; no weight is read.
    private func openStreamed(_ params: LoadModelParams, _ context: JobContext) async throws -> StreamedSource {
        _ = context.progress(title: LoadModelRequest.method)
        let path = params.path, precision = params.precision
        let source = try await BlockingWork.run { () throws -> StreamedSource in
            do {
                guard try ModelLoader.detectFormat(path: path) == .gguf else {
                    throw DaemonError.cannotLoad(
                        path: path,
                        reason: "a streamed run reads GGUF files only, and this is a Hugging Face folder: convert it to GGUF (llama.cpp's convert_hf_to_gguf.py), or run without streamed")
                }
                let file = try GGUFFile(path: path)
                let blocks = try FileBlocks(gguf: file, precision: precision)
                _ = try JSONEncoder().encode(ModelConfigInfo(blocks.config))
                return StreamedSource(
                    file: file, blocks: blocks, tokenizer: try makeTokenizer(gguf: file), path: path,
                    name: Self.sourceName(metadata: file.metadata, path: path), precision: precision)
            } catch let error as DaemonError {
                throw error
            } catch {
                throw DaemonError.cannotLoad(path: path, reason: ErrorText.words(error))
            }
        }
        try context.checkCancellation()
        return source
    }

    /// What a streamed calibration gave: the statistics (no Gram matrices when they were spilled),
    /// the spilled Gram matrices, and the seconds of the pass.
    struct StreamedCalibration: Sendable {
        let statistics: CalibrationStatistics
        let grams: GramSpill?
        let seconds: Double
    }

    /// The calibrate stage of a streamed run: `calibrate`'s windows, the layer-sequential pass
    /// (its progress as `calibrate` reports it), hidden states and Gram matrices in `scratch`.
    private func calibrateStreamed(_ params: CalibrateParams, source: StreamedSource, scratch: String,
                                   _ context: JobContext) async throws -> StreamedCalibration {
        let sampling = params.sampling
        try Self.checkWindowMemory(count: params.starts?.count ?? sampling.count, size: sampling.windowSize,
                                   countMember: params.starts == nil ? "count" : "starts")
        let reporter = context.progress(title: CalibrateRequest.method)
        let pool = self.pool
        return try await compute { () throws -> StreamedCalibration in
            let tokens = try TextInputResolver.tokens(
                params.input, vocabulary: source.blocks.config.vocabSize, tokenizer: source.tokenizer, model: source.path)
            let windows = try Self.windows(of: tokens, params, isCancelled: { context.isCancelled })
            let start = Date()
            let calibrator = LayerSequentialCalibrator(gram: params.gram, storage: .temporaryFile(directory: scratch))
            let progress: (CalibrationProgress) -> Void = { p in
                reporter.report(CalibrateProgress(p), message: "window \(p.windowsDone)/\(p.windowsTotal)",
                                percentage: 100 * Double(p.windowsDone) / Double(max(p.windowsTotal, 1)))
            }
            let statistics: CalibrationStatistics, grams: GramSpill?
            do {
                if params.gram {
                    (statistics, grams) = try calibrator.calibrate(
                        source: source.blocks, windows: windows, pool: pool, spillingGramsTo: scratch,
                        progress: progress, isCancelled: { context.isCancelled })
                } else {
                    statistics = try calibrator.calibrate(source: source.blocks, windows: windows, pool: pool,
                                                          progress: progress, isCancelled: { context.isCancelled })
                    grams = nil
                }
            } catch let error as ScratchFileError {
                throw DaemonError.cannotWrite(path: scratch, reason: error.description)
            }
            try Self.checkImportance(statistics, metric: params.blockMetric)
            return StreamedCalibration(statistics: statistics, grams: grams, seconds: Date().timeIntervalSince(start))
        }
    }

    /// What the export stage of a streamed run writes, and how.
    struct StreamedExport: Sendable {
        let source: StreamedSource
        let plan: PruningPlan
        let statistics: CalibrationStatistics
        let grams: GramSpill?
        let provenance: PruningProvenance
        let path: String
        /// The export options (`format` is gguf; `model` and `path` unused).
        let params: ExportParams
    }

    /// The export stage of a streamed run: `exportPruned`, block by block, reporting each block
    /// and stopping (leaving no file) when cancelled; errors as `export` answers them.
    private func exportStreamed(_ export: StreamedExport, _ context: JobContext) async throws -> ExportResult {
        let reporter = context.progress(title: ExportRequest.method)
        let path = export.path, precision = export.params.precision
        let layers = export.source.blocks.config.numLayers
        let pool = self.pool
        let result = try await compute { () throws -> GGUFExportResult in
            do {
                return try GGUFExporter.exportPruned(
                    blocksOf: export.source.blocks, plan: export.plan, statistics: export.statistics, grams: export.grams,
                    to: path, precision: precision, sourceFile: export.source.file, name: export.params.name,
                    provenance: export.provenance, overwrite: export.params.overwrite, pool: pool,
                    progress: { layer in
                        reporter.report(message: "block \(layer + 1)/\(layers)",
                                        percentage: 100 * Double(layer) / Double(max(layers, 1)))
                    },
                    isCancelled: { context.isCancelled })
            } catch let error as OperationCancelled {
                throw error
            } catch let error as PruningError {
                throw error
            } catch {
                throw DaemonError.cannotWrite(path: path, reason: ErrorText.words(error))
            }
        }
        return ExportResult(
            model: "", format: .gguf, path: path, precision: precision, bytes: Self.byteCount(atPath: path),
            hasTokenizer: result.hasTokenizer, notes: result.notes, tensorTypes: result.tensorTally)
    }
}
