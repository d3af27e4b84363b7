import ArgumentParser
import RPC

/// `cfsp calibrate`: gathers the statistics every pruning method needs.
struct CalibrateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "calibrate",
        abstract: "Run the model over calibration windows (calibrate); prints the calibration handle.")
    @Option(name: .long, help: "The model handle, like m1.") var model: String
    @OptionGroup var input: TextInputOptions
    @Option(name: .long, help: "Number of windows drawn at random (default 128).") var count: Int?
    @Option(name: .customLong("window-size"), help: "Tokens per window (default 1024).") var windowSize: Int?
    @Option(name: .long, help: "Seed of the window draw (default 0).") var seed: Int?
    @Option(name: .customLong("block-metric"), help: "Metric of the importance in the result (default angular).")
    var blockMetric: String?
    @OptionGroup var connection: ConnectionOptions

    func validate() throws {
        if let count, count < 1 { throw ValidationError("--count must be at least 1, got \(count)") }
        if let windowSize, windowSize < 2 { throw ValidationError("--window-size must be at least 2, got \(windowSize)") }
    }

    func run() async throws {
        try await connection.perform("calibrate", .object(params))
    }

    var params: [String: JSONValue] {
        var params = input.members
        params["model"] = .string(model)
        if let count { params["count"] = .int(count) }
        if let windowSize { params["windowSize"] = .int(windowSize) }
        if let seed { params["seed"] = .int(seed) }
        if let blockMetric { params["blockMetric"] = .string(blockMetric) }
        return params
    }
}

/// `cfsp calibration save|load|release`.
struct CalibrationCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "calibration", abstract: "Save, load and release calibration statistics.",
        subcommands: [Save.self, Load.self, Release.self])

    struct Save: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Write statistics to a JSON file (calibration/save).")
        @Argument(help: "The calibration handle, like c1.") var calibration: String
        @Argument(help: "The JSON file to write.") var path: String
        @Flag(name: .long, help: "Replace an existing file.") var overwrite = false
        @OptionGroup var connection: ConnectionOptions

        func run() async throws {
            try await connection.perform("calibration/save", [
                "calibration": .string(calibration), "path": .string(absolutePath(path)), "overwrite": .bool(overwrite),
            ], progress: false)
        }
    }

    struct Load: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Read statistics saved earlier (calibration/load).")
        @Argument(help: "The JSON file written by `calibration save`.") var path: String
        @Option(name: .long, help: "Check the statistics against this model handle.") var model: String?
        @OptionGroup var connection: ConnectionOptions

        func run() async throws {
            var params: [String: JSONValue] = ["path": .string(absolutePath(path))]
            if let model { params["model"] = .string(model) }
            try await connection.perform("calibration/load", .object(params), progress: false)
        }
    }

    struct Release: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Free calibration statistics (calibration/release).")
        @Argument(help: "The calibration handle, like c1.") var calibration: String
        @OptionGroup var connection: ConnectionOptions

        func run() async throws {
            try await connection.perform("calibration/release", ["calibration": .string(calibration)], progress: false)
        }
    }
}
