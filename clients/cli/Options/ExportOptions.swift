import ArgumentParser
import CFSPProtocol
import Core
import Foundation

/// `--overwrite`, for every command that writes a file (`export`, `calibration save`, `run`).
struct OverwriteOption: ParsableArguments {
    @Flag(name: .long, help: "Replace an existing file (or a previous Hugging Face export folder).")
    var overwrite = false

    /// Refuses a target that exists without --overwrite, before any work starts (a `run` would
    /// otherwise load, calibrate and prune, then fail at the export).
    func refuseExisting(_ path: String) throws {
        if !overwrite && FileManager.default.fileExists(atPath: path) {
            throw ValidationError("'\(path)' exists; pass --overwrite to replace it")
        }
    }
}

/// How `export` and `run` write a model.
struct ExportOptions: ParsableArguments {
    @Option(name: .long, help: MemberFlags.help(ExportParams.self, "precision"))
    var precision: ExportPrecision?

    @Option(name: .long, help: MemberFlags.help(ExportParams.self, "name"))
    var name: String?

    @OptionGroup var overwrite: OverwriteOption

    /// The params writing `model` as `format` to `path`.
    func params(model: String, format: ExportFormat, path: String) -> ExportParams {
        ExportParams(model: model, format: format, path: path, precision: precision, overwrite: overwrite.overwrite,
                     name: name)
    }
}

/// `--model HANDLE`, the model a command works on.
struct ModelOption: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("The model handle, like m1 (see `cfsp model list`).", valueName: "handle"))
    var model: String
}
