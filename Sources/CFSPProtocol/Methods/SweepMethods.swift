import Core
import RPC

/// Params of `sweep`: one model and one calibration, a list of sparsities and of methods, the
/// options every point shares (`prune`'s other members) and the evaluation (`evaluate`'s members).
public struct SweepParams: WireObject, Equatable {
    /// The limits of a sweep.
    public enum Limits {
        /// Points (sparsities times methods) one sweep may evaluate.
        public static let points = OptionRange.closed(1, 1024)
    }

    /// The model handle (`m1`, ...).
    public var model: String
    /// The calibration handle (`c1`, ...).
    public var calibration: String
    /// The sparsities to prune to, in order.
    public var sparsities: [Double]
    /// The methods to prune with, each at every sparsity.
    public var methods: [PruningMethod] = [PruningOptions.blank.method]
    /// The options every point shares (their sparsity and method are the point's).
    public var options = PruningOptions.blank
    /// How each model is evaluated (its `model` is the point's).
    public var evaluation: EvaluateParams
    /// Evaluate the dense model too, as the baseline.
    public var includeDense = true
    /// Keep each pruned model loaded (its handle is in its row); by default each is freed once
    /// evaluated, so a sweep needs the memory of one pruned model at a time.
    public var keepModels = false

    /// Params sweeping `model` over `sparsities` with `calibration`, evaluated on `input`.
    public init(model: String, calibration: String, sparsities: [Double], input: TextInput) {
        self.model = model
        self.calibration = calibration
        self.sparsities = sparsities
        evaluation = EvaluateParams(model: model, input: input)
    }

    /// Every (method, sparsity) point, methods outermost, in the given order.
    public var points: [(method: PruningMethod, sparsity: Double)] {
        methods.flatMap { method in sparsities.map { (method, $0) } }
    }

    /// The pruning options of one point.
    public func options(method: PruningMethod, sparsity: Double) -> PruningOptions {
        var options = self.options
        options.method = method
        options.sparsity = sparsity
        return options
    }

    /// The schema name.
    public static let wireName = "sweepParams"
    /// What the object is.
    public static let wireDoc = "what sweep prunes, to which sparsities with which methods, and how it evaluates"
    /// Placeholders, default options.
    public static let blank = SweepParams(model: "", calibration: "", sparsities: [], input: TextInput())
    /// Every member: handles, the points, the shared options, the evaluation.
    public static let members: [WireMember<SweepParams>] =
        [
            .required("model", \.model, "the model handle"),
            .required("calibration", \.calibration, "the calibration handle"),
            .required("sparsities", \.sparsities, "the shares of FFN neurons to remove, one point each",
                      range: PruningOptions.Limits.sparsity),
            .defaulted("methods", \.methods, "the methods, each at every sparsity"),
        ]
        + PruningOptions.members.excluding(["sparsity", "method"]).lifted(\SweepParams.options)
        + EvaluateParams.members.excluding(["model"]).lifted(\SweepParams.evaluation)
        + [
            .defaulted("includeDense", \.includeDense, "evaluate the dense model too, as the baseline"),
            .defaulted("keepModels", \.keepModels,
                       "keep each pruned model loaded (its handle in its row) instead of freeing it once evaluated"),
        ]

    /// A text input, at least one sparsity and one method, and not more points than the limit.
    public func validateWire() throws(WireError) {
        try evaluation.input.validate(allowsWindows: false)
        guard !sparsities.isEmpty else {
            throw WireError(member: "sparsities", message: "'sparsities' must list at least one sparsity")
        }
        guard !methods.isEmpty else {
            throw WireError(member: "methods", message: "'methods' must list at least one method")
        }
        guard Limits.points.contains(points.count) else {
            throw WireError(member: "sparsities",
                            message: "a sweep evaluates at most \(Limits.points) points (sparsities times methods), not \(points.count)")
        }
    }
}

/// One point of a sweep: the method, the sparsity, and what pruning and evaluating gave.
public struct SweepPoint: WireObject, Equatable {
    /// The method.
    public var method: PruningMethod
    /// The sparsity asked for.
    public var sparsity: Double
    /// The FFN sparsity reached (widths are whole neurons, maybe aligned).
    public var achievedSparsity: Double
    /// Perplexity of the pruned model.
    public var perplexity: Double
    /// Parameters after pruning.
    public var parameters: Int
    /// Share of all parameters removed.
    public var shareRemoved: Double
    /// FFN width per block.
    public var widths: [Int]
    /// Seconds to prune and evaluate this point.
    public var seconds: Double
    /// The pruned model's handle, when the sweep keeps the models.
    public var model: String?

    /// A point's row.
    public init(method: PruningMethod, sparsity: Double, pruning: PruneResult, evaluation: EvaluateResult,
                seconds: Double, model: String?) {
        self.method = method
        self.sparsity = sparsity
        achievedSparsity = pruning.achievedSparsity
        perplexity = evaluation.perplexity
        parameters = pruning.parametersAfter
        shareRemoved = pruning.shareRemoved
        widths = pruning.widths
        self.seconds = seconds
        self.model = model
    }

    private init() {
        method = .cfsp
        sparsity = 0
        achievedSparsity = 0
        perplexity = 0
        parameters = 0
        shareRemoved = 0
        widths = []
        seconds = 0
        model = nil
    }

    /// The schema name.
    public static let wireName = "sweepPoint"
    /// What the object is.
    public static let wireDoc = "one pruned and evaluated point of a sweep"
    /// Zeros.
    public static let blank = SweepPoint()
    /// Every member.
    public static let members: [WireMember<SweepPoint>] = [
        .required("method", \.method, "the pruning method"),
        .required("sparsity", \.sparsity, "the FFN sparsity asked for"),
        .required("achievedSparsity", \.achievedSparsity, "the FFN sparsity reached"),
        .required("perplexity", \.perplexity, "perplexity of the pruned model"),
        .required("parameters", \.parameters, "parameters after pruning"),
        .required("shareRemoved", \.shareRemoved, "share of all parameters removed"),
        .required("widths", \.widths, "FFN width per block"),
        .required("seconds", \.seconds, "seconds to prune and evaluate this point"),
        .optional("model", \.model, "the pruned model's handle", string: .plain, note: "absent unless keepModels"),
    ]
}

/// Result of `sweep`.
public struct SweepResult: WireObject, Equatable {
    /// The model handle.
    public var model: String
    /// The calibration handle.
    public var calibration: String
    /// The dense model's evaluation (nil without `includeDense`).
    public var dense: EvaluateResult?
    /// Parameters of the dense model.
    public var parameters: Int
    /// One row per point, methods outermost, in the given order.
    public var points: [SweepPoint]
    /// Wall-clock seconds of the whole sweep.
    public var seconds: Double

    /// A sweep's result.
    public init(model: String, calibration: String, dense: EvaluateResult?, parameters: Int, points: [SweepPoint],
                seconds: Double) {
        self.model = model
        self.calibration = calibration
        self.dense = dense
        self.parameters = parameters
        self.points = points
        self.seconds = seconds
    }

    /// The schema name.
    public static let wireName = "sweepResult"
    /// What the object is.
    public static let wireDoc = "perplexity, parameters and widths at each point of a sweep"
    /// Placeholders.
    public static let blank = SweepResult(model: "", calibration: "", dense: nil, parameters: 0, points: [], seconds: 0)
    /// Every member.
    public static let members: [WireMember<SweepResult>] = [
        .required("model", \.model, "the model handle", string: Handle.model),
        .required("calibration", \.calibration, "the calibration handle"),
        .optional("dense", \.dense, "the dense model's evaluation", note: "absent without includeDense"),
        .required("parameters", \.parameters, "parameters of the dense model"),
        .required("points", \.points, "one row per point, methods outermost, in the given order"),
        .required("seconds", \.seconds, "wall-clock seconds of the whole sweep"),
    ]
}

/// The `$/progress` report members of `sweep`: the point, then its evaluation's own members.
public struct SweepProgress: WireObject, Equatable {
    /// The point being pruned or evaluated, from 1 (0: the dense model).
    public var point: Int
    /// Points in this sweep.
    public var points: Int
    /// Its method (absent for the dense model).
    public var method: PruningMethod?
    /// Its sparsity (absent for the dense model).
    public var sparsity: Double?

    /// The report of point `point` of `points`.
    public init(point: Int, points: Int, method: PruningMethod?, sparsity: Double?) {
        self.point = point
        self.points = points
        self.method = method
        self.sparsity = sparsity
    }

    /// The schema name.
    public static let wireName = "sweepProgress"
    /// What the object is.
    public static let wireDoc = "a sweep progress report (with the running evaluation's own report members)"
    /// The dense model's.
    public static let blank = SweepProgress(point: 0, points: 1, method: nil, sparsity: nil)
    /// Every member.
    public static let members: [WireMember<SweepProgress>] = [
        .required("point", \.point, "the point running, from 1 (0: the dense model)", range: .atLeast(0)),
        .required("points", \.points, "points in this sweep", range: .atLeast(1)),
        .optional("method", \.method, "its method", note: "absent for the dense model"),
        .optional("sparsity", \.sparsity, "its sparsity", note: "absent for the dense model"),
    ]
}

/// `sweep`: from one calibration, prune to each sparsity with each method and evaluate each.
public enum SweepRequest: ProtocolMethod {
    /// The params type.
    public typealias Params = SweepParams
    /// The result type.
    public typealias Response = SweepResult
    /// The progress report type.
    public typealias Progress = SweepProgress
    /// The JSON-RPC method name.
    public static let method = "sweep"
    /// What the method does.
    public static let summary =
        "From one calibration, prunes to each sparsity with each method and evaluates each pruned model."
}
