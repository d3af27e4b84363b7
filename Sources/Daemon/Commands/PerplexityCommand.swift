import ArgumentParser
import Core
import Foundation

/// `cfspd perplexity MODEL --path FILE`: the pruning literature's perplexity protocol.
struct PerplexityCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "perplexity",
        abstract: "Print a model's architecture and its perplexity on a text.",
        discussion: """
            The text is cut into non-overlapping windows of --window-size tokens (the last partial
            window dropped), each scored on its own. A .jsonl file is read as one {"text": ...}
            record a line, joined with --separator (default: two newlines, as WikiText-2's test
            split is used in the literature); any other file is read as plain UTF-8 text.
            """)

    @Argument(help: "A GGUF file or a Hugging Face folder.")
    var model: String

    @Option(help: ArgumentHelp("The text file to score (.jsonl or plain text).", valueName: "file"))
    var path: String

    @Option(help: "Separator joining JSONL records.")
    var separator: String = "\n\n"

    @Option(help: "Tokens per window.")
    var windowSize: Int = PerplexityEvaluator.defaultWindowSize

    @Option(help: "Score only the first N windows (default: all).")
    var maxWindows: Int?

    @Flag(help: "Print the result as one JSON object.")
    var json = false

    @OptionGroup var engine: EngineOptions

    func validate() throws {
        if let violation = PerplexityEvaluator.Limits.windowSize.violation("--window-size", windowSize) {
            throw ValidationError(violation)
        }
        if let maxWindows, let violation = PerplexityEvaluator.Limits.maxWindows.violation("--max-windows", maxWindows) {
            throw ValidationError(violation)
        }
    }

    func run() throws {
        let pool = engine.makePool()
        let loadStart = Date()
        let loaded = try loadReporting(model, precision: engine.precision)
        let loadSeconds = Date().timeIntervalSince(loadStart)
        if !json { for line in ModelSummary.lines(loaded) { print(line) } }
        guard let tokenizer = loaded.tokenizer else {
            throw ValidationError("'\(model)' has no tokenizer, so text cannot be scored")
        }
        let corpus: String
        do {
            corpus = path.hasSuffix(".jsonl")
                ? try TextCorpus.loadJSONL(path: path, separator: separator)
                : try TextCorpus.loadPlainText(path: path)
        } catch {
            throw ValidationError("cannot read the text: \(error)")
        }
        let tokenizeStart = Date()
        let tokens = tokenizer.encodeDocument(corpus)
        let tokenizeSeconds = Date().timeIntervalSince(tokenizeStart)
        let evaluator = PerplexityEvaluator(windowSize: windowSize, maxWindows: maxWindows)
        let total = evaluator.windowCount(tokens: tokens.count)
        if !json {
            print("text:         \(path): \(tokens.count) tokens (tokenized in \(String(format: "%.2f", tokenizeSeconds)) s), scoring \(total) window(s) of \(windowSize)")
            print("loaded in:    \(String(format: "%.2f", loadSeconds)) s")
        }
        let bar = ProgressBar(label: "perplexity")
        let result = try evaluator.evaluate(model: loaded.model, tokens: tokens, pool: pool, progress: { p in
            bar.update(done: p.windowsDone, total: p.windowsTotal,
                       detail: String(format: "%.0f tok/s  ppl %.3f", p.tokensPerSecond, p.runningPerplexity))
        })
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            print(String(decoding: try encoder.encode(result), as: UTF8.self))
        } else {
            print(String(format: "perplexity:   %.4f over %d windows of %d tokens (%.1f s, %.0f tokens/s)",
                         result.perplexity, result.windows, result.windowSize, result.seconds,
                         Double(result.windows * result.windowSize) / max(result.seconds, 1e-9)))
        }
    }
}
