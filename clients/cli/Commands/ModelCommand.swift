import ArgumentParser
import RPC

/// `cfsp model load|list|describe|unload`.
struct ModelCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "model", abstract: "Load, list, describe and unload models held by the daemon.",
        subcommands: [Load.self, List.self, Describe.self, Unload.self])

    struct Load: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Load a GGUF file or Hugging Face folder (model/load); prints its handle and shape.")
        @Argument(help: "The .gguf file or Hugging Face folder.") var path: String
        @Option(name: .long, help: "Weight precision in memory: f32 (default) or bf16.") var precision: String?
        @OptionGroup var connection: ConnectionOptions

        func run() async throws {
            var params: [String: JSONValue] = ["path": .string(absolutePath(path))]
            if let precision { params["precision"] = .string(precision) }
            try await connection.perform("model/load", .object(params))
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the models the daemon holds (model/list).")
        @OptionGroup var connection: ConnectionOptions

        func run() async throws { try await connection.perform("model/list", [:], progress: false) }
    }

    struct Describe: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Describe one model (model/describe).")
        @Argument(help: "The model handle, like m1.") var model: String
        @OptionGroup var connection: ConnectionOptions

        func run() async throws {
            try await connection.perform("model/describe", ["model": .string(model)], progress: false)
        }
    }

    struct Unload: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Free a model (model/unload); refused while jobs run on it.")
        @Argument(help: "The model handle, like m1.") var model: String
        @OptionGroup var connection: ConnectionOptions

        func run() async throws {
            try await connection.perform("model/unload", ["model": .string(model)], progress: false)
        }
    }
}
