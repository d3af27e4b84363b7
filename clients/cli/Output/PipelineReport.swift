import CFSPProtocol
import Foundation
import RPC

/// What `cfsp run` measured: each stage's result and wall time, and the summary built from the
/// typed results of the evaluations, the pruning and the export.
struct PipelineReport {
    private(set) var stages: [(name: String, seconds: Double, result: JSONValue)] = []
    /// The dense model's evaluation.
    var dense: EvaluateResult?
    /// The pruning.
    var pruned: PruneResult?
    /// The pruned model's evaluation.
    var prunedEvaluation: EvaluateResult?
    /// The export.
    var export: ExportResult?

    mutating func add(_ name: String, seconds: Double, result: JSONValue) {
        stages.append((name, seconds, result))
    }

    private var totalSeconds: Double { stages.reduce(0) { $0 + $1.seconds } }

    /// The results and timings as one JSON object, for --json.
    var json: JSONValue {
        var members: [String: JSONValue] = [:]
        members["stages"] = .array(stages.map { .object(["stage": .string($0.name), "seconds": .double($0.seconds)]) })
        for (name, _, result) in stages { members[name.replacingOccurrences(of: " ", with: "_")] = result }
        var summary: [String: JSONValue] = [
            "densePerplexity": dense.map { .double($0.perplexity) } ?? .null,
            "prunedPerplexity": prunedEvaluation.map { .double($0.perplexity) } ?? .null,
            "parametersBefore": pruned.map { .int($0.parametersBefore) } ?? .null,
            "parametersAfter": pruned.map { .int($0.parametersAfter) } ?? .null,
            "shareRemoved": pruned.map { .double($0.shareRemoved) } ?? .null,
            "ffnSparsity": pruned.map { .double($0.achievedSparsity) } ?? .null,
            "exported": export.map { .string($0.path) } ?? .null,
        ]
        summary["totalSeconds"] = .double(totalSeconds)
        members["summary"] = .object(summary)
        return .object(members)
    }

    /// The human-readable summary table.
    var summary: String {
        var rows: [(String, String)] = []
        func format(_ value: Double?, digits: Int = 3) -> String {
            value.map { String(format: "%.\(digits)f", $0) } ?? "-"
        }
        rows.append(("dense perplexity", format(dense?.perplexity)))
        rows.append(("pruned perplexity", format(prunedEvaluation?.perplexity)))
        if let pruned {
            rows.append(("parameters", "\(grouped(pruned.parametersBefore)) -> \(grouped(pruned.parametersAfter))"))
            rows.append(("parameters removed", "\(grouped(pruned.parametersBefore - pruned.parametersAfter)) "
                         + "(\(String(format: "%.1f", pruned.shareRemoved * 100)) %)"))
            rows.append(("FFN sparsity", String(format: "%.1f %%", pruned.achievedSparsity * 100)))
        }
        for (name, seconds, _) in stages { rows.append(("time: \(name)", String(format: "%.2f s", seconds))) }
        rows.append(("time: total", String(format: "%.2f s", totalSeconds)))
        rows.append(("exported", export?.path ?? "-"))
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
