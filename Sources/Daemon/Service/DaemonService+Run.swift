import CFSPProtocol
import Core
import Foundation
import RPC

extension DaemonService {
    /// `run`: the stages of the CFSP pipeline, each the daemon's own method, in one request. Its
    /// progress names the stage; a failing stage answers its own error, its message led by the
    /// stage. What the run made is released when it fails (the client never got the handles),
    /// and when it succeeds with `release`.
    func run(_ params: RunParams, _ context: JobContext) async throws -> RunResult {
        let progress = context.progress(title: RunRequest.method)
        let stages = RunStage.allCases.filter { $0 != .export || params.exportPath != nil }
        var times: [RunStageTime] = []
        var made = MadeByRun()

        func stage<T>(_ stage: RunStage, _ body: (JobContext) async throws -> T) async throws -> T {
            let step = (stages.firstIndex(of: stage) ?? 0) + 1
            let job = context.stage(
                JobStage(label: stage.label, step: step, steps: stages.count,
                         fields: RunProgress(stage: stage, step: step, steps: stages.count)),
                of: progress)
            let start = ContinuousClock.now
            do {
                let value = try await body(job)
                times.append(RunStageTime(stage: stage, seconds: (ContinuousClock.now - start).seconds))
                return value
            } catch {
                throw Self.stageError(error, stage: stage, cancelled: context.isCancelled)
            }
        }

        do {
            let model = try await stage(.load) { try await loadModel(params.load, $0) }
            made.models.append(model.model)
            var calibrate = params.calibration
            calibrate.model = model.model
            calibrate.blockMetric = params.pruning.blockMetric
            calibrate.gram = params.pruning.effectiveCompensation.rewritesDown
            let calibration = try await stage(.calibrate) { try await self.calibrate(calibrate, $0) }
            made.calibration = calibration.calibration
            let dense = try await stage(.evaluateDense) {
                try await evaluate(params.evaluateParams(model: model.model), $0)
            }
            let pruning = try await stage(.prune) {
                try await prune(PruningParams(model: model.model, calibration: calibration.calibration,
                                              options: params.pruning), $0)
            }
            made.models.append(pruning.pruned)
            let pruned = try await stage(.evaluatePruned) {
                try await evaluate(params.evaluateParams(model: pruning.pruned), $0)
            }
            var exported: ExportResult?
            if let path = params.exportPath {
                var export = params.export
                export.model = pruning.pruned
                export.path = path
                exported = try await stage(.export) { try await self.export(export, $0) }
            }
            if params.release { release(made) }
            return RunResult(model: model, calibration: calibration, denseEvaluation: dense, pruning: pruning,
                             prunedEvaluation: pruned, export: exported, stages: times, released: params.release)
        } catch {
            release(made)
            throw error
        }
    }

    /// The handles a run made so far.
    private struct MadeByRun {
        var models: [String] = []
        var calibration: String?
    }

    /// Frees what a run made (newest first: the pruned model before its parent); a handle some
    /// other client is using stays.
    private func release(_ made: MadeByRun) {
        if let calibration = made.calibration { try? registry.releaseCalibration(calibration) }
        for model in made.models.reversed() { try? registry.unload(model) }
    }

    /// A stage's error as the run answers it: the same code and data (with the stage added), the
    /// message led by the stage; a cancellation stays what it is.
    private static func stageError(_ error: any Error, stage: RunStage, cancelled: Bool) -> any Error {
        if cancelled || error is CancellationError { return error }
        let response: ResponseError
        if let error = error as? ResponseError {
            response = error
        } else if let convertible = error as? any ResponseErrorConvertible {
            response = convertible.responseError
        } else {
            return error
        }
        if response.code == ResponseError.requestCancelledCode { return response }
        var data: [String: JSONValue] = [:]
        switch response.data {
        case .object(let members)?: data = members
        case let other?: data["detail"] = other
        case nil: break
        }
        data["stage"] = .string(stage.rawValue)
        return ResponseError(code: response.code, message: "\(stage.label): \(response.message)", data: .object(data))
    }
}
