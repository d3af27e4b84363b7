import ArgumentParser
import RPC

extension ConnectionOptions {
    /// Sends one request and prints its result (text, or JSON with --json).
    func perform(_ method: String, _ params: JSONValue, progress: Bool = true) async throws {
        let result = try await DaemonSession.with(self) { session throws(CLIError) in
            try await session.call(method, params, progress: progress)
        }
        ResultPrinter.print(result, json: json)
    }
}

/// The text a model reads (`calibrate`, `evaluate`): exactly one of --text, --path, --tokens.
struct TextInputOptions: ParsableArguments {
    @Option(name: .long, help: "Inline text, tokenized by the model's tokenizer.")
    var text: String?

    @Option(name: .long, help: ArgumentHelp("A UTF-8 text file, or JSON Lines when it ends in .jsonl.", valueName: "file"))
    var path: String?

    @Option(name: .long, help: ArgumentHelp("Token ids, comma-separated (used as they are).", valueName: "ids"))
    var tokens: String?

    @Option(name: .long, help: ArgumentHelp("Format of --path: text or jsonl (default: from the extension).", valueName: "format"))
    var format: String?

    @Option(name: .long, help: ArgumentHelp("JSONL member holding the text (default: text).", valueName: "name"))
    var field: String?

    @Option(name: .long, help: ArgumentHelp("Joins JSONL records (default: a blank line).", valueName: "string"))
    var separator: String?

    func validate() throws {
        let given = [text != nil, path != nil, tokens != nil].filter { $0 }.count
        guard given == 1 else {
            throw ValidationError("give exactly one text input: --text, --path or --tokens (got \(given))")
        }
        if let tokens, parsedTokens(tokens) == nil {
            throw ValidationError("--tokens must be comma-separated non-negative integers, like 1,2,3")
        }
    }

    private func parsedTokens(_ list: String) -> [Int]? {
        var ids: [Int] = []
        for part in list.split(separator: ",") {
            guard let id = Int(part.trimmingCharacters(in: .whitespaces)), id >= 0 else { return nil }
            ids.append(id)
        }
        return ids.isEmpty ? nil : ids
    }

    /// The text-input members of the params.
    var members: [String: JSONValue] {
        var members: [String: JSONValue] = [:]
        if let text { members["text"] = .string(text) }
        if let path { members["path"] = .string(absolutePath(path)) }
        if let tokens, let ids = parsedTokens(tokens) { members["tokens"] = .array(ids.map { .int($0) }) }
        if let format { members["format"] = .string(format) }
        if let field { members["field"] = .string(field) }
        if let separator { members["separator"] = .string(separator) }
        return members
    }
}

/// The pruning options shared by `score`, `prune` and `run` (sparsity aside: each command
/// declares it, `run` with a default).
struct PruningOptions: ParsableArguments {
    @Option(name: .long, help: "Pruning method: cfsp, cfsp-ref, activation, wanda-sp, magnitude-sp, flap (default: cfsp).")
    var method: String?

    @Option(name: .customLong("block-metric"), help: "Block importance metric: angular, cosine, mse, mae (default: angular).")
    var blockMetric: String?

    @Option(name: .long, help: "Temperature a of the coarse budget sigmoid (default 1).")
    var temperature: Double?

    @Option(name: .long, help: "Scale s0 dividing the importance deviations before the sigmoid (default 10000).")
    var scale: Double?

    @Option(name: .customLong("down-exponent"), help: "Exponent b of the down-projection term (default 1).")
    var downExponent: Double?

    @Option(name: .customLong("activation-exponent"), help: "Exponent c of the activation term (default 1).")
    var activationExponent: Double?

    @Option(name: .long, help: "Round kept widths to a multiple of this (default 1).")
    var align: Int?

    @Flag(name: .customLong("uniform-widths"), help: "Keep the same FFN width in every block (neurons still chosen by the scores): needed to export qwen3 and gemma3 models as GGUF that llama.cpp loads.")
    var uniformWidths = false

    func validate() throws {
        if let align, align < 1 { throw ValidationError("--align must be at least 1, got \(align)") }
    }

    /// The pruning members of the params for `sparsity`.
    func members(sparsity: Double) -> [String: JSONValue] {
        var members: [String: JSONValue] = ["sparsity": .double(sparsity)]
        if let method { members["method"] = .string(method) }
        if let blockMetric { members["blockMetric"] = .string(blockMetric) }
        if let temperature { members["temperature"] = .double(temperature) }
        if let scale { members["scale"] = .double(scale) }
        if let downExponent { members["downExponent"] = .double(downExponent) }
        if let activationExponent { members["activationExponent"] = .double(activationExponent) }
        if let align { members["align"] = .int(align) }
        if uniformWidths { members["uniformWidths"] = .bool(true) }
        return members
    }
}

/// Checks a --sparsity value.
func validateSparsity(_ sparsity: Double) throws {
    guard sparsity >= 0, sparsity < 1 else {
        throw ValidationError("--sparsity must be in [0, 1), got \(sparsity)")
    }
}

/// `path` made absolute against the current directory (the daemon has its own).
func absolutePath(_ path: String) -> String {
    if path.hasPrefix("/") { return path }
    return (FileManager.default.currentDirectoryPath as NSString).appendingPathComponent(path)
}

import Foundation
