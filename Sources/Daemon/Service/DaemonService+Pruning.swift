import CFSPProtocol
import Core
import Foundation
import RPC

extension DaemonService {
    func score(_ params: PruningParams, _ context: JobContext) async throws -> ScoreResult {
        try await registry.withJob(on: params.model, method: ScoreRequest.method) { entry in
            _ = context.progress(title: ScoreRequest.method)
            let calibration = try registry.calibration(params.calibration)
            let options = params.options
            let pool = self.pool
            let plan = try await compute {
                try Pruner().plan(model: entry.model, statistics: calibration.statistics, options: options, pool: pool)
            }
            return ScoreResult(model: entry.handle, calibration: calibration.handle, plan: plan)
        }
    }

    func prune(_ params: PruningParams, _ context: JobContext) async throws -> PruneResult {
        try await registry.withJob(on: params.model, method: PruneRequest.method) { entry in
            _ = context.progress(title: PruneRequest.method)
            let calibration = try registry.calibration(params.calibration)
            let options = params.options
            let pool = self.pool
            let start = Date()
            let (pruned, plan) = try await compute {
                try Pruner().prune(model: entry.model, statistics: calibration.statistics, options: options, pool: pool)
            }
            try context.checkCancellation()
            let seconds = Date().timeIntervalSince(start)
            var provenance = PruningProvenance(
                sourceName: entry.name, sourcePath: entry.path, method: options.method.rawValue, sparsity: options.sparsity,
                uniformWidths: options.uniformWidths, calibrationWindows: calibration.statistics.windows,
                calibrationWindowSize: calibration.statistics.windowSize, calibrationText: calibration.textSource)
            if !options.isFFNOnlySparsity {
                provenance.structures = options.structures.map(\.rawValue)
                provenance.target = options.target.rawValue
            }
            let stored = registry.add { handle in
                ModelEntry(handle: handle, model: pruned, tokenizer: entry.tokenizer, format: entry.format,
                           path: entry.path, sourceGGUFPath: entry.sourceGGUFPath,
                           tokenizerJSONPath: entry.tokenizerJSONPath, parent: entry.handle,
                           name: provenance.modelName, provenance: provenance, chatTemplate: entry.chatTemplate)
            }
            return PruneResult(
                score: ScoreResult(model: entry.handle, calibration: calibration.handle, plan: plan),
                handle: stored.handle, source: entry.model, pruned: pruned, seconds: seconds)
        }
    }
}
