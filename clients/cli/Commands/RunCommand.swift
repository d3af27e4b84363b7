import ArgumentParser
import Foundation
import RPC

/// `cfsp run`: the whole CFSP pipeline in one session, with a summary table.
struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Load, calibrate, evaluate, prune, evaluate again and export, then print a summary.",
        discussion: """
            Stages: model/load, calibrate (on --text), evaluate of the dense model, prune, evaluate \
            of the pruned model (on --eval-text, default --text), export. The summary gives dense \
            and pruned perplexity, parameters removed, the time of each stage and the exported path.
            """)

    @Argument(help: "The model: a .gguf file or a Hugging Face folder.") var model: String
    @Option(name: .long, help: ArgumentHelp("Calibration text file (.txt or .jsonl).", valueName: "file"))
    var text: String
    @Option(name: .customLong("eval-text"), help: ArgumentHelp("Evaluation text file (default: --text).", valueName: "file"))
    var evalText: String?
    @Option(name: .long, help: "Share of FFN neurons to remove, in [0, 1).") var sparsity: Double = 0.3
    @OptionGroup var pruning: PruningOptions
    @Option(name: .long, help: "Calibration windows (default 128).") var count: Int?
    @Option(name: .customLong("window-size"), help: "Tokens per calibration window (default 1024).") var windowSize: Int?
    @Option(name: .long, help: "Seed of the calibration window draw (default 0).") var seed: Int?
    @Option(name: .customLong("eval-window-size"), help: "Tokens per evaluation window (default 1024).")
    var evalWindowSize: Int?
    @Option(name: .customLong("max-windows"), help: "Evaluate only the first N windows.") var maxWindows: Int?
    @Option(name: .customLong("load-precision"), help: "Weights in memory: f32 (default) or bf16.") var loadPrecision: String?
    @Option(name: .shortAndLong, help: ArgumentHelp("The exported GGUF (default: <model>-cfsp<NN>.gguf here).", valueName: "path"))
    var output: String?
    @Option(name: .long, help: "Precision of the exported weights: f32 (default), f16, bf16.") var precision: String?
    @Flag(name: .long, help: "Replace an existing output file.") var overwrite = false
    @OptionGroup var connection: ConnectionOptions

    func validate() throws {
        try validateSparsity(sparsity)
        if let count, count < 1 { throw ValidationError("--count must be at least 1, got \(count)") }
        if let maxWindows, maxWindows < 1 { throw ValidationError("--max-windows must be at least 1, got \(maxWindows)") }
    }

    /// The default export path: the model's name with the sparsity, in the current directory.
    var outputPath: String {
        if let output { return absolutePath(output) }
        var stem = ((model as NSString).lastPathComponent as NSString).deletingPathExtension
        if stem.isEmpty { stem = "model" }
        return absolutePath("\(stem)-cfsp\(Int((sparsity * 100).rounded())).gguf")
    }

    func run() async throws {
        let stages = try await DaemonSession.with(connection) { session throws(CLIError) in
            try await pipeline(session)
        }
        if connection.json {
            ResultPrinter.print(.object(stages.json), json: true)
        } else {
            Console.out(stages.summary)
        }
    }

    private func pipeline(_ session: DaemonSession) async throws(CLIError) -> PipelineReport {
        var report = PipelineReport()
        func stage(_ name: String, _ method: String, _ params: [String: JSONValue]) async throws(CLIError) -> JSONValue {
            let start = ContinuousClock.now
            let result = try await session.call(method, .object(params))
            let elapsed = ContinuousClock.now - start
            report.add(name, seconds: Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18,
                       result: result)
            return result
        }
        var load: [String: JSONValue] = ["path": .string(absolutePath(model))]
        if let loadPrecision { load["precision"] = .string(loadPrecision) }
        let loaded = try await stage("load", "model/load", load)
        guard let handle = loaded["model"]?.stringValue else {
            throw CLIError("model/load answered without a model handle", status: ExitStatus.daemonError)
        }
        var calibrate: [String: JSONValue] = ["model": .string(handle), "path": .string(absolutePath(text))]
        if let count { calibrate["count"] = .int(count) }
        if let windowSize { calibrate["windowSize"] = .int(windowSize) }
        if let seed { calibrate["seed"] = .int(seed) }
        let calibration = try await stage("calibrate", "calibrate", calibrate)
        guard let calibrationHandle = calibration["calibration"]?.stringValue else {
            throw CLIError("calibrate answered without a calibration handle", status: ExitStatus.daemonError)
        }
        var evaluate: [String: JSONValue] = ["path": .string(absolutePath(evalText ?? text))]
        if let evalWindowSize { evaluate["windowSize"] = .int(evalWindowSize) }
        if let maxWindows { evaluate["maxWindows"] = .int(maxWindows) }
        evaluate["model"] = .string(handle)
        _ = try await stage("evaluate dense", "evaluate", evaluate)
        var prune = pruning.members(sparsity: sparsity)
        prune["model"] = .string(handle)
        prune["calibration"] = .string(calibrationHandle)
        let pruned = try await stage("prune", "prune", prune)
        guard let prunedHandle = pruned["pruned"]?.stringValue else {
            throw CLIError("prune answered without a pruned model handle", status: ExitStatus.daemonError)
        }
        evaluate["model"] = .string(prunedHandle)
        _ = try await stage("evaluate pruned", "evaluate", evaluate)
        var export: [String: JSONValue] = [
            "model": .string(prunedHandle), "format": "gguf", "path": .string(outputPath), "overwrite": .bool(overwrite),
        ]
        if let precision { export["precision"] = .string(precision) }
        _ = try await stage("export", "export", export)
        return report
    }
}

/// What `cfsp run` measured: each stage's result and wall time, and the summary built from them.
struct PipelineReport {
    private(set) var stages: [(name: String, seconds: Double, result: JSONValue)] = []

    mutating func add(_ name: String, seconds: Double, result: JSONValue) {
        stages.append((name, seconds, result))
    }

    private func result(_ name: String) -> JSONValue { stages.first { $0.name == name }?.result ?? .null }

    private func number(_ value: JSONValue?) -> Double? {
        switch value {
        case .int(let number)?: return Double(number)
        case .double(let number)?: return number
        default: return nil
        }
    }

    /// The results and timings as one JSON object, for --json.
    var json: [String: JSONValue] {
        var members: [String: JSONValue] = [:]
        members["stages"] = .array(stages.map { .object(["stage": .string($0.name), "seconds": .double($0.seconds)]) })
        for (name, _, result) in stages { members[name.replacingOccurrences(of: " ", with: "_")] = result }
        let prune = result("prune")
        var summary: [String: JSONValue] = [:]
        summary["densePerplexity"] = result("evaluate dense")["perplexity"] ?? .null
        summary["prunedPerplexity"] = result("evaluate pruned")["perplexity"] ?? .null
        summary["parametersBefore"] = prune["parametersBefore"] ?? .null
        summary["parametersAfter"] = prune["parametersAfter"] ?? .null
        summary["shareRemoved"] = prune["shareRemoved"] ?? .null
        summary["ffnSparsity"] = prune["achievedSparsity"] ?? .null
        summary["exported"] = result("export")["path"] ?? .null
        let total: Double = stages.reduce(0) { $0 + $1.seconds }
        summary["totalSeconds"] = .double(total)
        members["summary"] = .object(summary)
        return members
    }

    /// The human-readable summary table.
    var summary: String {
        let prune = result("prune")
        var rows: [(String, String)] = []
        func format(_ value: Double?, digits: Int = 3) -> String {
            value.map { String(format: "%.\(digits)f", $0) } ?? "-"
        }
        rows.append(("dense perplexity", format(number(result("evaluate dense")["perplexity"]))))
        rows.append(("pruned perplexity", format(number(result("evaluate pruned")["perplexity"]))))
        if let before = number(prune["parametersBefore"]), let after = number(prune["parametersAfter"]) {
            let share = number(prune["shareRemoved"]) ?? (before > 0 ? (before - after) / before : 0)
            rows.append(("parameters", "\(grouped(Int(before))) -> \(grouped(Int(after)))"))
            rows.append(("parameters removed",
                         "\(grouped(Int(before - after))) (\(String(format: "%.1f", share * 100)) %)"))
        }
        if let achieved = number(prune["achievedSparsity"]) {
            rows.append(("FFN sparsity", String(format: "%.1f %%", achieved * 100)))
        }
        for (name, seconds, _) in stages { rows.append(("time: \(name)", String(format: "%.2f s", seconds))) }
        rows.append(("time: total", String(format: "%.2f s", stages.reduce(0) { $0 + $1.seconds })))
        rows.append(("exported", result("export")["path"]?.stringValue ?? "-"))
        let width = rows.map(\.0.count).max() ?? 0
        return rows.map { "\($0.0.rightPadded(width))  \($0.1)" }.joined(separator: "\n")
    }
}

/// `134515008` as `134,515,008`.
func grouped(_ number: Int) -> String {
    let digits = Array(String(number.magnitude))
    var text = ""
    for (index, digit) in digits.enumerated() {
        if index > 0 && (digits.count - index) % 3 == 0 { text.append(",") }
        text.append(digit)
    }
    return number < 0 ? "-" + text : text
}
