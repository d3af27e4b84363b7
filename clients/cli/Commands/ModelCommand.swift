import ArgumentParser
import CFSPProtocol
import Kernels
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
        @Option(name: .long, help: MemberFlags.help(LoadModelParams.self, "precision")) var precision: WeightPrecision?
        @OptionGroup var connection: ConnectionOptions

        func run() async throws {
            try await connection.perform(LoadModelRequest.self, LoadModelParams(path: absolutePath(path), precision: precision))
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the models the daemon holds (model/list).")
        @OptionGroup var connection: ConnectionOptions

        func run() async throws {
            let list = try await DaemonSession.with(connection) { session throws(CLIError) in
                try await session.send(ListModelsRequest.self, EmptyObject(), progress: false)
            }
            if connection.json {
                ResultPrinter.print(list.wireJSON, json: true)
            } else {
                Console.out(Self.table(list.models))
            }
        }

        /// One line per model: what it is, where it came from; `model describe` has the rest.
        static func table(_ models: [ModelInfo]) -> String {
            guard !models.isEmpty else { return "no models loaded (cfsp model load FILE)" }
            let header = ["model", "architecture", "layers", "parameters", "precision", "parent", "path"]
            let rows = models.map { info in
                [info.model, info.architecture, String(info.config.layers), grouped(info.parameters),
                 info.precision.rawValue, info.parent ?? "-", info.path]
            }
            return TextTable.render([header] + rows, rightAligned: [2, 3])
        }
    }

    struct Describe: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Describe one model (model/describe).")
        @Argument(help: "The model handle, like m1.") var model: String
        @OptionGroup var connection: ConnectionOptions

        func run() async throws {
            try await connection.perform(DescribeModelRequest.self, ModelHandleParams(model: model), progress: false)
        }
    }

    struct Unload: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Free a model (model/unload); refused while jobs run on it.")
        @Argument(help: "The model handle, like m1.") var model: String
        @OptionGroup var connection: ConnectionOptions

        func run() async throws {
            try await connection.perform(UnloadModelRequest.self, ModelHandleParams(model: model), progress: false)
        }
    }
}
