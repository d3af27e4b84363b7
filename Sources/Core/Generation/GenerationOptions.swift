/// How `TextGenerator` continues a prompt: how many tokens, how each is drawn, and where to stop.
/// The defaults are greedy decoding (temperature 0) of at most 128 tokens, so a run is
/// reproducible unless sampling is asked for.
public struct GenerationOptions: Sendable, Equatable, Codable {
    /// Tokens to generate at most (fewer when the context fills first).
    public var maxTokens: Int = 128
    /// Divides the logits before the softmax; 0 means greedy (the most likely token, always).
    public var temperature: Double = 0
    /// Sample among the k most likely tokens only; 0 keeps them all.
    public var topK: Int = 0
    /// Sample among the most likely tokens whose probabilities add up to at least p (nucleus); 1 keeps them all.
    public var topP: Double = 1
    /// Seed of the sampler's generator; nil draws one (reported in the result, so a run can be repeated).
    public var seed: UInt64?
    /// Texts that end the generation where they appear (the text stops before them).
    public var stopStrings: [String] = []
    /// Token ids that end the generation (besides the model's own end-of-generation tokens).
    public var stopTokens: [Int32] = []

    /// Options with every default; set the members to change them.
    public init(maxTokens: Int = 128, temperature: Double = 0, topK: Int = 0, topP: Double = 1, seed: UInt64? = nil,
                stopStrings: [String] = [], stopTokens: [Int32] = []) {
        self.maxTokens = maxTokens
        self.temperature = temperature
        self.topK = topK
        self.topP = topP
        self.seed = seed
        self.stopStrings = stopStrings
        self.stopTokens = stopTokens
    }

    /// The accepted values of each option, read by Core's checks, the protocol and the CLI.
    public enum Limits {
        public static let maxTokens = OptionRange.atLeast(1)
        public static let temperature = OptionRange.closed(0, 100)
        public static let topK = OptionRange.atLeast(0)
        public static let topP = OptionRange(lower: .exclusive(0), upper: .inclusive(1))
    }

    /// Checks every option against its range.
    public func validate() throws(ModelError) {
        let checks: [String?] = [
            Limits.maxTokens.violation("maxTokens", maxTokens), Limits.temperature.violation("temperature", temperature),
            Limits.topK.violation("topK", topK), Limits.topP.violation("topP", topP),
        ]
        if let violation = checks.compactMap({ $0 }).first { throw .invalidConfig(violation) }
        if stopStrings.contains("") { throw .invalidConfig("a stop string must not be empty") }
    }
}

/// Why a generation ended.
public enum FinishReason: String, Sendable, Codable, CaseIterable {
    /// The model produced an end-of-generation token (its EOS, or an end-of-turn token).
    case eos
    /// A stop string or a stop token given in the options appeared.
    case stop
    /// `maxTokens` were generated, or the context filled.
    case length
}
