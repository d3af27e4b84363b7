import CFSPProtocol
import Foundation
import RPC

/// What `cfsp run` prints of the daemon's `run` result: the summary table, or with --json the
/// result itself with a `summary` member of the headline figures (a streamed run's perplexities
/// are null there and "skipped" in the table: it evaluates nothing).
struct PipelineReport {
    /// The daemon's result.
    let result: RunResult

    init(_ result: RunResult) {
        self.result = result
    }

    /// The result and a summary, as one JSON object, for --json.
    var json: JSONValue {
        guard case .object(var members) = result.wireJSON else { return result.wireJSON }
        let pruning = result.pruning
        members["summary"] = .object([
            "densePerplexity": result.denseEvaluation.map { .double($0.perplexity) } ?? .null,
            "prunedPerplexity": result.prunedEvaluation.map { .double($0.perplexity) } ?? .null,
            "parametersBefore": .int(pruning.parametersBefore),
            "parametersAfter": .int(pruning.parametersAfter),
            "shareRemoved": .double(pruning.shareRemoved),
            "ffnSparsity": .double(pruning.achievedSparsity),
            "exported": result.export.map { .string($0.path) } ?? .null,
            "totalSeconds": .double(result.totalSeconds),
        ])
        return .object(members)
    }

    /// The human-readable summary table.
    var summary: String {
        let pruning = result.pruning
        var rows: [(String, String)] = [
            ("dense perplexity", Self.perplexity(result.denseEvaluation)),
            ("pruned perplexity", Self.perplexity(result.prunedEvaluation)),
            ("parameters", "\(grouped(pruning.parametersBefore)) -> \(grouped(pruning.parametersAfter))"),
            ("parameters removed", "\(grouped(pruning.parametersBefore - pruning.parametersAfter)) "
                + "(\(String(format: "%.1f", pruning.shareRemoved * 100)) %)"),
            ("FFN sparsity", String(format: "%.1f %%", pruning.achievedSparsity * 100)),
        ]
        for stage in result.stages { rows.append(("time: \(stage.stage.label)", String(format: "%.2f s", stage.seconds))) }
        rows.append(("time: total", String(format: "%.2f s", result.totalSeconds)))
        rows.append(("exported", result.export?.path ?? "-"))
        return TextTable.render(rows.map { [$0.0, $0.1] }, rightAligned: [])
    }

    /// A perplexity for the table; a skipped evaluation (a streamed run's) says so.
    private static func perplexity(_ evaluation: EvaluateResult?) -> String {
        evaluation.map { String(format: "%.3f", $0.perplexity) } ?? "- (skipped: streamed)"
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
