import ArgumentParser
import CFSPProtocol
import Core
import RPC

/// What `score` and `prune` both take: the model, its calibration and the pruning options.
struct PruningRequestOptions: ParsableArguments {
    @OptionGroup var model: ModelOption
    @Option(name: .long, help: ArgumentHelp("The calibration handle, like c1.", valueName: "handle")) var calibration: String
    @OptionGroup var pruning: PruningFlags

    func validate() throws {
        guard pruning.sparsity != nil else { throw ValidationError("Missing expected argument '--sparsity <sparsity>'") }
        try MemberFlags.validate(params)
    }

    /// The request's params.
    var params: PruningParams {
        PruningParams(model: model.model, calibration: calibration, options: pruning.options(sparsity: pruning.sparsity ?? 0))
    }
}

/// `cfsp score`: what each block would keep, without pruning.
struct ScoreCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "score", abstract: "Show what each block would keep at a sparsity (score), without pruning.")
    @OptionGroup var request: PruningRequestOptions
    @OptionGroup var connection: ConnectionOptions

    func run() async throws { try await connection.perform(ScoreRequest.self, request.params) }
}

/// `cfsp prune`: builds a pruned model and prints its handle and per-block table.
struct PruneCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "prune", abstract: "Prune a model's FFNs (prune); prints the new model's handle.")
    @OptionGroup var request: PruningRequestOptions
    @OptionGroup var connection: ConnectionOptions

    func run() async throws { try await connection.perform(PruneRequest.self, request.params) }
}

/// `cfsp evaluate`: perplexity of a model on a text.
struct EvaluateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "evaluate", abstract: "Perplexity over non-overlapping windows of a text (evaluate).")
    @OptionGroup var model: ModelOption
    @OptionGroup var input: TextInputOptions
    @Option(name: .long, parsing: .unconditional, help: MemberFlags.help(EvaluateParams.self, "windowSize"))
    var windowSize: Int?
    @OptionGroup var evaluation: EvaluationOptions
    @OptionGroup var connection: ConnectionOptions

    /// The request's params.
    var params: EvaluateParams {
        EvaluateParams(model: model.model, input: input.input, windowSize: windowSize, maxWindows: evaluation.maxWindows)
    }

    func validate() throws { try MemberFlags.validate(params) }

    func run() async throws { try await connection.perform(EvaluateRequest.self, params) }
}

/// `cfsp export`: writes a model to disk.
struct ExportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export", abstract: "Write a model as GGUF (a file) or Hugging Face (a folder) (export).")
    @OptionGroup var model: ModelOption
    @Argument(help: "The .gguf file, or the folder for --format hf.") var path: String
    @Option(name: .long, help: "The file format (default: gguf).") var format: ExportFormat = .gguf
    @OptionGroup var export: ExportOptions
    @OptionGroup var connection: ConnectionOptions

    func validate() throws {
        // A quantized precision for an hf folder is refused here as the daemon would refuse it.
        try MemberFlags.validate(export.params(model: model.model, format: format, path: absolutePath(path)))
        try export.overwrite.refuseExisting(absolutePath(path))
    }

    func run() async throws {
        try await connection.perform(ExportRequest.self, export.params(model: model.model, format: format, path: absolutePath(path)))
    }
}

/// `cfsp call`: any method with raw JSON params, for what has no subcommand yet.
struct CallCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "call", abstract: "Send any method with JSON params and print the result.",
        discussion: "Example: cfsp call model/list '{}' --json")
    @Argument(help: "The method name, like model/list.") var method: String
    @Argument(help: "The params as a JSON object (default {}).") var params: String = "{}"
    @OptionGroup var connection: ConnectionOptions

    func run() async throws {
        let value: JSONValue
        do {
            value = try JSONValue(parsing: Array(params.utf8))
        } catch {
            throw ValidationError("params are not valid JSON: \(error)")
        }
        guard case .object = value else { throw ValidationError("params must be a JSON object, like {\"model\":\"m1\"}") }
        try await connection.perform(method, value)
    }
}
