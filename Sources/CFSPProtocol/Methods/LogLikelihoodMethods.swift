import Core
import RPC

/// One request of `loglikelihood`: token ids of a context and of the continuation to score after it.
public struct ContinuationRequest: WireObject, Equatable {
    /// The context's token ids (at least one).
    public var context: [Int]
    /// The continuation's token ids.
    public var continuation: [Int]

    /// A request scoring `continuation` after `context`.
    public init(context: [Int], continuation: [Int]) {
        self.context = context
        self.continuation = continuation
    }

    /// The schema name.
    public static let wireName = "continuationRequest"
    /// What the object is.
    public static let wireDoc = "a context and the continuation to score after it, as token ids"
    /// Placeholders.
    public static let blank = ContinuationRequest(context: [], continuation: [])
    /// Both members.
    public static let members: [WireMember<ContinuationRequest>] = [
        .required("context", \.context,
                  "the context's token ids, at least one (an empty text context is the model's BOS, or its EOS when it has none, as lm-eval does)",
                  range: .atLeast(0)),
        .required("continuation", \.continuation, "the token ids to score after the context", range: .atLeast(0)),
    ]

    /// A context of at least one token.
    public func validateWire() throws(WireError) {
        if context.isEmpty {
            throw WireError(member: "context", message: "'context' must hold at least one token (send the model's BOS or EOS for an empty context)")
        }
    }
}

/// Params of `loglikelihood`: the model and the requests, scored in order.
public struct LogLikelihoodParams: WireObject, Equatable {
    /// The model handle.
    public var model: String
    /// The requests.
    public var requests: [ContinuationRequest]

    /// Params scoring `requests` with `model`.
    public init(model: String, requests: [ContinuationRequest]) {
        self.model = model
        self.requests = requests
    }

    /// The most requests one call takes (a client sends more as several calls).
    public static let maxRequests = 65536

    /// The schema name.
    public static let wireName = "logLikelihoodParams"
    /// What the object is.
    public static let wireDoc = "the continuations loglikelihood scores, and with which model"
    /// Placeholders.
    public static let blank = LogLikelihoodParams(model: "", requests: [])
    /// Every member.
    public static let members: [WireMember<LogLikelihoodParams>] = [
        .required("model", \.model, "the model handle"),
        .required("requests", \.requests, "the (context, continuation) pairs, scored in order (1 to 65536 of them)"),
    ]

    /// Between one and `maxRequests` requests.
    public func validateWire() throws(WireError) {
        guard (1...Self.maxRequests).contains(requests.count) else {
            throw WireError(member: "requests", message: "'requests' must hold 1 to \(Self.maxRequests) requests, not \(requests.count)")
        }
    }
}

extension ContinuationScore: WireObject {
    /// The schema name.
    public static let wireName = "continuationScore"
    /// What the object is.
    public static let wireDoc = "how likely the model finds one continuation after its context"
    /// Zeros.
    public static let blank = ContinuationScore(logLikelihood: 0, isGreedy: false, tokens: 0, truncatedTokens: 0)
    /// Every member.
    public static let members: [WireMember<ContinuationScore>] = [
        .required("logLikelihood", \.logLikelihood, "sum over the continuation's tokens of log p(token | all before it), natural log"),
        .required("isGreedy", \.isGreedy, "whether each continuation token is the most likely next token (greedy decoding gives the continuation)"),
        .required("tokens", \.tokens, "continuation tokens scored", range: .atLeast(0)),
        .required("truncatedTokens", \.truncatedTokens,
                  "context tokens left out from the start so that the pass fits the context length", range: .atLeast(0)),
    ]
}

/// Result of `loglikelihood`: one score per request, in the requests' order.
public struct LogLikelihoodResult: WireObject, Equatable {
    /// The model handle.
    public var model: String
    /// One score per request.
    public var scores: [ContinuationScore]
    /// Tokens run through the model in all.
    public var tokens: Int
    /// Wall-clock seconds.
    public var seconds: Double

    /// The scores of `model`.
    public init(model: String, scores: [ContinuationScore], tokens: Int, seconds: Double) {
        self.model = model
        self.scores = scores
        self.tokens = tokens
        self.seconds = seconds
    }

    /// The schema name.
    public static let wireName = "logLikelihoodResult"
    /// What the object is.
    public static let wireDoc = "the log-likelihood of each continuation"
    /// Placeholders.
    public static let blank = LogLikelihoodResult(model: "", scores: [], tokens: 0, seconds: 0)
    /// Every member.
    public static let members: [WireMember<LogLikelihoodResult>] = [
        .required("model", \.model, "the model handle", string: Handle.model),
        .required("scores", \.scores, "one score per request, in order"),
        .required("tokens", \.tokens, "tokens run through the model in all", range: .atLeast(0)),
        .required("seconds", \.seconds, "wall-clock seconds of the scoring"),
        .derived("tokensPerSecond", "tokens run through the model per second") { $0.tokens > 0 ? Double($0.tokens) / max($0.seconds, 1e-9) : 0 },
    ]
}

/// The `$/progress` report members of `loglikelihood`.
public struct LogLikelihoodProgress: WireObject, Equatable {
    /// Requests scored.
    public var request: Int
    /// Requests in all.
    public var requests: Int
    /// Throughput so far.
    public var tokensPerSecond: Double

    /// A report after `request` of `requests`.
    public init(request: Int, requests: Int, tokensPerSecond: Double) {
        self.request = request
        self.requests = requests
        self.tokensPerSecond = tokensPerSecond
    }

    /// The schema name.
    public static let wireName = "logLikelihoodProgress"
    /// What the object is.
    public static let wireDoc = "a loglikelihood progress report"
    /// Zeros.
    public static let blank = LogLikelihoodProgress(request: 0, requests: 0, tokensPerSecond: 0)
    /// Every member.
    public static let members: [WireMember<LogLikelihoodProgress>] = [
        .required("request", \.request, "requests scored", range: .atLeast(0)),
        .required("requests", \.requests, "requests in all", range: .atLeast(0)),
        .required("tokensPerSecond", \.tokensPerSecond, "throughput so far"),
    ]
}

/// `loglikelihood`: the log-probability of continuations given contexts, and whether each is
/// the greedy one (lm-evaluation-harness's `loglikelihood`; its rolling variant is a client's
/// windows sent as requests).
public enum LogLikelihoodRequest: ProtocolMethod {
    /// The params type.
    public typealias Params = LogLikelihoodParams
    /// The result type.
    public typealias Response = LogLikelihoodResult
    /// The progress report type.
    public typealias Progress = LogLikelihoodProgress
    /// The JSON-RPC method name.
    public static let method = "loglikelihood"
    /// What the method does.
    public static let summary = "Log-likelihood of continuations after contexts (token ids) and whether each is greedy, one forward pass per request."
}
