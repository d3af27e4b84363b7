import Core
import Kernels
import RPC

/// The stages of `run`, in the order they run.
public enum RunStage: String, Codable, Sendable, CaseIterable, WireEnum {
    /// `model/load` of the model.
    case load
    /// `calibrate` on the calibration input.
    case calibrate
    /// `evaluate` of the dense model.
    case evaluateDense
    /// `prune` with the calibration.
    case prune
    /// `evaluate` of the pruned model.
    case evaluatePruned
    /// `export` of the pruned model (only when `exportPath` is given).
    case export

    /// The stage in words (`evaluate dense`), for tables and progress messages.
    public var label: String {
        switch self {
        case .evaluateDense: "evaluate dense"
        case .evaluatePruned: "evaluate pruned"
        default: rawValue
        }
    }
}

/// Params of `run`: every stage's params, each member taken from the stage method's own
/// declaration (so its doc, default and range are written once), under a name that says which
/// stage it belongs to where two stages share one (`evalPath`, `loadPrecision`, `exportPath`).
/// Handles are the pipeline's: the placeholders here are never sent.
public struct RunParams: WireObject, Equatable {
    /// The sparsity `run` prunes to when none is given (`prune` and `score` require one).
    public static let defaultSparsity = 0.3

    /// What `model/load` reads (`modelPath`, `loadPrecision`).
    public var load: LoadModelParams
    /// What `calibrate` runs on (its `model` is the loaded model).
    public var calibration: CalibrateParams
    /// How both evaluations run; an input with no source means the calibration input.
    public var evaluation: EvaluateParams
    /// The pruning options, `sparsity` defaulting to `defaultSparsity`.
    public var pruning = PruningOptions(sparsity: RunParams.defaultSparsity)
    /// How the export writes (its `path` is `exportPath`).
    public var export: ExportParams
    /// Where the pruned model is exported (nil: no export stage).
    public var exportPath: String?
    /// Unload both models and release the calibration once done.
    public var release = false

    /// Params running the pipeline on the model at `modelPath`, calibrating on `input`; the rest
    /// keep their defaults (set the members to change them).
    public init(modelPath: String, input: TextInput, exportPath: String? = nil) {
        load = LoadModelParams(path: modelPath)
        calibration = CalibrateParams(model: "", input: input)
        evaluation = EvaluateParams(model: "", input: TextInput())
        export = ExportParams(model: "", format: .gguf, path: "")
        self.exportPath = exportPath
    }

    /// The evaluation params of the model `handle`: the evaluation input, else the calibration input.
    public func evaluateParams(model handle: String) -> EvaluateParams {
        var params = evaluation
        params.model = handle
        if !evaluation.input.hasSource { params.input = calibration.input.withoutWindows }
        return params
    }

    /// The schema name.
    public static let wireName = "runParams"
    /// What the object is.
    public static let wireDoc = "what run loads, calibrates on, evaluates on, prunes to and exports"
    /// Placeholder path and input, every setting at its default.
    public static let blank = RunParams(modelPath: "", input: TextInput())

    /// The evaluation's members under `eval…` names (the calibration's keep theirs).
    private static let evaluationNames = [
        "text": "evalText", "path": "evalPath", "format": "evalFormat", "field": "evalField",
        "separator": "evalSeparator", "tokens": "evalTokens", "windowSize": "evalWindowSize",
        "maxWindows": "maxWindows",
    ]

    /// Every member: load, calibration, evaluation, pruning, export, release.
    public static let members: [WireMember<RunParams>] =
        LoadModelParams.members.lifted(\RunParams.load).map { member in
            member.name == "path"
                ? member.adapted(name: "modelPath", doc: { "the model: " + $0 })
                : member.adapted(name: "loadPrecision")
        }
        // The pruning's `blockMetric` is the one that matters, so the calibration's is not offered;
        // the Gram matrices are gathered exactly when the pruning's compensation needs them.
        + CalibrateParams.members.excluding(["model", "blockMetric", "gram"]).lifted(\RunParams.calibration)
            .map { $0.adapted(doc: { "calibration: " + $0 }) }
        + EvaluateParams.members.excluding(["model", "windows"]).lifted(\RunParams.evaluation).map { member in
            member.adapted(name: evaluationNames[member.name],
                           doc: { "evaluation: " + $0 })
        }
        + PruningOptions.members.lifted(\RunParams.pruning).map { member in
            member.name == "sparsity"
                ? member.adapted(presence: .defaulted(.double(defaultSparsity)))
                : member
        }
        + [.optional("exportPath", \.exportPath, "export the pruned model here: a .gguf file, or a folder for hf",
                     string: .path, note: "no export")]
        + ExportParams.members.excluding(["model", "path"]).lifted(\RunParams.export).map { member in
            switch member.name {
            case "format": member.adapted(name: "exportFormat", presence: .defaulted(ExportFormat.gguf.wireJSON))
            case "precision": member.adapted(name: "exportPrecision")
            case "name": member.adapted(name: "exportName")
            default: member
            }
        }
        + [.defaulted("release", \.release,
                      "unload both models and release the calibration once done (the result's handles are then gone)")]

    /// Exactly one calibration input; at most one evaluation input, and one when the calibration
    /// reads explicit windows (they are no text to evaluate on).
    public func validateWire() throws(WireError) {
        try calibration.input.validate(allowsWindows: true)
        if !evaluation.input.hasSource && !calibration.input.withoutWindows.hasSource {
            throw WireError(member: "evalText",
                            message: "give an evaluation input (evalText, evalPath or evalTokens): the calibration reads explicit windows")
        }
        if evaluation.input.hasSource {
            do {
                try evaluation.input.validate(allowsWindows: false)
            } catch {
                throw WireError(member: "evalText", message: "give at most one evaluation input: evalText, evalPath or evalTokens")
            }
        }
    }
}

/// The `$/progress` report members of `run`: the stage, then the stage's own report members
/// (`window`, `tokensPerSecond`, … as `calibrate` and `evaluate` send them).
public struct RunProgress: WireObject, Equatable {
    /// The stage running.
    public var stage: RunStage
    /// Its number, from 1.
    public var step: Int
    /// Stages in this run.
    public var steps: Int

    /// The report of stage `step` of `steps`.
    public init(stage: RunStage, step: Int, steps: Int) {
        self.stage = stage
        self.step = step
        self.steps = steps
    }

    /// The schema name.
    public static let wireName = "runProgress"
    /// What the object is.
    public static let wireDoc = "a run progress report (with the running stage's own report members)"
    /// The first stage.
    public static let blank = RunProgress(stage: .load, step: 1, steps: 1)
    /// Every member.
    public static let members: [WireMember<RunProgress>] = [
        .required("stage", \.stage, "the stage running"),
        .required("step", \.step, "the stage's number, from 1", range: .atLeast(1)),
        .required("steps", \.steps, "stages in this run", range: .atLeast(1)),
    ]
}

/// How long one stage of `run` took.
public struct RunStageTime: WireObject, Equatable {
    /// The stage.
    public var stage: RunStage
    /// Its wall-clock seconds.
    public var seconds: Double

    /// `stage` took `seconds`.
    public init(stage: RunStage, seconds: Double) {
        self.stage = stage
        self.seconds = seconds
    }

    /// The schema name.
    public static let wireName = "runStageTime"
    /// What the object is.
    public static let wireDoc = "the wall time of one stage of run"
    /// Placeholders.
    public static let blank = RunStageTime(stage: .load, seconds: 0)
    /// Every member.
    public static let members: [WireMember<RunStageTime>] = [
        .required("stage", \.stage, "the stage"),
        .required("seconds", \.seconds, "its wall-clock seconds", range: .atLeast(0)),
    ]
}

/// Result of `run`: each stage's own result, and the time each took.
public struct RunResult: WireObject, Equatable {
    /// The loaded (dense) model.
    public var model: ModelInfo
    /// The calibration.
    public var calibration: CalibrationInfo
    /// The dense model's evaluation.
    public var denseEvaluation: EvaluateResult
    /// The pruning (the pruned model's handle is `pruning.pruned`).
    public var pruning: PruneResult
    /// The pruned model's evaluation.
    public var prunedEvaluation: EvaluateResult
    /// The export (nil without `exportPath`).
    public var export: ExportResult?
    /// Each stage's wall time, in order.
    public var stages: [RunStageTime]
    /// Whether the models and the calibration were released.
    public var released: Bool

    /// The result of a run.
    public init(model: ModelInfo, calibration: CalibrationInfo, denseEvaluation: EvaluateResult,
                pruning: PruneResult, prunedEvaluation: EvaluateResult, export: ExportResult?,
                stages: [RunStageTime], released: Bool) {
        self.model = model
        self.calibration = calibration
        self.denseEvaluation = denseEvaluation
        self.pruning = pruning
        self.prunedEvaluation = prunedEvaluation
        self.export = export
        self.stages = stages
        self.released = released
    }

    /// Seconds of every stage together.
    public var totalSeconds: Double { stages.reduce(0) { $0 + $1.seconds } }

    /// The schema name.
    public static let wireName = "runResult"
    /// What the object is.
    public static let wireDoc = "what each stage of run gave, and how long it took"
    /// Placeholders.
    public static let blank = RunResult(
        model: .blank, calibration: .blank, denseEvaluation: .blank, pruning: .blank, prunedEvaluation: .blank,
        export: nil, stages: [], released: false)
    /// Every member.
    public static let members: [WireMember<RunResult>] = [
        .required("model", \.model, "the loaded (dense) model"),
        .required("calibration", \.calibration, "the calibration"),
        .required("denseEvaluation", \.denseEvaluation, "the dense model's evaluation"),
        .required("pruning", \.pruning, "the pruning; the pruned model's handle is pruning.pruned"),
        .required("prunedEvaluation", \.prunedEvaluation, "the pruned model's evaluation"),
        .optional("export", \.export, "the export", note: "absent without exportPath"),
        .required("stages", \.stages, "each stage's wall time, in order"),
        .required("released", \.released, "whether the models and the calibration were released"),
        .derived("totalSeconds", "seconds of every stage together") { $0.totalSeconds },
    ]
}

/// `run`: the whole CFSP pipeline in one request (load, calibrate, evaluate, prune, evaluate,
/// export), so the CLI, the Python client and the editor plugin share one sequence.
public enum RunRequest: ProtocolMethod {
    /// The params type.
    public typealias Params = RunParams
    /// The result type.
    public typealias Response = RunResult
    /// The progress report type.
    public typealias Progress = RunProgress
    /// The JSON-RPC method name.
    public static let method = "run"
    /// What the method does.
    public static let summary =
        "Loads a model, calibrates, evaluates it, prunes it, evaluates the pruned model and exports it, in one request."
}
