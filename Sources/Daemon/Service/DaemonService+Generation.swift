import CFSPProtocol
import Core
import Foundation
import RPC

extension DaemonService {
    func generate(_ params: GenerateParams, _ context: JobContext) async throws -> GenerateResult {
        try await registry.withJob(on: params.model, method: GenerateRequest.method) { entry in
            let reporter = context.progress(title: GenerateRequest.method)
            let pool = self.pool
            let maxTokens = params.options.maxTokens
            let result = try await compute { () throws -> GenerationResult in
                let prompt = try Self.prompt(params, for: entry)
                return try TextGenerator(model: entry.model, tokenizer: entry.tokenizer, pool: pool).generate(
                    prompt: prompt, options: params.options,
                    onStep: { step in
                        reporter.report(GenerateProgress(step), percentage: 100 * Double(step.count) / Double(maxTokens),
                                        always: true)
                    },
                    isCancelled: { context.isCancelled })
            }
            return GenerateResult(model: entry.handle, result)
        }
    }

    func tokenize(_ params: TokenizeParams) async throws -> TokenizeResult {
        let entry = try registry.model(params.model)
        guard let tokenizer = entry.tokenizer else { throw DaemonError.noTokenizer(model: entry.handle) }
        let ids = try await compute { params.addSpecial ? tokenizer.encodeDocument(params.text) : tokenizer.encode(params.text) }
        return TokenizeResult(model: entry.handle, tokens: ids.map { Int($0) })
    }

    func detokenize(_ params: DetokenizeParams) async throws -> DetokenizeResult {
        let entry = try registry.model(params.model)
        guard let tokenizer = entry.tokenizer else { throw DaemonError.noTokenizer(model: entry.handle) }
        let ids = try TextInputResolver.ids(params.tokens, vocabulary: entry.model.config.vocabSize)
        let text = try await compute { try tokenizer.decode(ids, skippingSpecialTokens: params.skipSpecial) }
        return DetokenizeResult(model: entry.handle, text: text)
    }

    /// The prompt's token ids: ids as given; text read and tokenized as a document (with the BOS
    /// the model expects); or messages rendered with the chat template and tokenized as they are
    /// (the template writes any BOS itself, as transformers' apply_chat_template).
    static func prompt(_ params: GenerateParams, for entry: ModelEntry) throws -> [Int32] {
        if let tokens = params.tokens {
            let ids = try TextInputResolver.ids(tokens, vocabulary: entry.model.config.vocabSize)
            try TextInputResolver.requireTokens(ids)
            return ids
        }
        guard let tokenizer = entry.tokenizer else { throw DaemonError.noTokenizer(model: entry.handle) }
        var text = params.text
        if let path = params.path {
            do {
                text = try TextCorpus.loadPlainText(path: path)
            } catch let error as DataError {
                throw DaemonError.badData(error.description)
            }
        }
        let ids: [Int32]
        if params.usesChatTemplate {
            guard let source = entry.chatTemplate else { throw ChatTemplateError.missing }
            let messages = params.messages ?? [ChatMessage(role: "user", content: text ?? "")]
            func special(_ id: Int32?) -> String { id.flatMap { try? tokenizer.decode([$0]) } ?? "" }
            let rendered = try ChatTemplate(source: source).render(
                messages: messages, addGenerationPrompt: true, bosToken: special(tokenizer.bosTokenID),
                eosToken: special(tokenizer.eosTokenID))
            ids = tokenizer.encode(rendered)
        } else {
            ids = tokenizer.encodeDocument(text ?? "")
        }
        try TextInputResolver.requireTokens(ids)
        return ids
    }
}
