import Foundation

/// One message of a conversation, as chat templates read it (`message['role']`, `message['content']`).
public struct ChatMessage: Sendable, Equatable, Codable {
    public var role: String
    public var content: String

    public init(role: String, content: String) {
        self.role = role
        self.content = content
    }
}

/// A model's chat template (GGUF `tokenizer.chat_template`, tokenizer_config.json `chat_template`):
/// a Jinja2 template that turns messages into the prompt text the model was tuned on. cfsp renders
/// it with its own interpreter of the Jinja subset chat templates use (statements if/for/set,
/// loop variables, namespaces, the usual filters and tests, string methods, `raise_exception`),
/// with transformers' settings (trim_blocks, lstrip_blocks); a construct outside the subset is
/// refused when the template is read, naming it.
public struct ChatTemplate: @unchecked Sendable {
    /// The template's source.
    public let source: String
    private let nodes: [JinjaNode]

    /// Parses `source`.
    /// - Throws: `ChatTemplateError.syntax` or `.unsupported` naming the construct and its line.
    public init(source: String) throws {
        self.source = source
        nodes = try JinjaParser.parse(source)
    }

    /// The prompt text for `messages`, ending with the assistant's turn opened when
    /// `addGenerationPrompt` (transformers' `apply_chat_template(..., add_generation_prompt=True)`).
    /// `bosToken` and `eosToken` are the texts of the model's BOS and EOS tokens.
    public func render(messages: [ChatMessage], addGenerationPrompt: Bool = true, bosToken: String = "",
                       eosToken: String = "") throws -> String {
        let list = JinjaValue.list(messages.map {
            .dictionary([(key: "role", value: .string($0.role)), (key: "content", value: .string($0.content))])
        })
        var interpreter = JinjaInterpreter(globals: [
            "messages": list, "add_generation_prompt": .boolean(addGenerationPrompt),
            "bos_token": .string(bosToken), "eos_token": .string(eosToken),
        ])
        return try interpreter.render(nodes)
    }

    /// The `chat_template` of a Hugging Face tokenizer_config.json (a string, or the entry named
    /// "default" of a list of named templates), or nil when it has none.
    public static func source(tokenizerConfigAt path: String) throws -> String? {
        let data = try RegularFile.contents(of: path, limit: RegularFile.Limit.configuration)
        guard let root = try JSONSerialization.jsonObject(with: Data(data)) as? [String: Any] else { return nil }
        if let text = root["chat_template"] as? String { return text }
        if let named = root["chat_template"] as? [[String: Any]] {
            return named.first { $0["name"] as? String == "default" }?["template"] as? String
        }
        return nil
    }
}
