import CFSPProtocol
import Core
import RPC

/// Turns a `TextInput` (already checked to name exactly one source when its params decoded)
/// into token ids for one model: reads files, tokenizes text, checks ids.
enum TextInputResolver {
    /// What the input stands for: one token stream, or explicit windows.
    enum Tokens {
        case stream([Int32])
        case windows([[Int32]])
    }

    /// Reads and tokenizes (blocking: call from a compute thread).
    static func tokens(_ input: TextInput, for entry: ModelEntry) throws -> Tokens {
        try tokens(input, vocabulary: entry.model.config.vocabSize, tokenizer: entry.tokenizer, model: entry.handle)
    }

    /// `tokens(_:for:)` for a model that is not loaded (a streamed run's file): its vocabulary
    /// size, its tokenizer, and what to call it in an error.
    static func tokens(_ input: TextInput, vocabulary: Int, tokenizer: (any TextTokenizer)?, model: String) throws
        -> Tokens
    {
        if let windows = input.windows {
            return .windows(try windows.map { try ids($0, vocabulary: vocabulary) })
        }
        if let tokens = input.tokens {
            return .stream(try ids(tokens, vocabulary: vocabulary))
        }
        guard let tokenizer else { throw DaemonError.noTokenizer(model: model) }
        if let text = input.text { return .stream(tokenizer.encodeDocument(text)) }
        guard let path = input.path else { throw ResponseError.invalidParams("no text input was given") }
        let format = input.format ?? (path.hasSuffix(".jsonl") ? .jsonl : .text)
        let corpus: String
        do {
            switch format {
            case .jsonl: corpus = try TextCorpus.loadJSONL(path: path, field: input.field, separator: input.separator)
            case .text: corpus = try TextCorpus.loadPlainText(path: path)
            }
        } catch let error as DataError {
            throw DaemonError.badData(error.description)
        }
        return .stream(tokenizer.encodeDocument(corpus))
    }

    /// The token stream of an input that may not hold windows (their params refuse `windows`).
    static func stream(_ input: TextInput, for entry: ModelEntry) throws -> [Int32] {
        guard case .stream(let tokens) = try tokens(input, for: entry) else {
            throw ResponseError.invalidParams("'windows' is accepted by calibrate only")
        }
        try requireTokens(tokens)
        return tokens
    }

    /// Refuses an input that yields no tokens (empty text, an empty file, `tokens: []`) with
    /// 1005, as for every method.
    static func requireTokens(_ tokens: [Int32]) throws(DaemonError) {
        if tokens.isEmpty { throw .badData("the input has no tokens (the text or file is empty); give some text") }
    }

    /// Ids checked against the vocabulary (the first outside it named in the error).
    static func ids(_ values: [Int], vocabulary: Int) throws(DaemonError) -> [Int32] {
        if let bad = values.first(where: { $0 < 0 || $0 >= vocabulary }) {
            throw .invalidForModel("token id \(bad) is outside the vocabulary (0..<\(vocabulary))")
        }
        return values.map { Int32($0) }
    }
}
