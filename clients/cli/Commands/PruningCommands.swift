import ArgumentParser
import RPC

/// What `score` and `prune` both take: the model, its calibration, the sparsity and the options.
struct PruningRequestOptions: ParsableArguments {
    @Option(name: .long, help: "The model handle, like m1.") var model: String
    @Option(name: .long, help: "The calibration handle, like c1.") var calibration: String
    @Option(name: .long, help: "Share of FFN neurons to remove, in [0, 1).") var sparsity: Double
    @OptionGroup var pruning: PruningOptions

    func validate() throws { try validateSparsity(sparsity) }

    /// The request's params.
    var params: JSONValue {
        var members = pruning.members(sparsity: sparsity)
        members["model"] = .string(model)
        members["calibration"] = .string(calibration)
        return .object(members)
    }
}

/// `cfsp score`: what each block would keep, without pruning.
struct ScoreCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "score", abstract: "Show what each block would keep at a sparsity (score), without pruning.")
    @OptionGroup var request: PruningRequestOptions
    @OptionGroup var connection: ConnectionOptions

    func run() async throws { try await connection.perform("score", request.params) }
}

/// `cfsp prune`: builds a pruned model and prints its handle and per-block table.
struct PruneCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "prune", abstract: "Prune a model's FFNs (prune); prints the new model's handle.")
    @OptionGroup var request: PruningRequestOptions
    @OptionGroup var connection: ConnectionOptions

    func run() async throws { try await connection.perform("prune", request.params) }
}

/// `cfsp evaluate`: perplexity of a model on a text.
struct EvaluateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "evaluate", abstract: "Perplexity over non-overlapping windows of a text (evaluate).")
    @Option(name: .long, help: "The model handle, like m1.") var model: String
    @OptionGroup var input: TextInputOptions
    @Option(name: .customLong("window-size"), help: "Tokens per window (default 1024).") var windowSize: Int?
    @Option(name: .customLong("max-windows"), help: "Evaluate only the first N windows.") var maxWindows: Int?
    @OptionGroup var connection: ConnectionOptions

    func validate() throws {
        if let windowSize, windowSize < 2 { throw ValidationError("--window-size must be at least 2, got \(windowSize)") }
        if let maxWindows, maxWindows < 1 { throw ValidationError("--max-windows must be at least 1, got \(maxWindows)") }
    }

    func run() async throws {
        var params = input.members
        params["model"] = .string(model)
        if let windowSize { params["windowSize"] = .int(windowSize) }
        if let maxWindows { params["maxWindows"] = .int(maxWindows) }
        try await connection.perform("evaluate", .object(params))
    }
}

/// `cfsp export`: writes a model to disk.
struct ExportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export", abstract: "Write a model as GGUF (a file) or Hugging Face (a folder) (export).")
    @Option(name: .long, help: "The model handle, like m2.") var model: String
    @Argument(help: "The .gguf file, or the folder for --format hf.") var path: String
    @Option(name: .long, help: "gguf (default) or hf.") var format: String = "gguf"
    @Option(name: .long, help: "f32 (default), f16 or bf16.") var precision: String?
    @Option(name: .long, help: "general.name written into a GGUF file.") var name: String?
    @Flag(name: .long, help: "Replace an existing file or folder.") var overwrite = false
    @OptionGroup var connection: ConnectionOptions

    func run() async throws {
        var params: [String: JSONValue] = [
            "model": .string(model), "path": .string(absolutePath(path)), "format": .string(format),
            "overwrite": .bool(overwrite),
        ]
        if let precision { params["precision"] = .string(precision) }
        if let name { params["name"] = .string(name) }
        try await connection.perform("export", .object(params))
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
