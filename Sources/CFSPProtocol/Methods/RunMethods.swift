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
    /// Prune a model that does not fit in memory (issue 16): the model is never loaded. The
    /// load stage opens and checks the GGUF file; calibration runs one block at a time over
    /// every window (`LayerSequentialCalibrator`), the hidden states, and the Gram matrices when
    /// the compensation rewrites the down projection, waiting in temporary files in `scratch`;
    /// the plan reads each block from the file, and the export writes the pruned model block by
    /// block (`GGUFExporter.exportPruned`: the file the loaded run writes, byte for byte). Both
    /// evaluations are skipped (null in the result: a model that does not fit cannot be run
    /// whole). Requires `exportPath`, a GGUF model, GGUF export and FFN-only pruning
    /// (structures `["ffn"]` at an FFN sparsity); takes no evaluation input.
    public var streamed = false
    /// The folder where a streamed run keeps its temporary files (nil: the daemon's temporary
    /// folder); it must exist. The files are unlinked as soon as they are made, so nothing is
    /// left behind however the run ends. Only with `streamed`.
    public var scratch: String?

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
                      "unload both models and release the calibration once done (the result's handles are then gone)"),
           .defaulted("streamed", \.streamed,
                      "prune a model that does not fit in memory, never loading it: the GGUF file is read one block at a time (calibration layer by layer, hidden states and Gram matrices in temporary files under scratch, the plan and the export block by block: the same file as without streamed); both evaluations are skipped (null in the result); needs exportPath, a GGUF model and export, and FFN-only pruning (structures [\"ffn\"], target ffn-sparsity); no evaluation input"),
           .optional("scratch", \.scratch,
                     "a streamed run's folder for its temporary files (hidden states, Gram matrices: about windows x windowSize x hiddenSize x 4 bytes, plus one Gram matrix per block with compensation); it must exist",
                     string: .path, note: "the daemon's temporary folder ($TMPDIR, else /tmp)")]

    /// Exactly one calibration input; at most one evaluation input, and one when the calibration
    /// reads explicit windows (they are no text to evaluate on). A streamed run: an export path,
    /// GGUF export, FFN-only pruning and no evaluation members; `scratch` only with `streamed`.
    public func validateWire() throws(WireError) {
        try calibration.input.validate(allowsWindows: true)
        if streamed {
            try validateStreamed()
            return
        }
        if scratch != nil {
            throw WireError(member: "scratch",
                            message: "'scratch' is the folder of a streamed run's temporary files: add \"streamed\": true, or leave 'scratch' out")
        }
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

extension RunParams {
    /// What only a streamed run requires (see `streamed`), each refusal naming its member.
    private func validateStreamed() throws(WireError) {
        guard exportPath != nil else {
            throw WireError(member: "exportPath",
                            message: "a streamed run holds no model, so the exported file is its result: give 'exportPath' (a .gguf file)")
        }
        guard export.format == .gguf else {
            throw WireError(member: "exportFormat",
                            message: "a streamed run exports GGUF only ('exportFormat' \"gguf\"): an hf folder needs the model loaded, so run without streamed")
        }
        guard pruning.isFFNOnlySparsity else {
            let member = pruning.structures != [.ffn] ? "structures" : "target"
            throw WireError(member: member,
                            message: "a streamed run prunes FFN neurons at an FFN sparsity only ('structures' [\"ffn\"], 'target' \"ffn-sparsity\"): attention and depth pruning and parameter targets need the model loaded, so run without streamed")
        }
        let input = evaluation.input
        let given: String? = input.text != nil ? "evalText" : input.path != nil ? "evalPath"
            : input.tokens != nil ? "evalTokens" : evaluation.windowSize != nil ? "evalWindowSize"
            : evaluation.maxWindows != nil ? "maxWindows" : nil
        if let given {
            throw WireError(member: given,
                            message: "a streamed run skips both evaluations (the model is never loaded whole), so '\(given)' has no use: leave it out, or run without streamed")
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

/// A stage's result as `run` reports it: `Inner`'s members (read as members of the view:
/// `result.pruning.parametersAfter`), except that its model handles are left out when the run
/// was streamed, since a streamed run loads no model and so holds none to name. Every other
/// member is the stage method's own, so a streamed run's result has the loaded run's shape.
@dynamicMemberLookup
public struct RunView<Inner: WireObject & Equatable & Sendable>: WireObject, Equatable, Sendable {
    /// The stage's result; its model handles are empty when `namesModels` is false.
    public var result: Inner
    /// Whether the model handles are real and sent (false for a streamed run).
    public var namesModels: Bool

    /// `result`, with its model handles sent unless `namesModels` is false.
    public init(_ result: Inner, namesModels: Bool = true) {
        self.result = result
        self.namesModels = namesModels
    }

    /// `result`'s members, read as the view's.
    public subscript<Value>(dynamicMember keyPath: KeyPath<Inner, Value>) -> Value { result[keyPath: keyPath] }

    /// The schema name: `run` and the inner object's (`runPruneResult`).
    public static var wireName: String { "run" + Inner.wireName.prefix(1).uppercased() + Inner.wireName.dropFirst() }
    /// What the object is.
    public static var wireDoc: String { Inner.wireDoc + ", as run reports it (no model handles in a streamed run)" }
    /// The inner placeholder, no handles.
    public static var blank: RunView { RunView(Inner.blank, namesModels: false) }
    /// `Inner`'s members; a model handle is optional, absent in a streamed run, and reading
    /// one marks the view as naming models.
    public static var members: [WireMember<RunView>] { Inner.members.map(viewMember) }

    /// `member` of `Inner` as the view's: lifted, and optional when it is a model handle.
    private static func viewMember(_ member: WireMember<Inner>) -> WireMember<RunView> {
        let keyPath: WritableKeyPath<RunView, Inner> & Sendable = \RunView.result
        let lifted: WireMember<RunView> = member.lifted(keyPath)
        guard member.info.type == .string(Handle.model) else { return lifted }
        var info = member.info
        info.presence = .optional(documentedDefault: nil, note: "absent in a streamed run: no model was loaded")
        info.doc += " (absent in a streamed run, which loads no model)"
        let get: @Sendable (RunView) -> JSONValue? = lifted.get
        let set: (@Sendable (inout RunView, JSONValue, String) throws(WireError) -> Void)? = lifted.set
        let viewGet: @Sendable (RunView) -> JSONValue? = { view in view.namesModels ? get(view) : nil }
        guard let set else { return WireMember(info: info, get: viewGet, set: nil) }
        let viewSet: @Sendable (inout RunView, JSONValue, String) throws(WireError) -> Void = { view, json, path throws(WireError) in
            try set(&view, json, path)
            view.namesModels = true
        }
        return WireMember(info: info, get: viewGet, set: viewSet)
    }
}

/// Result of `run`: each stage's own result, and the time each took. A streamed run
/// (`RunParams.streamed`) has the same members: its evaluations are null (skipped) and the
/// model, pruning and export name no model handle (no model was loaded).
public struct RunResult: WireObject, Equatable {
    /// The loaded (dense) model; a streamed run's describes the file (no handle).
    public var model: RunView<ModelInfo>
    /// The calibration.
    public var calibration: CalibrationInfo
    /// The dense model's evaluation (nil: skipped, in a streamed run).
    public var denseEvaluation: EvaluateResult?
    /// The pruning (the pruned model's handle is `pruning.pruned`, absent in a streamed run).
    public var pruning: RunView<PruneResult>
    /// The pruned model's evaluation (nil: skipped, in a streamed run).
    public var prunedEvaluation: EvaluateResult?
    /// The export (nil without `exportPath`).
    public var export: RunView<ExportResult>?
    /// Each stage's wall time, in order.
    public var stages: [RunStageTime]
    /// Whether the models and the calibration were released.
    public var released: Bool
    /// Whether the run was streamed (`RunParams.streamed`): nothing was loaded, the
    /// evaluations were skipped.
    public var streamed: Bool

    /// The result of a run; a streamed one (`streamed`) sends no model handles.
    public init(model: ModelInfo, calibration: CalibrationInfo, denseEvaluation: EvaluateResult?,
                pruning: PruneResult, prunedEvaluation: EvaluateResult?, export: ExportResult?,
                stages: [RunStageTime], released: Bool, streamed: Bool = false) {
        self.model = RunView(model, namesModels: !streamed)
        self.calibration = calibration
        self.denseEvaluation = denseEvaluation
        self.pruning = RunView(pruning, namesModels: !streamed)
        self.prunedEvaluation = prunedEvaluation
        self.export = export.map { RunView($0, namesModels: !streamed) }
        self.stages = stages
        self.released = released
        self.streamed = streamed
    }

    /// Seconds of every stage together.
    public var totalSeconds: Double { stages.reduce(0) { $0 + $1.seconds } }

    /// The schema name.
    public static let wireName = "runResult"
    /// What the object is.
    public static let wireDoc = "what each stage of run gave, and how long it took"
    /// Placeholders.
    public static let blank = RunResult(
        model: .blank, calibration: .blank, denseEvaluation: nil, pruning: .blank, prunedEvaluation: nil,
        export: nil, stages: [], released: false)
    /// Every member.
    public static let members: [WireMember<RunResult>] = [
        .required("model", \.model, "the loaded (dense) model; in a streamed run the file's model, never loaded (no handle)"),
        .required("calibration", \.calibration, "the calibration"),
        .nullable("denseEvaluation", \.denseEvaluation, "the dense model's evaluation; null: skipped (a streamed run)"),
        .required("pruning", \.pruning,
                  "the pruning; the pruned model's handle is pruning.pruned (absent in a streamed run: the pruned model is only the exported file)"),
        .nullable("prunedEvaluation", \.prunedEvaluation, "the pruned model's evaluation; null: skipped (a streamed run)"),
        .optional("export", \.export, "the export", note: "absent without exportPath"),
        .required("stages", \.stages, "each stage's wall time, in order (a streamed run's: load, calibrate, prune, export)"),
        .required("released", \.released, "whether the models and the calibration were released"),
        .defaulted("streamed", \.streamed,
                   "whether the run was streamed: the model was read from its file block by block and never loaded, the evaluations were skipped"),
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
