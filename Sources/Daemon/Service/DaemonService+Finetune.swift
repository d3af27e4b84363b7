import CFSPProtocol
import Core
import Foundation
import RPC

extension DaemonService {
    func finetune(_ params: FinetuneParams, _ context: JobContext) async throws -> FinetuneResult {
        let options = params.options
        do { try options.validate() } catch { throw DaemonError.badData("\(error)") }
        return try await registry.withJob(on: params.model, method: FinetuneRequest.method) { entry in
            let reporter = context.progress(title: FinetuneRequest.method)
            let pool = self.pool
            let importance = try params.calibration.map { handle -> [Double] in
                let calibration = try registry.calibration(handle)
                guard calibration.statistics.blocks.count == entry.model.blocks.count else {
                    throw DaemonError.invalidForModel(
                        "calibration \(handle) has \(calibration.statistics.blocks.count) blocks, the model \(entry.model.blocks.count)")
                }
                return params.blockMetric.importance(calibration.statistics)
            }
            if options.allocation == .importance && importance == nil {
                throw DaemonError.badData("allocation 'importance' needs 'calibration' (a calibration handle of this model or its parent)")
            }
            let keepRatios = try options.allocation == .pruned ? prunedKeepRatios(of: entry) : nil
            let teacher = try params.teacher.map { try registry.model($0).model }
            do { _ = try options.distillation(teacher: teacher) } catch { throw DaemonError.badData("\(error)") }
            let result = try await compute { () throws -> FineTuneResult in
                let tokens = try TextInputResolver.stream(params.input, for: entry)
                return try RecoveryTrainer(options: options).train(
                    model: entry.model, windows: [tokens], importance: importance, keepRatios: keepRatios,
                    teacher: teacher, pool: pool,
                    progress: { p in
                        reporter.report(FinetuneProgress(p),
                                        message: String(format: "step %d/%d, loss %.4f", p.step, p.totalSteps, p.loss),
                                        percentage: 100 * Double(p.step) / Double(max(p.totalSteps, 1)))
                    },
                    isCancelled: { context.isCancelled })
            }
            if result.cancelled { reporter.end(message: result.summary, outcome: .cancelled) }
            let stored = registry.add { handle in
                ModelEntry(handle: handle, model: result.model, tokenizer: entry.tokenizer, format: entry.format,
                           path: entry.path, sourceGGUFPath: entry.sourceGGUFPath,
                           tokenizerJSONPath: entry.tokenizerJSONPath, parent: entry.handle, name: entry.name,
                           provenance: entry.provenance, chatTemplate: entry.chatTemplate)
            }
            return FinetuneResult(model: entry.handle, finetuned: stored.handle, result: result)
        }
    }

    /// keep_l of a pruned model: its widths over its parent's (the parent must still be loaded).
    private func prunedKeepRatios(of entry: ModelEntry) throws -> [Double] {
        guard let parentHandle = entry.parent else {
            throw DaemonError.badData("allocation 'pruned' needs a model made by 'prune' (\(entry.handle) has no parent)")
        }
        let parent = try registry.model(parentHandle).model
        return zip(entry.model.config.intermediateSizes, parent.config.intermediateSizes).map {
            Double($0) / Double(max($1, 1))
        }
    }
}
