import RPC

/// Params naming one model handle (`model/describe`, `model/unload`).
public struct ModelHandleParams: WireObject, Equatable {
    /// The model handle (`m1`, ...).
    public var model: String
    /// Names `model`.
    public init(model: String) { self.model = model }

    /// The schema name.
    public static let wireName = "modelHandleParams"
    /// What the object is.
    public static let wireDoc = "one model handle"
    /// Placeholder handle.
    public static let blank = ModelHandleParams(model: "")
    /// The handle.
    public static let members: [WireMember<ModelHandleParams>] = [
        .required("model", \.model, "the model handle (m1, ...)"),
    ]
}

/// Params naming one calibration handle (`calibration/release`).
public struct CalibrationHandleParams: WireObject, Equatable {
    /// The calibration handle (`c1`, ...).
    public var calibration: String
    /// Names `calibration`.
    public init(calibration: String) { self.calibration = calibration }

    /// The schema name.
    public static let wireName = "calibrationHandleParams"
    /// What the object is.
    public static let wireDoc = "one calibration handle"
    /// Placeholder handle.
    public static let blank = CalibrationHandleParams(calibration: "")
    /// The handle.
    public static let members: [WireMember<CalibrationHandleParams>] = [
        .required("calibration", \.calibration, "the calibration handle (c1, ...)"),
    ]
}

/// The patterns of the handles the daemon hands out, as results describe them.
public enum Handle {
    /// Model handles: `m1`, `m2`, ...
    public static let model = StringKind.pattern("^m[0-9]+$")
    /// Calibration handles: `c1`, ...
    public static let calibration = StringKind.pattern("^c[0-9]+$")
}

extension EmptyObject: WireObject {
    /// The schema name.
    public static let wireName = "emptyObject"
    /// What the object is.
    public static let wireDoc = "no members"
    /// The only value.
    public static let blank = EmptyObject()
    /// No members.
    public static let members: [WireMember<EmptyObject>] = []
}
