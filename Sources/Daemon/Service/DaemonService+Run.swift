import CFSPProtocol
import Core
import Foundation
import RPC

extension DaemonService {
    /// `run`: the stages of the CFSP pipeline, each the daemon's own method, in one request. Its
    /// progress names the stage; a failing stage answers its own error, its message led by the
    /// stage. What the run made is released when it fails (the client never got the handles),
    /// and when it succeeds with `release`. A streamed run (`streamed`) is `runStreamed`.
    func run(_ params: RunParams, _ context: JobContext) async throws -> RunResult {
        if params.streamed { return try await runStreamed(params, context) }
        var stages = RunStages(RunStage.allCases.filter { $0 != .export || params.exportPath != nil }, context: context)
        var made = MadeByRun()

        do {
            let model = try await stages.run(.load) { try await loadModel(params.load, $0) }
            made.models.append(model.model)
            var calibrate = params.calibration
            calibrate.model = model.model
            calibrate.blockMetric = params.pruning.blockMetric
            calibrate.gram = params.pruning.effectiveCompensation.rewritesDown
            let calibration = try await stages.run(.calibrate) { try await self.calibrate(calibrate, $0) }
            made.calibration = calibration.calibration
            let dense = try await stages.run(.evaluateDense) {
                try await evaluate(params.evaluateParams(model: model.model), $0)
            }
            let pruning = try await stages.run(.prune) {
                try await prune(PruningParams(model: model.model, calibration: calibration.calibration,
                                              options: params.pruning), $0)
            }
            made.models.append(pruning.pruned)
            let pruned = try await stages.run(.evaluatePruned) {
                try await evaluate(params.evaluateParams(model: pruning.pruned), $0)
            }
            var exported: ExportResult?
            if let path = params.exportPath {
                var export = params.export
                export.model = pruning.pruned
                export.path = path
                exported = try await stages.run(.export) { try await self.export(export, $0) }
            }
            if params.release { release(made) }
            return RunResult(model: model, calibration: calibration, denseEvaluation: dense, pruning: pruning,
                             prunedEvaluation: pruned, export: exported, stages: stages.times, released: params.release)
        } catch {
            release(made)
            throw error
        }
    }

    /// The handles a run made so far.
    struct MadeByRun {
        var models: [String] = []
        var calibration: String?
    }

    /// Frees what a run made (newest first: the pruned model before its parent); a handle some
    /// other client is using stays.
    func release(_ made: MadeByRun) {
        if let calibration = made.calibration { try? registry.releaseCalibration(calibration) }
        for model in made.models.reversed() { try? registry.unload(model) }
    }

    /// A stage's error as the run answers it: the same code and data (with the stage added), the
    /// message led by the stage; a cancellation stays what it is.
    fileprivate static func stageError(_ error: any Error, stage: RunStage, cancelled: Bool) -> any Error {
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

/// The stages of one run as its progress and result see them: each is announced with its
/// number of how many, timed, and its errors are led by its name (`DaemonService.stageError`).
struct RunStages {
    /// The stages this run has, in order.
    let stages: [RunStage]
    /// The run's request.
    let context: JobContext
    /// The run's progress, which every stage reports into.
    let progress: JobProgress
    /// The wall time of each stage done so far.
    private(set) var times: [RunStageTime] = []

    /// The stages of a run serving `context`.
    init(_ stages: [RunStage], context: JobContext) {
        self.stages = stages
        self.context = context
        progress = context.progress(title: RunRequest.method)
    }

    /// Runs `stage`: `body` gets a context whose reports carry the stage.
    mutating func run<T>(_ stage: RunStage, _ body: (JobContext) async throws -> T) async throws -> T {
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
            throw DaemonService.stageError(error, stage: stage, cancelled: context.isCancelled)
        }
    }
}
