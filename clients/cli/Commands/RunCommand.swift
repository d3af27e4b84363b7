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
            Sends the daemon's `run` method, whose stages are model/load, calibrate (on the text \
            input: --path FILE, --text TEXT or --tokens), evaluate of the dense model, prune, \
            evaluate of the pruned model (on --eval-path, by default the calibration input) and \
            export. The summary gives dense and pruned perplexity, parameters removed, the time of \
            each stage and the exported path. --sparsity defaults to \(RunParams.defaultSparsity) \
            here. Without --overwrite, an existing export target is refused before anything runs.

            For a model that does not fit in memory, add --streamed: the GGUF file is read one \
            block at a time and never loaded (calibration layer by layer with the hidden states \
            in temporary files under --scratch, the plan and the export block by block; the same \
            file as without it). Both evaluations are skipped; it prunes FFN neurons only and \
            exports GGUF only.
            """)

    @Argument(help: MemberFlags.help(RunParams.self, "modelPath", valueName: "model")) var model: String
    @OptionGroup(title: "Calibration text") var input: TextInputOptions
    @Option(name: .long, help: ArgumentHelp("Evaluation text file (default: the calibration input).", valueName: "file"))
    var evalPath: String?
    @OptionGroup(title: "Calibration windows") var sampling: CalibrationSamplingOptions
    @OptionGroup(title: "Pruning") var pruning: PruningFlags
    @Option(name: .long, parsing: .unconditional, help: MemberFlags.help(RunParams.self, "evalWindowSize"))
    var evalWindowSize: Int?
    @OptionGroup var evaluation: EvaluationOptions
    @Option(name: .long, help: MemberFlags.help(RunParams.self, "loadPrecision")) var loadPrecision: WeightPrecision?
    @Option(name: [.customShort("o"), .long],
            help: ArgumentHelp("The exported GGUF (default: <model>-cfsp<NN>.gguf here).", valueName: "file"))
    var exportPath: String?
    @OptionGroup(title: "Export") var export: ExportOptions
    @Flag(name: .long, help: MemberFlags.help(RunParams.self, "release")) var release = false
    @Flag(name: .long, help: ArgumentHelp(
        "Prune a model that does not fit in memory: read the GGUF file one block at a time, never loading it; both evaluations are skipped (FFN pruning and GGUF export only)."))
    var streamed = false
    @Option(name: .long, help: MemberFlags.help(RunParams.self, "scratch", valueName: "dir"))
    var scratch: String?
    @OptionGroup var connection: ConnectionOptions

    /// The sparsity this run prunes to.
    var sparsity: Double { pruning.sparsity ?? RunParams.defaultSparsity }

    /// The default export path: the model's name with the sparsity, in the current directory.
    var outputPath: String {
        if let exportPath { return absolutePath(exportPath) }
        var stem = ((model as NSString).lastPathComponent as NSString).deletingPathExtension
        if stem.isEmpty { stem = "model" }
        return absolutePath("\(stem)-cfsp\(Int((sparsity * 100).rounded())).gguf")
    }

    /// The params of `run` these options name.
    var params: RunParams {
        var params = RunParams(modelPath: absolutePath(model), input: input.input, exportPath: outputPath)
        if let loadPrecision { params.load.precision = loadPrecision }
        params.calibration.sampling = sampling.sampling
        if let evalPath { params.evaluation.input = TextInput(path: absolutePath(evalPath)) }
        params.evaluation.windowSize = evalWindowSize
        params.evaluation.maxWindows = evaluation.maxWindows
        params.pruning = pruning.options(sparsity: sparsity)
        params.export = export.params(model: "", format: .gguf, path: "")
        params.release = release
        params.streamed = streamed
        params.scratch = scratch.map(absolutePath)
        return params
    }

    func validate() throws {
        if let evalPath, !FileManager.default.fileExists(atPath: evalPath) {
            throw ValidationError("--eval-path '\(evalPath)' does not exist")
        }
        var isFolder: ObjCBool = false
        if let scratch, !FileManager.default.fileExists(atPath: scratch, isDirectory: &isFolder) || !isFolder.boolValue {
            throw ValidationError("--scratch '\(scratch)' is not an existing folder")
        }
        try MemberFlags.validate(params, flags: ["exportPrecision": "--precision", "exportName": "--name",
                                                 "modelPath": "<model>"])
        try export.overwrite.refuseExisting(outputPath)
    }

    func run() async throws {
        let params = self.params
        let result = try await DaemonSession.with(connection) { session throws(CLIError) in
            try await session.send(RunRequest.self, params)
        }
        let report = PipelineReport(result)
        if connection.json {
            ResultPrinter.print(report.json, json: true)
        } else {
            Console.out(report.summary)
        }
    }
}
