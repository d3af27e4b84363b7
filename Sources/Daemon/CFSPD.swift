import ArgumentParser
import CFSPProtocol

/// `cfspd`: the cfsp daemon, and one-shot commands that run the same engine without it.
@main
struct CFSPD: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cfspd",
        abstract: "Coarse-to-fine structured pruning of LLaMA-family models, on a CPU.",
        discussion: """
            Without a subcommand, serves the JSON-RPC protocol (protocol.md) on stdio.
            One-shot commands load a model (GGUF file or Hugging Face folder), run, and exit.
            Progress goes to stderr, results to stdout.
            """,
        version: CFSPVersion.current,
        subcommands: [ServeCommand.self, InfoCommand.self, PerplexityCommand.self, MakeTestModelCommand.self],
        defaultSubcommand: ServeCommand.self)
}
