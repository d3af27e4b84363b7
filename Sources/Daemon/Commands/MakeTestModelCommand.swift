import ArgumentParser
import Core

/// `cfspd make-test-model` (hidden, for development): writes the tiny seeded test model.
struct MakeTestModelCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "make-test-model",
        abstract: "Write a tiny seeded LLaMA with a byte-level tokenizer (for tests and client development).",
        shouldDisplay: false)

    @Option(help: "Where to write: a .gguf file, or a folder with --format hf.")
    var output: String

    @Option(help: "Seed of the random weights.")
    var seed: UInt64 = 1

    @Option(help: "gguf or hf.")
    var format: ModelFormat = .gguf

    @Flag(help: "Replace an existing file or folder.")
    var overwrite = false

    func run() throws {
        try TestModelFile.write(to: output, format: format, seed: seed, overwrite: overwrite)
        print(output)
    }
}

extension ModelFormat: ExpressibleByArgument {}
