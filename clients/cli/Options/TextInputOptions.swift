import ArgumentParser
import CFSPProtocol
import Foundation

/// The text a model reads (`calibrate`, `evaluate`, `finetune`, `run`): exactly one of --text
/// (the text itself), --path (a file) or --tokens, as everywhere in cfsp.
struct TextInputOptions: ParsableArguments {
    @Option(name: .long, help: MemberFlags.help(TextInput.self, "text", valueName: "text"))
    var text: String?

    @Option(name: .long, help: MemberFlags.help(TextInput.self, "path", valueName: "file"))
    var path: String?

    @Option(name: .long, help: ArgumentHelp("Token ids, comma-separated (used as they are).", valueName: "ids"))
    var tokens: String?

    @Option(name: .long, help: MemberFlags.help(TextInput.self, "format"))
    var format: TextFormat?

    @Option(name: .long, help: MemberFlags.help(TextInput.self, "field", valueName: "name"))
    var field: String?

    @Option(name: .long, help: MemberFlags.help(TextInput.self, "separator", valueName: "string"))
    var separator: String?

    func validate() throws {
        let given = [text != nil, path != nil, tokens != nil].filter { $0 }.count
        guard given == 1 else {
            throw ValidationError("give exactly one text input: --text, --path or --tokens (got \(given))")
        }
        if let tokens, parsedTokens(tokens) == nil {
            throw ValidationError("--tokens must be comma-separated non-negative integers, like 1,2,3")
        }
        if let text, Self.namesFile(text) {
            throw ValidationError(
                "--text takes the text itself, and '\(text)' is a file: pass --path \(text) to read the file")
        }
    }

    /// A single word that is the name of an existing file: what `--text validation.jsonl` means
    /// when `--path` was meant (scoring the file's name as text helps nobody).
    static func namesFile(_ text: String) -> Bool {
        !text.isEmpty && !text.contains(where: \.isWhitespace) && FileManager.default.fileExists(atPath: text)
    }

    private func parsedTokens(_ list: String) -> [Int]? {
        var ids: [Int] = []
        for part in list.split(separator: ",") {
            guard let id = Int(part.trimmingCharacters(in: .whitespaces)), id >= 0 else { return nil }
            ids.append(id)
        }
        return ids.isEmpty ? nil : ids
    }

    /// The input these options name (paths made absolute: the daemon has its own directory).
    var input: TextInput {
        var input = TextInput(text: text, path: path.map(absolutePath), tokens: tokens.flatMap(parsedTokens))
        input.format = format
        if let field { input.field = field }
        if let separator { input.separator = separator }
        return input
    }
}

/// `path` made absolute against the current directory (the daemon has its own).
func absolutePath(_ path: String) -> String {
    if path.hasPrefix("/") { return path }
    return (FileManager.default.currentDirectoryPath as NSString).appendingPathComponent(path)
}
