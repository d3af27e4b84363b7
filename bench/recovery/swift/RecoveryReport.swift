import Core
import Foundation

/// One recovered model's line of the table.
struct RecoveryRow {
    /// Which model was fine-tuned: the pruned one, or the dense one as the control.
    enum Model { case pruned, dense }
    var model = Model.pruned
    var allocation: String
    var result: FineTuneResult
    var perplexity: Double
}

/// The benchmark's table and its place in bench/RESULTS.md.
struct RecoveryReport {
    var arguments: BenchArguments
    var densePPL: Double
    var prunedPPL: Double
    var plan: PruningPlan
    var rows: [RecoveryRow]
    var command: String
    var totalMinutes: Double

    static let heading = "## Recovery fine-tuning"

    func markdown() -> String {
        let a = arguments
        var lines = [
            Self.heading, "",
            "Command: `\(command)` (\(a.threads) threads; whole run \(String(format: "%.1f", totalMinutes)) min).",
            "",
            "SmolLM2-135M-Instruct (Q4_1 GGUF, f32 compute), CFSP at FFN sparsity \(a.sparsity) "
                + "(achieved \(String(format: "%.3f", plan.achievedSparsity)); calibration \(a.sampling.count) x "
                + "\(a.sampling.windowSize) tokens of WikiText-2 validation, seed 0). LoRA on q, k, v, o, gate, up, down of "
                + "every block, alpha = 2 r_l, AdamW lr \(a.learningRate)" + (a.loraPlus == 1 ? "" : " (B matrices x\(a.loraPlus), LoRA+)") + ", warm-up \(a.warmup) steps + cosine, clip 1, "
                + "\(a.batch) x \(a.sequenceLength) tokens per step (x\(a.accumulation) accumulation), frozen weights "
                + "\(a.frozen.rawValue), objective \(a.objective.rawValue)"
                + (a.objective == .distillation ? String(format: " (teacher: the dense model in %@, T %g, LM weight %g)", a.teacherPrecision.rawValue, Double(a.temperature), Double(a.lmWeight)) : "")
                + ", training data \(a.trainText.map { "`\(($0 as NSString).lastPathComponent)`" } ?? "WikiText-2 validation"). Wall-clock budget per run: "
                + "**\(String(format: "%g", a.budgetMinutes)) min** (the issue's benchmark asks for 30). "
                + "Test PPL: first \(a.evalWindows) windows of 1024 tokens.",
            "",
            "| model | ranks (min-max, mean) | trainable params | steps | tokens | final loss | test PPL | gap closed |",
            "|---|---|---|---|---|---|---|---|",
            String(format: "| dense | - | - | - | - | - | %.2f | - |", densePPL),
            String(format: "| pruned, no recovery | - | - | - | - | - | %.2f | 0 %% |", prunedPPL),
        ]
        for row in rows {
            let r = row.result
            let mean = Double(r.ranks.reduce(0, +)) / Double(max(1, r.ranks.count))
            let closed = row.model == .pruned
                ? String(format: "%.1f %%", (prunedPPL - row.perplexity) / (prunedPPL - densePPL) * 100) : "-"
            let label = row.model == .pruned ? "\(row.allocation) LoRA" : "dense + \(row.allocation) LoRA (control)"
            lines.append(String(format: "| %@ | %d-%d, %.2f | %d | %d | %d | %.3f | %.2f | %@ |",
                                label as NSString, r.ranks.min() ?? 0, r.ranks.max() ?? 0, mean, r.trainableParameters,
                                r.stepsCompleted, r.tokensTrained, r.lossCurve.last ?? .nan, row.perplexity, closed as NSString))
        }
        lines.append("")
        for row in rows {
            let who = row.model == .pruned ? row.allocation : "dense \(row.allocation)"
            lines.append("Ranks (\(who)): \(row.result.ranks.map(String.init).joined(separator: " ")). "
                + String(format: "Time: %.1f min.", row.result.seconds / 60))
        }
        for control in rows where control.model == .dense {
            guard let recovered = rows.first(where: { $0.model == .pruned && $0.allocation == control.allocation }) else { continue }
            lines.append("")
            lines.append(String(format: "Pruned + %@ LoRA against the dense model given the same LoRA (ranks, steps, tokens): "
                + "%.2f / %.2f = %.3fx.", control.allocation as NSString, recovered.perplexity, control.perplexity,
                recovered.perplexity / control.perplexity))
        }
        let prunedRows = rows.filter { $0.model == .pruned }
        if let best = prunedRows.min(by: { $0.perplexity < $1.perplexity }), prunedRows.count > 1 {
            let steps = prunedRows.map { "\($0.allocation) \($0.result.stepsCompleted)" }.joined(separator: ", ")
            lines.append("")
            lines.append("Lowest test PPL in this run: \(best.allocation) "
                + String(format: "(%.2f)", best.perplexity)
                + ". Steps done: \(steps). The runs share a wall-clock budget on a machine shared with other jobs, "
                + "so different step counts mean different compute; one seed only.")
        }
        lines.append("")
        lines.append("Reference (PyTorch, CFSP.md section 4): dense 22.88, pruned 36.00, 12 min of uniform rank-8 LoRA "
            + "on 2 cores (77 steps x 2,048 tokens) 27.22.")
        return lines.joined(separator: "\n") + "\n"
    }

    /// Replaces this section of `path` (or appends it), leaving other sections alone.
    func write(_ section: String, to path: String) throws {
        let existing = (try? String(contentsOfFile: path, encoding: .utf8)) ?? "# Benchmark results\n"
        var output: String
        if let start = existing.range(of: Self.heading) {
            let rest = existing[start.upperBound...]
            let end = rest.range(of: "\n## ")?.lowerBound ?? existing.endIndex
            output = String(existing[..<start.lowerBound]) + section + (end < existing.endIndex ? String(existing[end...]) : "")
        } else {
            output = existing.hasSuffix("\n\n") ? existing : existing + (existing.hasSuffix("\n") ? "\n" : "\n\n")
            output += section
        }
        try output.write(toFile: path, atomically: true, encoding: .utf8)
    }
}
