import ArgumentParser
import CFSPProtocol
import Core
import Foundation
import Kernels
import RPC

/// `cfsp run`: the whole CFSP pipeline in one session, with a summary table.
struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Load, calibrate, evaluate, prune, evaluate again and export, then print a summary.",
        discussion: """
            Stages: model/load, calibrate (on the text input: --path FILE, --text TEXT or --tokens), \
            evaluate of the dense model, prune, evaluate of the pruned model (on --eval-path, by \
            default the calibration input), export. The summary gives dense and pruned perplexity, \
            parameters removed, the time of each stage and the exported path. --sparsity defaults \
            to \(defaultSparsity) here. An existing export target is refused before anything runs \
            unless --overwrite is given.
            """)

    /// The sparsity of `run` when --sparsity is not given (score and prune require one).
    static let defaultSparsity = 0.3

    @Argument(help: "The model: a .gguf file or a Hugging Face folder.") var model: String
    @OptionGroup(title: "Calibration text") var input: TextInputOptions
    @Option(name: .long, help: ArgumentHelp("Evaluation text file (default: the calibration input).", valueName: "file"))
    var evalPath: String?
    @OptionGroup(title: "Calibration windows") var sampling: CalibrationSamplingOptions
    @OptionGroup(title: "Pruning") var pruning: PruningFlags
    @Option(name: .long, parsing: .unconditional, help: MemberFlags.help(EvaluateParams.self, "windowSize"))
    var evalWindowSize: Int?
    @OptionGroup var evaluation: EvaluationOptions
    @Option(name: .long, help: MemberFlags.help(LoadModelParams.self, "precision")) var loadPrecision: WeightPrecision?
    @Option(name: [.customShort("o"), .long],
            help: ArgumentHelp("The exported GGUF (default: <model>-cfsp<NN>.gguf here).", valueName: "file"))
    var exportPath: String?
    @OptionGroup(title: "Export") var export: ExportOptions
    @OptionGroup var connection: ConnectionOptions

    /// The sparsity this run prunes to.
    var sparsity: Double { pruning.sparsity ?? Self.defaultSparsity }

    /// The default export path: the model's name with the sparsity, in the current directory.
    var outputPath: String {
        if let exportPath { return absolutePath(exportPath) }
        var stem = ((model as NSString).lastPathComponent as NSString).deletingPathExtension
        if stem.isEmpty { stem = "model" }
        return absolutePath("\(stem)-cfsp\(Int((sparsity * 100).rounded())).gguf")
    }

    /// The evaluation input: --eval-path, else the calibration input.
    var evaluationInput: TextInput { evalPath.map { TextInput(path: absolutePath($0)) } ?? input.input }

    /// Each stage's params, with placeholder handles (the daemon hands out the real ones).
    private func params(model handle: String, calibration: String) -> (CalibrateParams, EvaluateParams, PruningParams) {
        var calibrate = CalibrateParams(model: handle, input: input.input)
        calibrate.sampling = sampling.sampling
        // The Gram matrices only when the pruning will use them.
        calibrate.gram = pruning.options(sparsity: sparsity).effectiveCompensation.rewritesDown
        let evaluate = EvaluateParams(model: handle, input: evaluationInput, windowSize: evalWindowSize,
                                      maxWindows: evaluation.maxWindows)
        let prune = PruningParams(model: handle, calibration: calibration, options: pruning.options(sparsity: sparsity))
        return (calibrate, evaluate, prune)
    }

    func validate() throws {
        if let evalPath, !FileManager.default.fileExists(atPath: evalPath) {
            throw ValidationError("--eval-path '\(evalPath)' does not exist")
        }
        let (calibrate, evaluate, prune) = params(model: "m0", calibration: "c0")
        try MemberFlags.validate(calibrate)
        try MemberFlags.validate(evaluate, flags: ["windowSize": "--eval-window-size"])
        try MemberFlags.validate(prune)
        try export.overwrite.refuseExisting(outputPath)
    }

    func run() async throws {
        let report = try await DaemonSession.with(connection) { session throws(CLIError) in
            try await pipeline(session)
        }
        if connection.json {
            ResultPrinter.print(report.json, json: true)
        } else {
            Console.out(report.summary)
        }
    }

    private func pipeline(_ session: DaemonSession) async throws(CLIError) -> PipelineReport {
        var report = PipelineReport()
        func stage<R: ProtocolMethod>(_ name: String, _ type: R.Type, _ params: R.Params) async throws(CLIError)
            -> R.Response
        {
            let start = ContinuousClock.now
            let result = try await session.send(type, params)
            let elapsed = ContinuousClock.now - start
            report.add(name, seconds: Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18,
                       result: result.wireJSON)
            return result
        }
        let loaded = try await stage(
            "load", LoadModelRequest.self, LoadModelParams(path: absolutePath(model), precision: loadPrecision))
        let (calibrate, evaluateDense, plan) = params(model: loaded.model, calibration: "")
        let calibration = try await stage("calibrate", CalibrateRequest.self, calibrate)
        report.dense = try await stage("evaluate dense", EvaluateRequest.self, evaluateDense)
        var prune = plan
        prune.calibration = calibration.calibration
        let pruned = try await stage("prune", PruneRequest.self, prune)
        report.pruned = pruned
        var evaluatePruned = evaluateDense
        evaluatePruned.model = pruned.pruned
        report.prunedEvaluation = try await stage("evaluate pruned", EvaluateRequest.self, evaluatePruned)
        report.export = try await stage(
            "export", ExportRequest.self, export.params(model: pruned.pruned, format: .gguf, path: outputPath))
        return report
    }
}
