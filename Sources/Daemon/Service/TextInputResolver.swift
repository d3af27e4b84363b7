import Core
import RPC

/// Turns a `TextInput` into token ids for one model: reads files, tokenizes text, checks ids.
enum TextInputResolver {
    /// What the input stands for: one token stream, or explicit windows.
    enum Tokens {
        case stream([Int32])
        case windows([[Int32]])
    }

    /// Checks that exactly one source is given (windows only where allowed).
    static func validate(_ input: TextInput, allowsWindows: Bool) throws(ResponseError) {
        var given = [("text", input.text != nil), ("path", input.path != nil), ("tokens", input.tokens != nil)]
        if allowsWindows { given.append(("windows", input.windows != nil)) }
        let names = given.filter(\.1).map(\.0)
        let choices = given.map { "'\($0.0)'" }.joined(separator: ", ")
        guard names.count == 1 else {
            throw .invalidParams(names.isEmpty
                ? "give exactly one of \(choices); none was given"
                : "give exactly one of \(choices); got \(names.map { "'\($0)'" }.joined(separator: " and "))")
        }
        if !allowsWindows, input.windows != nil {
            throw .invalidParams("'windows' is accepted by calibrate only")
        }
        if let format = input.format, format != "text", format != "jsonl" {
            throw .invalidParams("'format' must be \"text\" or \"jsonl\", not \"\(format)\"")
        }
    }

    /// Reads and tokenizes (blocking: call from a compute thread).
    static func tokens(_ input: TextInput, for entry: ModelEntry) throws -> Tokens {
        if let windows = input.windows {
            return .windows(try windows.map { try ids($0, vocabulary: entry.model.config.vocabSize) })
        }
        if let tokens = input.tokens {
            return .stream(try ids(tokens, vocabulary: entry.model.config.vocabSize))
        }
        guard let tokenizer = entry.tokenizer else { throw DaemonError.noTokenizer(model: entry.handle) }
        if let text = input.text { return .stream(tokenizer.encodeDocument(text)) }
        guard let path = input.path else { throw ResponseError.invalidParams("no text input was given") }
        let jsonl = input.format.map { $0 == "jsonl" } ?? path.hasSuffix(".jsonl")
        let corpus: String
        do {
            corpus = jsonl
                ? try TextCorpus.loadJSONL(path: path, field: input.field ?? "text", separator: input.separator ?? "\n\n")
                : try TextCorpus.loadPlainText(path: path)
        } catch let error as DataError {
            throw DaemonError.badData(error.description)
        }
        return .stream(tokenizer.encodeDocument(corpus))
    }

    /// Refuses an input that yields no tokens (empty text, an empty file, `tokens: []`) with
    /// 1005, as for every method.
    static func requireTokens(_ tokens: [Int32]) throws(DaemonError) {
        if tokens.isEmpty { throw .badData("the input has no tokens (the text or file is empty); give some text") }
    }

    private static func ids(_ values: [Int], vocabulary: Int) throws(DaemonError) -> [Int32] {
        if let bad = values.first(where: { $0 < 0 || $0 >= vocabulary }) {
            throw .invalidForModel("token id \(bad) is outside the vocabulary (0..<\(vocabulary))")
        }
        return values.map { Int32($0) }
    }
}
