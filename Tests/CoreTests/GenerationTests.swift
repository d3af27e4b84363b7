import Core
import Foundation
import Kernels
import Testing

/// `TextGenerator` on the tiny test model with its real byte-level tokenizer: greedy decoding
/// against an argmax loop over full-sequence forwards, seeds, stop tokens and strings, limits.
@Suite struct GenerationTests {
    static let pool = ThreadPool(threads: 2)

    static func setup() throws -> (LlamaModel, any TextTokenizer) {
        let model = try LlamaModel.random(config: TestModelFile.config, seed: 5)
        let tokenizer = try makeTokenizer(metadata: GGUFTokenizerMetadata(
            model: "gpt2", preTokenizer: "gpt2", tokens: TestModelFile.tokens, merges: TestModelFile.merges,
            tokenTypes: TestModelFile.tokens.indices.map { $0 == TestModelFile.vocabularySize - 1 ? 3 : 1 },
            bosTokenID: TestModelFile.vocabularySize - 1, eosTokenID: TestModelFile.vocabularySize - 1))
        return (model, tokenizer)
    }

    @Test func greedyDecodingIsTheArgmaxOfTheFullForwardAtEachStep() throws {
        let (model, tokenizer) = try Self.setup()
        let prompt = tokenizer.encode("the cat sat on")
        var steps: [GenerationStep] = []
        let result = try TextGenerator(model: model, tokenizer: tokenizer, pool: Self.pool)
            .generate(prompt: prompt, options: GenerationOptions(maxTokens: 12), onStep: { steps.append($0) })
        // Reference: recompute the whole sequence every step, take the argmax.
        var sequence = prompt
        var expected: [Int32] = []
        for _ in 0..<12 {
            let next = TokenSampler.argmax(try model.nextTokenLogits(after: sequence, pool: Self.pool))
            if next == tokenizer.eosTokenID { break }
            expected.append(next)
            sequence.append(next)
        }
        #expect(result.tokens == expected)
        #expect(result.finishReason == (expected.count == 12 ? .length : .eos))
        #expect(result.promptTokens == prompt.count)
        #expect(steps.map(\.token) == expected)
        #expect(steps.map(\.text).joined() == result.text)
        #expect(result.text == (try tokenizer.decode(expected, skippingSpecialTokens: true)))
        #expect(result.decodeSteps == expected.count - 1)
    }

    @Test func aSeedReproducesASampledRunAndAnotherSeedDiffers() throws {
        let (model, tokenizer) = try Self.setup()
        let generator = TextGenerator(model: model, tokenizer: tokenizer, pool: Self.pool)
        let prompt = tokenizer.encode("the")
        func run(_ seed: UInt64) throws -> GenerationResult {
            try generator.generate(prompt: prompt, options: GenerationOptions(maxTokens: 24, temperature: 1.5, seed: seed,
                                                                              stopTokens: []))
        }
        let a = try run(11), b = try run(11)
        #expect(a.tokens == b.tokens)
        #expect(a.seed == 11)
        let others = try (12...15).map { try run($0).tokens }
        #expect(others.contains { $0 != a.tokens })
        // Without a seed one is drawn and reported, and it reproduces the run.
        let drawn = try generator.generate(prompt: prompt, options: GenerationOptions(maxTokens: 24, temperature: 1.5))
        #expect(try run(drawn.seed).tokens == drawn.tokens)
    }

    @Test func stopTokensAndMaxTokensEndTheRun() throws {
        let (model, tokenizer) = try Self.setup()
        let generator = TextGenerator(model: model, tokenizer: tokenizer, pool: Self.pool)
        let prompt = tokenizer.encode("the")
        let free = try generator.generate(prompt: prompt, options: GenerationOptions(maxTokens: 10))
        try #require(free.tokens.count >= 4)
        let stop = free.tokens[3]
        let first = free.tokens.firstIndex(of: stop)!
        let stopped = try generator.generate(prompt: prompt, options: GenerationOptions(maxTokens: 10, stopTokens: [stop]))
        #expect(stopped.finishReason == .stop)
        #expect(stopped.tokens == Array(free.tokens[..<first]))
        let short = try generator.generate(prompt: prompt, options: GenerationOptions(maxTokens: 2))
        #expect(short.tokens == Array(free.tokens.prefix(2)))
        #expect(short.finishReason == .length)
    }

    @Test func aStopStringCutsTheTextBeforeIt() throws {
        let (model, tokenizer) = try Self.setup()
        let generator = TextGenerator(model: model, tokenizer: tokenizer, pool: Self.pool)
        let prompt = tokenizer.encode("the")
        let free = try generator.generate(prompt: prompt, options: GenerationOptions(maxTokens: 16, temperature: 1, seed: 3))
        let bytes = Array(free.text.utf8)
        try #require(bytes.count >= 6)
        // A stop string from the middle of the free run's text (two characters, ASCII or not).
        let characters = Array(free.text)
        let middle = characters.count / 2
        let stop = String(characters[middle..<min(characters.count, middle + 2)])
        let cut = free.text.range(of: stop)!.lowerBound
        var pieces: [String] = []
        let stopped = try generator.generate(
            prompt: prompt, options: GenerationOptions(maxTokens: 16, temperature: 1, seed: 3, stopStrings: [stop]),
            onStep: { pieces.append($0.text) })
        #expect(stopped.finishReason == .stop)
        #expect(stopped.text == String(free.text[..<cut]))
        #expect(pieces.joined() == stopped.text)
        #expect(!pieces.joined().contains(stop))
    }

    @Test func cancellationStopsWithinAToken() throws {
        let (model, tokenizer) = try Self.setup()
        var seen = 0
        #expect(throws: OperationCancelled.self) {
            try TextGenerator(model: model, tokenizer: tokenizer, pool: Self.pool).generate(
                prompt: tokenizer.encode("the"), options: GenerationOptions(maxTokens: 50),
                onStep: { _ in seen += 1 }, isCancelled: { seen >= 3 })
        }
        #expect(seen == 3)
    }

    @Test func badOptionsAreRefused() throws {
        let (model, tokenizer) = try Self.setup()
        let generator = TextGenerator(model: model, tokenizer: tokenizer, pool: Self.pool)
        for options in [GenerationOptions(maxTokens: 0), GenerationOptions(temperature: -1), GenerationOptions(topP: 0),
                        GenerationOptions(stopStrings: [""]), GenerationOptions(stopTokens: [9999])] {
            #expect(throws: ModelError.self) { try generator.generate(prompt: [1, 2], options: options) }
        }
        // A prompt that fills the context leaves no room for a token.
        #expect(throws: ModelError.self) {
            try generator.generate(prompt: [Int32](repeating: 1, count: model.config.contextLength), options: GenerationOptions())
        }
    }

    @Test func theEndOfGenerationTokensAreTheEOSAndTheEndOfTurnControlTokens() throws {
        let (_, tokenizer) = try Self.setup()
        #expect(TextGenerator.endOfGenerationTokens(tokenizer) == [Int32(TestModelFile.vocabularySize - 1)])
    }
}

/// The sampler's draws against the distribution it claims to draw from.
@Suite struct TokenSamplerTests {
    static let logits: [Float] = [1.0, 3.0, 2.5, -1.0, 0.0, 2.9]

    @Test func greedyIsTheFirstArgmax() {
        var sampler = TokenSampler(temperature: 0, topK: 0, topP: 1, seed: 1)
        #expect(sampler.sample(Self.logits) == 1)
        #expect(TokenSampler.argmax([0, 2, 2, 1]) == 1)
        var topOne = TokenSampler(temperature: 2, topK: 1, topP: 1, seed: 1)
        #expect((0..<20).allSatisfy { _ in topOne.sample(Self.logits) == 1 })
    }

    /// Frequencies of 40,000 draws within 4 standard deviations of softmax(logits / T) restricted
    /// to the top k and then the top-p nucleus, renormalized.
    @Test(arguments: [(1.0, 0, 1.0), (0.7, 3, 1.0), (1.3, 0, 0.8), (1.0, 4, 0.9)])
    func drawsFollowTheFilteredSoftmax(temperature: Double, topK: Int, topP: Double) {
        let order = Self.logits.indices.sorted { Self.logits[$0] > Self.logits[$1] }
        var kept = topK > 0 ? Array(order.prefix(topK)) : order
        let weights = kept.map { exp(Double(Self.logits[$0]) / temperature) }
        let total = weights.reduce(0, +)
        var mass = 0.0, count = 0
        for w in weights {
            mass += w / total
            count += 1
            if mass >= topP { break }
        }
        kept = Array(kept.prefix(count))
        let keptTotal = weights.prefix(count).reduce(0, +)
        var sampler = TokenSampler(temperature: temperature, topK: topK, topP: topP, seed: 99)
        let draws = 40_000
        var histogram = [Int](repeating: 0, count: Self.logits.count)
        for _ in 0..<draws { histogram[Int(sampler.sample(Self.logits))] += 1 }
        for id in Self.logits.indices {
            let p = kept.firstIndex(of: id).map { weights[$0] / keptTotal } ?? 0
            let sigma = (Double(draws) * p * (1 - p)).squareRoot()
            #expect(abs(Double(histogram[id]) - Double(draws) * p) <= 4 * sigma + 1e-9, "token \(id): \(histogram[id]) draws, expected \(Double(draws) * p)")
        }
    }
}
