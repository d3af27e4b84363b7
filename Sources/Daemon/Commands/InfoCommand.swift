import ArgumentParser
import Core
import Foundation
import Kernels

/// `cfspd info MODEL`: load a model and describe it.
struct InfoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "info", abstract: "Load a model and print its architecture.")

    @Argument(help: "A GGUF file or a Hugging Face folder.")
    var model: String

    @OptionGroup var engine: EngineOptions

    func run() throws {
        let loaded = try loadReporting(model, precision: engine.precision)
        for line in ModelSummary.lines(loaded) { print(line) }
    }
}

/// Loads a model, turning format errors into a clean exit with the error's own message.
func loadReporting(_ path: String, precision: WeightPrecision) throws -> LoadedModel {
    do {
        return try ModelLoader.load(path: path, precision: precision)
    } catch {
        throw ValidationError("cannot load '\(path)': \(error)")
    }
}
