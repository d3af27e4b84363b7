import ArgumentParser
import CFSPProtocol
import Core
import Foundation
import RPC
import Synchronization

/// The generation options of `generate`; defaults, ranges and docs are GenerationOptions'.
struct GenerationFlags: ParsableArguments {
    @Option(name: .long, parsing: .unconditional, help: MemberFlags.help(GenerationOptions.self, "maxTokens"))
    var maxTokens: Int?

    @Option(name: .long, parsing: .unconditional, help: MemberFlags.help(GenerationOptions.self, "temperature"))
    var temperature: Double?

    @Option(name: .long, parsing: .unconditional, help: MemberFlags.help(GenerationOptions.self, "topK"))
    var topK: Int?

    @Option(name: .long, parsing: .unconditional, help: MemberFlags.help(GenerationOptions.self, "topP"))
    var topP: Double?

    @Option(name: .long, parsing: .unconditional, help: MemberFlags.help(GenerationOptions.self, "seed"))
    var seed: UInt64?

    @Option(name: .long, help: ArgumentHelp("A text that ends the generation (repeat for several).", valueName: "text"))
    var stop: [String] = []

    @Option(name: .customLong("stop-token"), help: ArgumentHelp("A token id that ends the generation (repeat for several).",
                                                               valueName: "id"))
    var stopTokens: [Int] = []

    /// The options these flags name, the rest at GenerationOptions' defaults.
    var options: GenerationOptions {
        var options = GenerationOptions(seed: seed, stopStrings: stop, stopTokens: stopTokens.map { Int32(clamping: $0) })
        if let maxTokens { options.maxTokens = maxTokens }
        if let temperature { options.temperature = temperature }
        if let topK { options.topK = topK }
        if let topP { options.topP = topP }
        return options
    }
}

/// `cfsp generate`: streams a model's continuation of a prompt to stdout.
struct GenerateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate",
        abstract: "Continue a prompt with a model, streaming the text to stdout (generate).",
        discussion: """
            The prompt is --text (or --prompt), a file (--path) or --tokens. --chat wraps it in the \
            model's chat template as one user message (--system adds a system message before it). \
            The text streams to stdout as it comes, then one newline; a line of statistics goes to \
            stderr (not with --quiet). With --json only the result object is printed. Ctrl-C stops \
            the generation within a token.
            """)
    @OptionGroup var model: ModelOption

    @Option(name: [.customLong("text"), .customLong("prompt")],
            help: ArgumentHelp("The prompt text.", valueName: "text"))
    var text: String?

    @Option(name: .long, help: MemberFlags.help(GenerateParams.self, "path", valueName: "file"))
    var path: String?

    @Option(name: .long, help: ArgumentHelp("The prompt as token ids, comma-separated (used as they are).", valueName: "ids"))
    var tokens: String?

    @Flag(name: .long, help: "Render the prompt with the model's chat template, as one user message.")
    var chat = false

    @Option(name: .long, help: ArgumentHelp("A system message before the prompt (implies --chat).", valueName: "text"))
    var system: String?

    @OptionGroup var generation: GenerationFlags
    @OptionGroup var connection: ConnectionOptions

    func validate() throws {
        let given = [text != nil, path != nil, tokens != nil].filter { $0 }.count
        guard given == 1 else { throw ValidationError("give exactly one prompt: --text, --path or --tokens (got \(given))") }
        if let tokens, parsedTokens(tokens) == nil {
            throw ValidationError("--tokens must be comma-separated non-negative integers, like 1,2,3")
        }
        if let text, TextInputOptions.namesFile(text) {
            throw ValidationError("--text takes the prompt itself, and '\(text)' is a file: pass --path \(text) to read the file")
        }
        if system != nil, path != nil {
            throw ValidationError("--system needs the prompt as --text (the daemon reads --path as one message)")
        }
        try MemberFlags.validate(params)
    }

    private func parsedTokens(_ list: String) -> [Int]? {
        let ids = list.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard !ids.isEmpty, ids.allSatisfy({ ($0 ?? -1) >= 0 }) else { return nil }
        return ids.compactMap { $0 }
    }

    /// The request's params.
    var params: GenerateParams {
        var params = GenerateParams(model: model.model, options: generation.options)
        if let system, let text {
            params.messages = [ChatMessage(role: "system", content: system), ChatMessage(role: "user", content: text)]
        } else {
            params.text = text
            params.path = path.map(absolutePath)
            params.tokens = tokens.flatMap(parsedTokens)
            if chat { params.chatTemplate = true }
        }
        return params
    }

    func run() async throws {
        let json = connection.json
        let output = TextStream()
        var onProgress: (@Sendable (JSONValue) -> Void)?
        if !json {
            onProgress = { (report: JSONValue) in
                let value: JSONValue? = report["value"]
                if let piece = value?["text"]?.stringValue { output.write(piece) }
            }
        }
        let observer = onProgress
        let request = params
        let result = try await DaemonSession.with(connection) { session throws(CLIError) in
            try await session.send(GenerateRequest.self, request, progress: false, onProgress: observer)
        }
        if json {
            ResultPrinter.print(result.wireJSON, json: true)
            return
        }
        // Reports arrive before the result; a run without a token reader (none streamed) prints the text whole.
        if !output.wroteAny { FileHandle.standardOutput.write(Data(result.text.utf8)) }
        FileHandle.standardOutput.write(Data("\n".utf8))
        if !connection.quiet {
            Console.err(String(format: "[%d tokens, %@, prompt %d tokens in %.2f s, %.1f tokens/s, seed %llu]",
                               result.tokens.count, result.finishReason.rawValue, result.promptTokens, result.promptSeconds,
                               result.decodeSeconds > 0 ? Double(result.decodeSteps) / result.decodeSeconds : 0, result.seed))
        }
    }
}

/// `cfsp tokenize`: token ids of a text.
struct TokenizeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tokenize", abstract: "Token ids of a text with a model's tokenizer (tokenize).")
    @OptionGroup var model: ModelOption
    @Option(name: .long, help: MemberFlags.help(TokenizeParams.self, "text", valueName: "text")) var text: String
    @Flag(name: .long, help: MemberFlags.help(TokenizeParams.self, "addSpecial")) var addSpecial = false
    @OptionGroup var connection: ConnectionOptions

    func run() async throws {
        let result = try await DaemonSession.with(connection) { session throws(CLIError) in
            try await session.send(TokenizeRequest.self, TokenizeParams(model: model.model, text: text, addSpecial: addSpecial),
                                   progress: false)
        }
        if connection.json { ResultPrinter.print(result.wireJSON, json: true) } else {
            Console.out(result.tokens.map(String.init).joined(separator: ","))
        }
    }
}

/// `cfsp detokenize`: the text of token ids.
struct DetokenizeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "detokenize", abstract: "The text of token ids with a model's tokenizer (detokenize).")
    @OptionGroup var model: ModelOption
    @Option(name: .long, help: ArgumentHelp("Token ids, comma-separated.", valueName: "ids")) var tokens: String
    @Flag(name: .long, help: MemberFlags.help(DetokenizeParams.self, "skipSpecial")) var skipSpecial = false
    @OptionGroup var connection: ConnectionOptions

    func validate() throws {
        guard ids != nil else { throw ValidationError("--tokens must be comma-separated non-negative integers, like 1,2,3") }
    }

    private var ids: [Int]? {
        let parts = tokens.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard !parts.isEmpty, parts.allSatisfy({ ($0 ?? -1) >= 0 }) else { return nil }
        return parts.compactMap { $0 }
    }

    func run() async throws {
        let result = try await DaemonSession.with(connection) { session throws(CLIError) in
            try await session.send(DetokenizeRequest.self, DetokenizeParams(model: model.model, tokens: ids ?? [],
                                                                            skipSpecial: skipSpecial), progress: false)
        }
        if connection.json { ResultPrinter.print(result.wireJSON, json: true) } else { Console.out(result.text) }
    }
}

/// Generated text written to stdout as it streams, remembering whether any came.
final class TextStream: Sendable {
    private let written = Mutex(false)

    func write(_ piece: String) {
        guard !piece.isEmpty else { return }
        written.withLock { $0 = true }
        FileHandle.standardOutput.write(Data(piece.utf8))
    }

    var wroteAny: Bool { written.withLock { $0 } }
}
