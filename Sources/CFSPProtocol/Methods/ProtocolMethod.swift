import RPC

/// A model method of cfspd: its name (`method`), params, result and progress report, each a
/// `WireObject`, and a sentence for the docs. The daemon routes it, clients send it, and the
/// schema and protocol.md's tables are derived from it; adding a method is one more conforming
/// type listed in `ProtocolMethods.all`.
public protocol ProtocolMethod: RequestType where Params: WireObject, Response: WireObject {
    /// The `value` members of this method's `$/progress` reports (`NoProgress` when it only
    /// sends `begin` and `end`).
    associatedtype Progress: WireObject = NoProgress
    /// What the method does, in one sentence.
    static var summary: String { get }
}

/// What a method looks like on the wire, without its Swift types.
public struct MethodDescription: Sendable {
    /// The JSON-RPC method name.
    public var method: String
    /// What it does.
    public var summary: String
    /// Its params object.
    public var params: WireShape
    /// Its result object.
    public var result: WireShape
    /// The members of its progress reports (none for `NoProgress`).
    public var progress: WireShape
}

extension ProtocolMethod {
    /// The method's description, for the schema and the docs.
    public static var description: MethodDescription {
        MethodDescription(method: method, summary: summary, params: Params.shape, result: Response.shape,
                          progress: Progress.shape)
    }
}

/// The progress of a method that reports only `begin` and `end`.
public struct NoProgress: WireObject, Equatable {
    /// The schema name.
    public static let wireName = "noProgress"
    /// What the object is.
    public static let wireDoc = "no report members"
    /// The only value.
    public static let blank = NoProgress()
    /// No members.
    public static let members: [WireMember<NoProgress>] = []
    /// The only value.
    public init() {}
}

/// Every model method of cfspd, in protocol.md's order.
public enum ProtocolMethods {
    /// The method types (the lifecycle methods `initialize` and `shutdown` are RPC's).
    public static let all: [any ProtocolMethod.Type] = [
        LoadModelRequest.self, ListModelsRequest.self, DescribeModelRequest.self, UnloadModelRequest.self,
        CalibrateRequest.self, SaveCalibrationRequest.self, LoadCalibrationRequest.self,
        MergeCalibrationsRequest.self, ReleaseCalibrationRequest.self, ScoreRequest.self, PruneRequest.self, FinetuneRequest.self,
        EvaluateRequest.self, ExportRequest.self, RunRequest.self, SweepRequest.self, GenerateRequest.self,
        TokenizeRequest.self, DetokenizeRequest.self, LogLikelihoodRequest.self,
    ]

    /// Their descriptions, in the same order.
    public static var descriptions: [MethodDescription] { all.map { $0.description } }
}
