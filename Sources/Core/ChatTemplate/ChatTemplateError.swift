/// Why a chat template could not be read or rendered.
public enum ChatTemplateError: Error, Equatable, CustomStringConvertible {
    /// The template uses Jinja that cfsp's interpreter does not implement (named, with its line).
    case unsupported(construct: String, line: Int)
    /// The template is not valid Jinja.
    case syntax(String, line: Int)
    /// Rendering failed: a bad operation on a value (adding a number to a text, an undefined name...).
    case render(String)
    /// The template called `raise_exception` (the messages do not fit its format).
    case raised(String)
    /// The model carries no chat template.
    case missing

    public var description: String {
        switch self {
        case let .unsupported(construct, line):
            return "the chat template uses \(construct) (line \(line)), which cfsp's Jinja subset does not implement"
        case let .syntax(message, line): return "the chat template is not valid Jinja at line \(line): \(message)"
        case .render(let message): return "the chat template could not be rendered: \(message)"
        case .raised(let message): return "the chat template refused the messages: \(message)"
        case .missing:
            return "the model has no chat template (GGUF tokenizer.chat_template or tokenizer_config.json chat_template); give the prompt as text without the chat template"
        }
    }
}
