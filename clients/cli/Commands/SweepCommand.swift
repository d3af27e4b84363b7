import ArgumentParser
import CFSPProtocol
import Core
import Foundation
import RPC

/// `cfsp sweep`: from one calibration, perplexity and parameters at several sparsities (and
/// methods), printed as a table.
struct SweepCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sweep",
        abstract: "Prune to several sparsities (and methods) from one calibration and evaluate each (sweep).",
        discussion: """
            Each point is the daemon's prune and evaluate; each pruned model is freed once \
            evaluated unless --keep-models. The table has one row per point, after the dense model's.
            """)

    @OptionGroup var model: ModelOption
    @Option(name: .long, help: ArgumentHelp("The calibration handle, like c1.", valueName: "handle"))
    var calibration: String
    @Option(name: .long, help: ArgumentHelp(
        "The sparsities, comma-separated, like 0.1,0.2,0.3 (each in [0, 1)).", valueName: "list"))
    var sparsities: String
    @Option(name: .long, help: ArgumentHelp(
        "The methods, comma-separated (default: cfsp): \(PruningMethod.acceptedValues.joined(separator: ", ")).",
        valueName: "list"))
    var methods: String?
    @OptionGroup(title: "Pruning") var pruning: PruningSettingsFlags
    @OptionGroup(title: "Evaluation text") var input: TextInputOptions
    @Option(name: .long, parsing: .unconditional, help: MemberFlags.help(SweepParams.self, "windowSize"))
    var windowSize: Int?
    @OptionGroup var evaluation: EvaluationOptions
    @Flag(name: .long, help: "Leave out the dense model's evaluation.") var noDense = false
    @Flag(name: .long, help: MemberFlags.help(SweepParams.self, "keepModels")) var keepModels = false
    @OptionGroup var connection: ConnectionOptions

    /// The sparsities given, or nil when one is not a number.
    private var sparsityList: [Double]? {
        let parts = sparsities.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        let values = parts.compactMap(Double.init)
        return values.count == parts.count && !values.isEmpty ? values : nil
    }

    /// The methods given (unknown names are left as they are, for the daemon's check to name).
    private var methodNames: [String] {
        (methods ?? PruningMethod.cfsp.rawValue).split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
    }

    /// The request's params.
    var params: SweepParams {
        get throws {
            guard let list = sparsityList else {
                throw ValidationError("--sparsities must be comma-separated numbers, like 0.1,0.2,0.3")
            }
            var params = SweepParams(model: model.model, calibration: calibration, sparsities: list, input: input.input)
            params.methods = try methodNames.map { name in
                guard let method = PruningMethod(rawValue: name) else {
                    throw ValidationError(
                        "--methods: '\(name)' is not a method; choose from \(PruningMethod.acceptedValues.joined(separator: ", "))")
                }
                return method
            }
            params.options = pruning.options(sparsity: 0)
            params.evaluation.windowSize = windowSize
            params.evaluation.maxWindows = evaluation.maxWindows
            params.includeDense = !noDense
            params.keepModels = keepModels
            return params
        }
    }

    func validate() throws { try MemberFlags.validate(try params) }

    func run() async throws {
        let params = try self.params
        let result = try await DaemonSession.with(connection) { session throws(CLIError) in
            try await session.send(SweepRequest.self, params)
        }
        if connection.json {
            ResultPrinter.print(result.wireJSON, json: true)
        } else {
            Console.out(Self.table(result))
        }
    }

    /// One row per point (the dense model first), aligned.
    static func table(_ result: SweepResult) -> String {
        let header = ["method", "sparsity", "achieved", "perplexity", "parameters", "removed", "seconds"]
        var rows: [[String]] = []
        if let dense = result.dense {
            rows.append(["dense", "-", "-", String(format: "%.3f", dense.perplexity), grouped(result.parameters), "-",
                         String(format: "%.2f", dense.seconds)])
        }
        for point in result.points {
            rows.append([point.method.rawValue, String(format: "%.3f", point.sparsity),
                         String(format: "%.3f", point.achievedSparsity), String(format: "%.3f", point.perplexity),
                         grouped(point.parameters), String(format: "%.1f %%", point.shareRemoved * 100),
                         String(format: "%.2f", point.seconds)])
        }
        return TextTable.render([header] + rows, rightAligned: Set(1..<header.count))
    }
}
