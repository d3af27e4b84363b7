import Core
import Foundation
import RPC

extension DaemonService {
    func score(_ params: PruningParams, _ context: RequestContext) async throws -> ScoreRequest.Response {
        try await registry.withJob(on: params.model, method: "score") { entry in
            _ = context.progress(title: "score")
            let calibration = try registry.calibration(params.calibration)
            let options = params.options
            let plan = try await compute {
                try Pruner().plan(model: entry.model, statistics: calibration.statistics, options: options)
            }
            return ScoreRequest.Response(
                model: entry.handle, calibration: calibration.handle, options: options,
                keptNeurons: plan.keptNeurons, totalNeurons: plan.totalNeurons,
                achievedSparsity: plan.achievedSparsity, blocks: plan.blocks.map(BlockScore.init))
        }
    }

    func prune(_ params: PruningParams, _ context: RequestContext) async throws -> PruneRequest.Response {
        try await registry.withJob(on: params.model, method: "prune") { entry in
            _ = context.progress(title: "prune")
            let calibration = try registry.calibration(params.calibration)
            let options = params.options
            let start = Date()
            let (pruned, plan) = try await compute {
                try Pruner().prune(model: entry.model, statistics: calibration.statistics, options: options)
            }
            try context.checkCancellation()
            let seconds = Date().timeIntervalSince(start)
            let stored = registry.add { handle in
                ModelEntry(handle: handle, model: pruned, tokenizer: entry.tokenizer, format: entry.format,
                           path: entry.path, sourceGGUFPath: entry.sourceGGUFPath,
                           tokenizerJSONPath: entry.tokenizerJSONPath, parent: entry.handle)
            }
            let before = entry.model.parameterCount
            let after = pruned.parameterCount
            return PruneRequest.Response(
                model: entry.handle, calibration: calibration.handle, options: options,
                keptNeurons: plan.keptNeurons, totalNeurons: plan.totalNeurons,
                achievedSparsity: plan.achievedSparsity, blocks: plan.blocks.map(BlockScore.init),
                pruned: stored.handle, widths: pruned.config.intermediateSizes,
                parametersBefore: before, parametersAfter: after,
                ffnParametersBefore: entry.model.ffnParameterCount, ffnParametersAfter: pruned.ffnParameterCount,
                shareRemoved: 1 - Double(after) / Double(max(before, 1)), seconds: seconds)
        }
    }
}
