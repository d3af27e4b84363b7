import ArgumentParser
import CFSPProtocol
import Core

/// `cfsp calibrate`: gathers the statistics every pruning method needs.
struct CalibrateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "calibrate",
        abstract: "Run the model over calibration windows (calibrate); prints the calibration handle.")
    @OptionGroup var model: ModelOption
    @OptionGroup var input: TextInputOptions
    @OptionGroup var sampling: CalibrationSamplingOptions
    @Option(name: .long, help: MemberFlags.help(CalibrateParams.self, "blockMetric")) var blockMetric: BlockMetric?
    @Flag(name: .customLong("no-gram"),
          help: "Skip the FFN Gram matrices (less memory and time; prune then needs --compensation none).")
    var noGram = false
    @OptionGroup var connection: ConnectionOptions

    /// The request's params.
    var params: CalibrateParams {
        var params = CalibrateParams(model: model.model, input: input.input, blockMetric: blockMetric,
                                     gram: noGram ? false : nil)
        params.sampling = sampling.sampling
        return params
    }

    func validate() throws { try MemberFlags.validate(params) }

    func run() async throws { try await connection.perform(CalibrateRequest.self, params) }
}

/// `cfsp calibration save|load|merge|release`.
struct CalibrationCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "calibration", abstract: "Save, load, merge and release calibration statistics.",
        subcommands: [Save.self, Load.self, Merge.self, Release.self])

    struct Save: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Write statistics to a JSON file (calibration/save).")
        @Argument(help: "The calibration handle, like c1.") var calibration: String
        @Argument(help: "The JSON file to write.") var path: String
        @OptionGroup var overwrite: OverwriteOption
        @OptionGroup var connection: ConnectionOptions

        func validate() throws { try overwrite.refuseExisting(absolutePath(path)) }

        func run() async throws {
            try await connection.perform(
                SaveCalibrationRequest.self,
                SaveCalibrationParams(calibration: calibration, path: absolutePath(path), overwrite: overwrite.overwrite),
                progress: false)
        }
    }

    struct Load: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Read statistics saved earlier (calibration/load).")
        @Argument(help: "The JSON file written by `calibration save`.") var path: String
        @Option(name: .long, help: MemberFlags.help(LoadCalibrationParams.self, "model", valueName: "handle"))
        var model: String?
        @OptionGroup var connection: ConnectionOptions

        func run() async throws {
            try await connection.perform(
                LoadCalibrationRequest.self, LoadCalibrationParams(path: absolutePath(path), model: model), progress: false)
        }
    }

    struct Merge: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Add up calibrations of one model and window size into a new one (calibration/merge).")
        @Argument(help: "Calibration handles, like c1 c2.") var calibrations: [String] = []
        @Option(name: .long, help: ArgumentHelp("A file written by `calibration save` to add (repeatable).", valueName: "file"))
        var path: [String] = []
        @Option(name: .long, help: MemberFlags.help(MergeCalibrationsParams.self, "model", valueName: "handle"))
        var model: String?
        @Option(name: .long, help: MemberFlags.help(MergeCalibrationsParams.self, "blockMetric")) var blockMetric: BlockMetric?
        @OptionGroup var connection: ConnectionOptions

        /// The request's params.
        var params: MergeCalibrationsParams {
            MergeCalibrationsParams(calibrations: calibrations, paths: path.map(absolutePath), model: model,
                                    blockMetric: blockMetric)
        }

        func validate() throws { try MemberFlags.validate(params) }

        func run() async throws { try await connection.perform(MergeCalibrationsRequest.self, params, progress: false) }
    }

    struct Release: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Free calibration statistics (calibration/release).")
        @Argument(help: "The calibration handle, like c1.") var calibration: String
        @OptionGroup var connection: ConnectionOptions

        func run() async throws {
            try await connection.perform(
                ReleaseCalibrationRequest.self, CalibrationHandleParams(calibration: calibration), progress: false)
        }
    }
}
