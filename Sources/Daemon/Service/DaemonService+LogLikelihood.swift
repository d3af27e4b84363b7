import CFSPProtocol
import Core
import Foundation
import RPC

extension DaemonService {
    /// `loglikelihood`: each request's continuation scored after its context, one forward pass
    /// each, on one workspace sized for the longest; a report after every request.
    func logLikelihood(_ params: LogLikelihoodParams, _ context: JobContext) async throws -> LogLikelihoodResult {
        try await registry.withJob(on: params.model, method: LogLikelihoodRequest.method) { entry in
            let reporter = context.progress(title: LogLikelihoodRequest.method)
            let pool = self.pool
            let model = entry.model
            let vocabulary = model.config.vocabSize
            let limit = model.config.contextLength
            let requests = try params.requests.enumerated().map { index, request throws(DaemonError) in
                guard request.continuation.count <= limit else {
                    throw .invalidForModel(
                        "request \(index): a continuation of \(request.continuation.count) tokens does not fit the model's context of \(limit) tokens after at least one context token")
                }
                return (try TextInputResolver.ids(request.context, vocabulary: vocabulary),
                        try TextInputResolver.ids(request.continuation, vocabulary: vocabulary))
            }
            let start = Date()
            let (scores, tokens) = try await compute { () throws -> ([ContinuationScore], Int) in
                let longest = requests.map { model.continuationInputLength(context: $0.0.count, continuation: $0.1.count) }.max() ?? 1
                let workspace = ForwardWorkspace(model: model, tokens: max(longest, 1))
                var scores: [ContinuationScore] = []
                scores.reserveCapacity(requests.count)
                var tokens = 0
                for (index, (contextIDs, continuationIDs)) in requests.enumerated() {
                    if context.isCancelled { throw OperationCancelled() }
                    scores.append(try model.continuationScore(
                        context: contextIDs, continuation: continuationIDs, workspace: workspace, pool: pool,
                        isCancelled: { context.isCancelled }))
                    if !continuationIDs.isEmpty {
                        tokens += model.continuationInputLength(context: contextIDs.count, continuation: continuationIDs.count)
                    }
                    let rate = Double(tokens) / max(Date().timeIntervalSince(start), 1e-9)
                    reporter.report(LogLikelihoodProgress(request: index + 1, requests: requests.count, tokensPerSecond: rate),
                                    message: "request \(index + 1)/\(requests.count)",
                                    percentage: 100 * Double(index + 1) / Double(requests.count))
                }
                return (scores, tokens)
            }
            if let bad = scores.firstIndex(where: { !$0.logLikelihood.isFinite }) {
                throw DaemonError.invalidForModel(
                    "the log-likelihood of request \(bad) is not a finite number: the model's outputs overflow 32-bit floats (corrupt weights or configuration)")
            }
            return LogLikelihoodResult(model: entry.handle, scores: scores, tokens: tokens,
                                       seconds: Date().timeIntervalSince(start))
        }
    }
}
