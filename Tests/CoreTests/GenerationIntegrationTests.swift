import Core
import Foundation
import Kernels
import Testing
import TestSupport

/// cfsp's generation on the real SmolLM2-135M-Instruct (CFSP_MODEL) against transformers on the
/// same GGUF (Scripts/hf_greedy.py: transformers' GGUF reader, f32 dequantized weights, the chat
/// template and tokenizer converted from the file): the chat prompt renders to the same ids, and
/// greedy decoding picks the same token at each of 16 steps.
@Suite("GenerationIntegration", .serialized)
struct GenerationIntegration {
    static let pool = ThreadPool(threads: ThreadPool.availableProcessors)
    static let messages = [ChatMessage(role: "user", content: "What is the capital of France?")]

    struct Reference: Decodable {
        var rendered: String
        var prompt: [Int32]
        var tokens: [Int32]
        var argmax: [Int32]
    }

    @Test func greedyGenerationOfSmolLM2MatchesTransformers() throws {
        let path = try GGUFIntegration.modelPath()
        let loaded = try ModelLoader.load(path: path, precision: .f32)
        let tokenizer = try #require(loaded.tokenizer)
        let template = try ChatTemplate(source: try #require(loaded.chatTemplate))
        let rendered = try template.render(messages: Self.messages, bosToken: try tokenizer.decode([1]),
                                           eosToken: try tokenizer.decode([2]))
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Scripts/hf_greedy.py")
        let json = String(decoding: try JSONEncoder().encode(Self.messages), as: UTF8.self)
        let output = try TestProcess.run(["python3", script.path, path, "16", json], what: "hf_greedy.py")
        let reference = try JSONDecoder().decode(Reference.self, from: output)
        #expect(rendered == reference.rendered)
        let prompt = tokenizer.encode(rendered)
        #expect(prompt == reference.prompt)

        // Every step's argmax through the KV cache (transformers generates past the EOS here).
        let decoder = try IncrementalDecoder(model: loaded.model, positions: prompt.count + 16, pool: Self.pool)
        var logits = try decoder.append(prompt)
        var steps: [Int32] = []
        for _ in 0..<16 {
            let next = TokenSampler.argmax(logits)
            steps.append(next)
            logits = try decoder.append([next])
        }
        #expect(steps == reference.argmax)

        // generate itself: the same tokens up to the end of the turn (<|im_end|>, id 2).
        let result = try TextGenerator(model: loaded.model, tokenizer: tokenizer, pool: Self.pool)
            .generate(prompt: prompt, options: GenerationOptions(maxTokens: 16))
        let end = try #require(reference.tokens.firstIndex(of: 2))
        #expect(result.finishReason == .eos)
        #expect(result.tokens == Array(reference.tokens[..<end]))
        #expect(result.text == "The capital of France is Paris.")
    }
}
