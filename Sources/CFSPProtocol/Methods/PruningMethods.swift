import Core
import RPC

/// Params of `score` and `prune`: the model, its calibration and the pruning options (whose
/// members travel in the params themselves).
public struct PruningParams: WireObject, Equatable {
    /// The model handle (`m1`, ...).
    public var model: String
    /// The calibration handle (`c1`, ...).
    public var calibration: String
    /// Sparsity, method and the method's settings.
    public var options: PruningOptions

    /// Params pruning `model` with `calibration` under `options`.
    public init(model: String, calibration: String, options: PruningOptions) {
        self.model = model
        self.calibration = calibration
        self.options = options
    }

    /// Params at `sparsity` with `method`, every other option at its default.
    public init(model: String, calibration: String, sparsity: Double, method: PruningMethod = .cfsp) {
        self.init(model: model, calibration: calibration, options: PruningOptions(sparsity: sparsity, method: method))
    }

    /// The schema name.
    public static let wireName = "pruningParams"
    /// What the object is.
    public static let wireDoc = "what score and prune work on"
    /// Placeholders, default options.
    public static let blank = PruningParams(model: "", calibration: "", options: .blank)
    /// Every member.
    public static let members: [WireMember<PruningParams>] = [
        .required("model", \.model, "the model handle"),
        .required("calibration", \.calibration, "the calibration handle"),
    ] + PruningOptions.members.lifted(\.options)
}

/// `score`: the per-block table of what pruning would keep, without pruning.
public enum ScoreRequest: ProtocolMethod {
    /// The params type.
    public typealias Params = PruningParams
    /// The result type.
    public typealias Response = ScoreResult
    /// The JSON-RPC method name.
    public static let method = "score"
    /// What the method does.
    public static let summary = "Decides what each block would keep, without compressing anything."
}

/// `prune`: builds the pruned model as a new handle (the original stays loaded).
public enum PruneRequest: ProtocolMethod {
    /// The params type.
    public typealias Params = PruningParams
    /// The result type.
    public typealias Response = PruneResult
    /// The JSON-RPC method name.
    public static let method = "prune"
    /// What the method does.
    public static let summary = "Builds the pruned model and returns a new handle; the original stays loaded."
}
