import CFSPProtocol
import Core
import Foundation
import RPC

extension DaemonService {
    /// `sweep`: the dense evaluation (unless left out), then for each (method, sparsity) point the
    /// daemon's own `prune` and `evaluate`, the point's pruned model freed once evaluated unless
    /// the sweep keeps the models. Each point is a stage of the progress; a failure or a
    /// cancellation frees the models the sweep made.
    func sweep(_ params: SweepParams, _ context: JobContext) async throws -> SweepResult {
        let progress = context.progress(title: SweepRequest.method)
        let started = ContinuousClock.now
        let points = params.points
        let steps = points.count + (params.includeDense ? 1 : 0)
        let parameters = try registry.model(params.model).model.parameterCount
        _ = try registry.calibration(params.calibration)  // before the dense evaluation, not after
        var made: [String] = []
        do {
            var dense: EvaluateResult?
            if params.includeDense {
                let job = context.stage(
                    JobStage(label: "dense", step: 1, steps: steps,
                             fields: SweepProgress(point: 0, points: points.count, method: nil, sparsity: nil)),
                    of: progress)
                var evaluation = params.evaluation
                evaluation.model = params.model
                dense = try await evaluate(evaluation, job)
            }
            var rows: [SweepPoint] = []
            for (index, point) in points.enumerated() {
                let label = "\(point.method.rawValue) at \(point.sparsity)"
                let job = context.stage(
                    JobStage(label: label, step: steps - points.count + index + 1, steps: steps,
                             fields: SweepProgress(point: index + 1, points: points.count, method: point.method,
                                                   sparsity: point.sparsity)),
                    of: progress)
                let pointStarted = ContinuousClock.now
                let pruning = try await prune(
                    PruningParams(model: params.model, calibration: params.calibration,
                                  options: params.options(method: point.method, sparsity: point.sparsity)), job)
                made.append(pruning.pruned)
                var evaluation = params.evaluation
                evaluation.model = pruning.pruned
                let evaluated = try await evaluate(evaluation, job)
                if !params.keepModels {
                    try? registry.unload(pruning.pruned)
                    made.removeAll { $0 == pruning.pruned }
                }
                rows.append(SweepPoint(method: point.method, sparsity: point.sparsity, pruning: pruning,
                                       evaluation: evaluated, seconds: (ContinuousClock.now - pointStarted).seconds,
                                       model: params.keepModels ? pruning.pruned : nil))
            }
            return SweepResult(model: params.model, calibration: params.calibration, dense: dense,
                               parameters: parameters, points: rows, seconds: (ContinuousClock.now - started).seconds)
        } catch {
            for model in made.reversed() { try? registry.unload(model) }
            throw error
        }
    }
}
