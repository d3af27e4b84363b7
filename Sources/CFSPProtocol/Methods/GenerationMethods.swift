import Core
import RPC

extension ChatMessage: WireObject {
    /// The schema name.
    public static let wireName = "chatMessage"
    /// What the object is.
    public static let wireDoc = "one message of a conversation"
    /// Placeholders.
    public static let blank = ChatMessage(role: "", content: "")
    /// Role and content.
    public static let members: [WireMember<ChatMessage>] = [
        .required("role", \.role, "who speaks: system, user or assistant (as the model's chat template names them)"),
        .required("content", \.content, "what is said"),
    ]
}

extension GenerationOptions: WireObject {
    /// The schema name.
    public static let wireName = "generationOptions"
    /// What the object is.
    public static let wireDoc = "how generate continues a prompt"
    /// Every option at Core's default.
    public static let blank = GenerationOptions()
    /// The stop token ids as the wire carries ids.
    var stopTokenIDs: [Int] {
        get { stopTokens.map { Int($0) } }
        set { stopTokens = newValue.map { Int32(clamping: $0) } }
    }
    /// Every option.
    public static let members: [WireMember<GenerationOptions>] = [
        .defaulted("maxTokens", \.maxTokens, "tokens to generate at most (fewer when the context fills first)",
                   range: Limits.maxTokens),
        .defaulted("temperature", \.temperature, "divides the logits before the softmax; 0 is greedy decoding",
                   range: Limits.temperature),
        .defaulted("topK", \.topK, "sample among the k most likely tokens only; 0 keeps them all", range: Limits.topK),
        .defaulted("topP", \.topP, "sample among the most likely tokens whose probabilities add up to p; 1 keeps them all",
                   range: Limits.topP),
        .optional("seed", \.seed, "seed of the sampler, so a run can be repeated", note: "one is drawn and reported in the result"),
        .defaulted("stop", \.stopStrings, "texts that end the generation (the text stops before them)"),
        .defaulted("stopTokens", \.stopTokenIDs, "token ids that end the generation, besides the model's end-of-generation tokens",
                   range: .atLeast(0)),
    ]
}

/// Params of `generate`: the model, the prompt (exactly one of text, path, tokens or messages),
/// whether the chat template wraps it, and the generation options.
public struct GenerateParams: WireObject, Equatable {
    /// The model handle.
    public var model: String
    /// The prompt text.
    public var text: String?
    /// A UTF-8 file holding the prompt.
    public var path: String?
    /// The prompt as token ids, used as they are.
    public var tokens: [Int]?
    /// A conversation, rendered with the chat template.
    public var messages: [ChatMessage]?
    /// Render the prompt with the model's chat template (text becomes one user message).
    public var chatTemplate: Bool?
    /// How to continue.
    public var options: GenerationOptions

    /// Params continuing `text` on `model`.
    public init(model: String, text: String? = nil, path: String? = nil, tokens: [Int]? = nil,
                messages: [ChatMessage]? = nil, chatTemplate: Bool? = nil, options: GenerationOptions = GenerationOptions()) {
        self.model = model
        self.text = text
        self.path = path
        self.tokens = tokens
        self.messages = messages
        self.chatTemplate = chatTemplate
        self.options = options
    }

    /// The schema name.
    public static let wireName = "generateParams"
    /// What the object is.
    public static let wireDoc = "what generate continues, and how"
    /// Placeholders.
    public static let blank = GenerateParams(model: "")
    /// Every member.
    public static let members: [WireMember<GenerateParams>] =
        [
            .required("model", \.model, "the model handle"),
            .optional("text", \.text, "the prompt text"),
            .optional("path", \.path, "a UTF-8 text file holding the prompt", string: .path),
            .optional("tokens", \.tokens, "the prompt as token ids, used as they are", range: .atLeast(0)),
            .optional("messages", \.messages, "a conversation, rendered with the model's chat template"),
            .optional("chatTemplate", \.chatTemplate,
                      "render the prompt with the model's chat template (text or path becomes one user message, and the assistant's turn is opened)",
                      note: "true with messages, else false"),
        ] + GenerationOptions.members.lifted(\.options)

    /// Exactly one prompt; messages always go through the template, tokens never.
    public func validateWire() throws(WireError) {
        let given = [("text", text != nil), ("path", path != nil), ("tokens", tokens != nil), ("messages", messages != nil)]
            .filter(\.1).map { "'\($0.0)'" }
        guard given.count == 1 else {
            throw .object(given.isEmpty
                ? "give exactly one of 'text', 'path', 'tokens', 'messages'; none was given"
                : "give exactly one of 'text', 'path', 'tokens', 'messages'; got \(given.joined(separator: " and "))")
        }
        if messages != nil, chatTemplate == false {
            throw WireError(member: "chatTemplate", message: "'messages' are always rendered with the chat template; drop 'chatTemplate': false or give the prompt as text")
        }
        if messages?.isEmpty == true { throw WireError(member: "messages", message: "'messages' must hold at least one message") }
        if tokens != nil, chatTemplate == true {
            throw WireError(member: "chatTemplate", message: "token ids are used as they are; give text or messages to apply the chat template")
        }
    }

    /// Whether the prompt goes through the chat template.
    public var usesChatTemplate: Bool { chatTemplate ?? (messages != nil) }
}

/// One `$/progress` report of `generate`: the token just generated and the text it released.
public struct GenerateProgress: WireObject, Equatable {
    /// The new text (empty while a character or a possible stop string is incomplete).
    public var text: String
    /// The token id.
    public var token: Int
    /// Tokens generated so far.
    public var tokens: Int

    /// The report of one Core step.
    public init(_ step: GenerationStep) {
        text = step.text
        token = Int(step.token)
        tokens = step.count
    }

    private init() {
        text = ""
        token = 0
        tokens = 0
    }

    /// The schema name.
    public static let wireName = "generateProgress"
    /// What the object is.
    public static let wireDoc = "one generated token, as it comes"
    /// Zeros.
    public static let blank = GenerateProgress()
    /// Every member.
    public static let members: [WireMember<GenerateProgress>] = [
        .required("text", \.text, "the text this token releases (empty while a character or a possible stop string is incomplete); the pieces add up to the result's text"),
        .required("token", \.token, "the token id", range: .atLeast(0)),
        .required("tokens", \.tokens, "tokens generated so far", range: .atLeast(1)),
    ]
}

/// Result of `generate`.
public struct GenerateResult: WireObject, Equatable {
    /// The model handle.
    public var model: String
    /// The generated text.
    public var text: String
    /// The generated token ids.
    public var tokens: [Int]
    /// Why it ended.
    public var finishReason: FinishReason
    /// Tokens of the prompt as the model read it.
    public var promptTokens: Int
    /// Seconds reading the prompt.
    public var promptSeconds: Double
    /// Seconds of the decoding steps.
    public var decodeSeconds: Double
    /// Decoding steps (one forward pass of one token each).
    public var decodeSteps: Int
    /// The sampler's seed.
    public var seed: UInt64

    /// The result of Core's generation on `model`.
    public init(model: String, _ result: GenerationResult) {
        self.model = model
        text = result.text
        tokens = result.tokens.map { Int($0) }
        finishReason = result.finishReason
        promptTokens = result.promptTokens
        promptSeconds = result.promptSeconds
        decodeSeconds = result.decodeSeconds
        decodeSteps = result.decodeSteps
        seed = result.seed
    }

    /// The schema name.
    public static let wireName = "generateResult"
    /// What the object is.
    public static let wireDoc = "a generated continuation, and how fast it came"
    /// Placeholders.
    public static let blank = GenerateResult(model: "", GenerationResult(
        text: "", tokens: [], finishReason: .length, promptTokens: 0, promptSeconds: 0, decodeSeconds: 0, decodeSteps: 0, seed: 0))
    /// Every member.
    public static let members: [WireMember<GenerateResult>] = [
        .required("model", \.model, "the model handle", string: Handle.model),
        .required("text", \.text, "the generated text (special tokens left out, cut before a stop string)"),
        .required("tokens", \.tokens, "the generated token ids (the end-of-generation or stop token that ended the run left out)",
                  range: .atLeast(0)),
        .required("finishReason", \.finishReason, "eos: the model ended its turn; stop: a stop string or token; length: maxTokens or the context"),
        .required("promptTokens", \.promptTokens, "tokens of the prompt as the model read it", range: .atLeast(1)),
        .required("promptSeconds", \.promptSeconds, "seconds reading the prompt"),
        .required("decodeSeconds", \.decodeSeconds, "seconds of the decoding steps after the prompt"),
        .required("decodeSteps", \.decodeSteps, "decoding steps run (one forward pass of one token each)", range: .atLeast(0)),
        .required("seed", \.seed, "the sampler's seed (given or drawn): pass it back to repeat the run"),
        .derived("generatedTokens", "tokens generated") { $0.tokens.count },
        .derived("tokensPerSecond", "decoding steps per second") { $0.decodeSeconds > 0 ? Double($0.decodeSteps) / $0.decodeSeconds : 0 },
        .derived("promptTokensPerSecond", "prompt tokens read per second") {
            $0.promptSeconds > 0 ? Double($0.promptTokens) / $0.promptSeconds : 0
        },
    ]
}

/// `generate`: continue a prompt, streaming each token as a progress report.
public enum GenerateRequest: ProtocolMethod {
    /// The params type.
    public typealias Params = GenerateParams
    /// The result type.
    public typealias Response = GenerateResult
    /// The progress report type.
    public typealias Progress = GenerateProgress
    /// The JSON-RPC method name.
    public static let method = "generate"
    /// What the method does.
    public static let summary = "Continue a prompt (text, file, tokens or chat messages), streaming each token as a $/progress report; cancellable within a token."
}

/// Params of `tokenize`.
public struct TokenizeParams: WireObject, Equatable {
    /// The model handle.
    public var model: String
    /// The text.
    public var text: String
    /// Add the model's BOS as a document starts with it (when the model expects one).
    public var addSpecial: Bool = false

    /// Params tokenizing `text` with `model`'s tokenizer.
    public init(model: String, text: String, addSpecial: Bool = false) {
        self.model = model
        self.text = text
        self.addSpecial = addSpecial
    }

    /// The schema name.
    public static let wireName = "tokenizeParams"
    /// What the object is.
    public static let wireDoc = "a text to tokenize"
    /// Placeholders.
    public static let blank = TokenizeParams(model: "", text: "")
    /// Every member.
    public static let members: [WireMember<TokenizeParams>] = [
        .required("model", \.model, "the model handle"),
        .required("text", \.text, "the text; special tokens written in it become their ids"),
        .defaulted("addSpecial", \.addSpecial, "add the BOS the model expects before a document (as evaluate reads a text)"),
    ]
}

/// Result of `tokenize`.
public struct TokenizeResult: WireObject, Equatable {
    /// The model handle.
    public var model: String
    /// The ids.
    public var tokens: [Int]

    /// The ids `tokens` of `model`.
    public init(model: String, tokens: [Int]) {
        self.model = model
        self.tokens = tokens
    }

    /// The schema name.
    public static let wireName = "tokenizeResult"
    /// What the object is.
    public static let wireDoc = "token ids of a text"
    /// Placeholders.
    public static let blank = TokenizeResult(model: "", tokens: [])
    /// Every member.
    public static let members: [WireMember<TokenizeResult>] = [
        .required("model", \.model, "the model handle", string: Handle.model),
        .required("tokens", \.tokens, "the token ids", range: .atLeast(0)),
        .derived("count", "how many") { $0.tokens.count },
    ]
}

/// `tokenize`: text to token ids with a model's tokenizer.
public enum TokenizeRequest: ProtocolMethod {
    /// The params type.
    public typealias Params = TokenizeParams
    /// The result type.
    public typealias Response = TokenizeResult
    /// The JSON-RPC method name.
    public static let method = "tokenize"
    /// What the method does.
    public static let summary = "Token ids of a text with a model's tokenizer."
}

/// Params of `detokenize`.
public struct DetokenizeParams: WireObject, Equatable {
    /// The model handle.
    public var model: String
    /// The ids.
    public var tokens: [Int]
    /// Leave control tokens out of the text.
    public var skipSpecial: Bool = false

    /// Params decoding `tokens` with `model`'s tokenizer.
    public init(model: String, tokens: [Int], skipSpecial: Bool = false) {
        self.model = model
        self.tokens = tokens
        self.skipSpecial = skipSpecial
    }

    /// The schema name.
    public static let wireName = "detokenizeParams"
    /// What the object is.
    public static let wireDoc = "token ids to turn into text"
    /// Placeholders.
    public static let blank = DetokenizeParams(model: "", tokens: [])
    /// Every member.
    public static let members: [WireMember<DetokenizeParams>] = [
        .required("model", \.model, "the model handle"),
        .required("tokens", \.tokens, "the token ids", range: .atLeast(0)),
        .defaulted("skipSpecial", \.skipSpecial, "leave control tokens (<bos>, <|im_end|>, ...) out of the text"),
    ]
}

/// Result of `detokenize`.
public struct DetokenizeResult: WireObject, Equatable {
    /// The model handle.
    public var model: String
    /// The text.
    public var text: String

    /// The text `text` of `model`'s ids.
    public init(model: String, text: String) {
        self.model = model
        self.text = text
    }

    /// The schema name.
    public static let wireName = "detokenizeResult"
    /// What the object is.
    public static let wireDoc = "the text of token ids"
    /// Placeholders.
    public static let blank = DetokenizeResult(model: "", text: "")
    /// Every member.
    public static let members: [WireMember<DetokenizeResult>] = [
        .required("model", \.model, "the model handle", string: Handle.model),
        .required("text", \.text, "the text (bytes that are not UTF-8 become U+FFFD)"),
    ]
}

/// `detokenize`: token ids to text with a model's tokenizer.
public enum DetokenizeRequest: ProtocolMethod {
    /// The params type.
    public typealias Params = DetokenizeParams
    /// The result type.
    public typealias Response = DetokenizeResult
    /// The JSON-RPC method name.
    public static let method = "detokenize"
    /// What the method does.
    public static let summary = "The text of token ids with a model's tokenizer."
}
