import Kernels

extension GGUFExporter {
    /// Exports the model `plan` makes of `source`'s file without loading it (issue 16: models
    /// larger than memory): each block is read, compensated, sliced and written in turn, the
    /// embedding and output head are read when the writer reaches them, so memory is about one
    /// dense block, one Gram matrix and the largest single tensor. The file is the one `export`
    /// writes for `Pruner.prune`'s model of the loaded file under the same plan.
    ///
    /// - Parameters:
    ///   - grams: where the Gram matrices wait when the calibration spilled them
    ///     (`LayerSequentialCalibrator.calibrate(spillingGramsTo:)`); otherwise they are taken from
    ///     `statistics`. Needed only when the plan's compensation rewrites the down projections.
    ///   - sourceFile: the GGUF file whose general and tokenizer metadata to carry.
    ///   - pool: runs each block's compensation (nil: a pool of every processor).
    ///   - progress: told the number of each block (from 0) as the writer reaches it, before
    ///     the block is read, compensated and written (the longest part of the export).
    ///   - isCancelled: checked before each block; true stops the export with
    ///     `OperationCancelled`, and no file is left at `path`.
    ///   - Other parameters: as for `export`.
    /// - Throws: `PruningError` for a plan this path cannot make (attention or depth pruning: load
    ///   the model for those) or a missing Gram matrix, `OperationCancelled`, and `export`'s errors.
    @discardableResult
    public static func exportPruned(
        blocksOf source: FileBlocks, plan: PruningPlan, statistics: CalibrationStatistics, grams: GramSpill? = nil,
        to path: String, precision: ExportPrecision = .f32, sourceFile: GGUFFile? = nil, name: String? = nil,
        provenance: PruningProvenance? = nil, overwrite: Bool = false, pool: ThreadPool? = nil,
        progress: @escaping (_ block: Int) -> Void = { _ in }, isCancelled: @escaping () -> Bool = { false }
    ) throws -> GGUFExportResult {
        let compensation = plan.options.effectiveCompensation
        let model = try StreamedPrunedModel(
            source: source, plan: plan, statistics: statistics, pool: pool ?? Pruner.defaultPool(),
            gram: { try statistics.gram(block: $0, neededBy: compensation, spilledIn: grams) },
            progress: progress, isCancelled: isCancelled)
        do {
            return try write(model, paddedBlocks: [], to: path, precision: precision, source: sourceFile,
                             name: name, provenance: provenance, overwrite: overwrite)
        } catch {
            // The writer reports a block that could not be produced as its own error; a
            // cancellation stays one.
            if isCancelled() { throw OperationCancelled() }
            throw error
        }
    }
}
