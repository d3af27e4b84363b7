import Foundation
import Kernels

/// One generated token as it streams: its id, the text it releases (empty while a character or
/// a possible stop string is incomplete), and how many tokens have been generated.
public struct GenerationStep: Sendable, Equatable {
    public var token: Int32
    public var text: String
    public var count: Int
}

/// What a generation produced, and how fast.
public struct GenerationResult: Sendable, Equatable {
    /// The generated text (special tokens left out; cut before a stop string).
    public var text: String
    /// The generated token ids (an end-of-generation or stop token that ended the run left out).
    public var tokens: [Int32]
    public var finishReason: FinishReason
    /// Tokens of the prompt as the model read it.
    public var promptTokens: Int
    /// Seconds spent reading the prompt (one forward pass over it).
    public var promptSeconds: Double
    /// Seconds spent on the decoding steps after the prompt (one forward pass per token).
    public var decodeSeconds: Double
    /// Decoding steps run (each feeds one generated token back).
    public var decodeSteps: Int
    /// The sampler's seed (the one given, or the one drawn).
    public var seed: UInt64

    /// A result from its parts.
    public init(text: String, tokens: [Int32], finishReason: FinishReason, promptTokens: Int, promptSeconds: Double,
                decodeSeconds: Double, decodeSteps: Int, seed: UInt64) {
        self.text = text
        self.tokens = tokens
        self.finishReason = finishReason
        self.promptTokens = promptTokens
        self.promptSeconds = promptSeconds
        self.decodeSeconds = decodeSeconds
        self.decodeSteps = decodeSteps
        self.seed = seed
    }

    /// Decoding steps per second (0 before the first step).
    public var tokensPerSecond: Double { decodeSeconds > 0 ? Double(decodeSteps) / decodeSeconds : 0 }
    /// Prompt tokens read per second.
    public var promptTokensPerSecond: Double { promptSeconds > 0 ? Double(promptTokens) / promptSeconds : 0 }
}

/// Continues a prompt with a model: reads the prompt once into a KV cache, then draws one token
/// at a time (`TokenSampler`), feeding each back, until an end-of-generation token, a stop
/// token or string, `maxTokens`, or the end of the context.
public struct TextGenerator {
    public let model: LlamaModel
    public let tokenizer: (any TextTokenizer)?
    let pool: ThreadPool

    /// A generator for `model`; without a tokenizer the text is empty and stop strings are refused.
    public init(model: LlamaModel, tokenizer: (any TextTokenizer)?, pool: ThreadPool) {
        self.model = model
        self.tokenizer = tokenizer
        self.pool = pool
    }

    /// Generates after `prompt`, calling `onStep` for every token as it comes.
    /// - Throws: `OperationCancelled` within one token of `isCancelled` turning true;
    ///   `ModelError` for a bad prompt or options.
    public func generate(
        prompt: [Int32], options: GenerationOptions, onStep: (GenerationStep) -> Void = { _ in },
        isCancelled: () -> Bool = { false }
    ) throws -> GenerationResult {
        try options.validate()
        try model.validate(tokens: prompt)
        guard prompt.count < model.config.contextLength else {
            throw ModelError.windowTooLong(tokens: prompt.count + 1, contextLength: model.config.contextLength)
        }
        if !options.stopStrings.isEmpty, tokenizer == nil {
            throw ModelError.invalidConfig("stop strings need the model's tokenizer, and this model has none")
        }
        for id in options.stopTokens where id < 0 || Int(id) >= model.config.vocabSize {
            throw ModelError.tokenOutOfRange(id: Int(id), vocabularySize: model.config.vocabSize)
        }
        let seed = options.seed ?? UInt64.random(in: 0...UInt64(Int64.max))
        var sampler = TokenSampler(temperature: options.temperature, topK: options.topK, topP: options.topP, seed: seed)
        let endTokens = tokenizer.map(Self.endOfGenerationTokens) ?? []
        let stopTokens = Set(options.stopTokens)
        let positions = min(model.config.contextLength, prompt.count + options.maxTokens)
        let decoder = try IncrementalDecoder(model: model, positions: positions, pool: pool)
        var assembler = TextAssembler(stopStrings: options.stopStrings)

        let clock = ContinuousClock()
        var started = clock.now
        var logits = try decoder.append(prompt, isCancelled: isCancelled)
        let promptSeconds = (clock.now - started).seconds
        started = clock.now
        var generated: [Int32] = []
        var steps = 0
        var reason = FinishReason.length
        while true {
            if isCancelled() { throw OperationCancelled() }
            let token = sampler.sample(logits)
            if endTokens.contains(token) { reason = .eos; break }
            if stopTokens.contains(token) { reason = .stop; break }
            generated.append(token)
            let piece = try tokenizer.map { assembler.update(try $0.decodedBytes(generated, skippingSpecialTokens: true)) } ?? ""
            if assembler.stopAt != nil {
                onStep(GenerationStep(token: token, text: piece, count: generated.count))
                reason = .stop
                break
            }
            if generated.count >= options.maxTokens || decoder.position >= positions {
                onStep(GenerationStep(token: token, text: piece + assembler.finish(), count: generated.count))
                break
            }
            onStep(GenerationStep(token: token, text: piece, count: generated.count))
            logits = try decoder.append([token], isCancelled: isCancelled)
            steps += 1
        }
        if reason == .eos || (reason == .stop && assembler.stopAt == nil) {
            let rest = assembler.finish()
            if !rest.isEmpty, let last = generated.last {
                onStep(GenerationStep(token: last, text: rest, count: generated.count))
            }
        }
        return GenerationResult(
            text: assembler.text, tokens: generated, finishReason: reason, promptTokens: prompt.count,
            promptSeconds: promptSeconds, decodeSeconds: (clock.now - started).seconds, decodeSteps: steps, seed: seed)
    }

    /// Control tokens that end a turn in the chat formats cfsp's families use, besides the EOS.
    public static let endOfTurnTokenNames = ["<|im_end|>", "<end_of_turn>", "<|eot_id|>", "<|endoftext|>"]

    /// The model's EOS and the end-of-turn tokens of `endOfTurnTokenNames` its vocabulary has
    /// as single special tokens (llama.cpp treats the same ones as end of generation).
    public static func endOfGenerationTokens(_ tokenizer: any TextTokenizer) -> Set<Int32> {
        var ids = Set(tokenizer.eosTokenID.map { [$0] } ?? [])
        for name in endOfTurnTokenNames {
            let encoded = tokenizer.encode(name)
            if encoded.count == 1, (try? tokenizer.decode(encoded, skippingSpecialTokens: true)) == "" {
                ids.insert(encoded[0])
            }
        }
        return ids
    }
}
