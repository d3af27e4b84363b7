import Core
import RPC

/// Params of `calibration/merge`: the calibrations to add up, held by the daemon or saved in files.
public struct MergeCalibrationsParams: WireObject, Equatable {
    /// Calibration handles (`c1`, ...).
    public var calibrations: [String] = []
    /// Files written by `calibration/save`, read as `calibration/load` reads them.
    public var paths: [String] = []
    /// A model handle the statistics must fit; the merged calibration is recorded as its.
    public var model: String?
    /// Metric of the importance in the result.
    public var blockMetric = BlockMetric.standard

    /// Params merging `calibrations` and then the files `paths`, in that order.
    public init(calibrations: [String] = [], paths: [String] = [], model: String? = nil,
                blockMetric: BlockMetric? = nil) {
        self.calibrations = calibrations
        self.paths = paths
        self.model = model
        if let blockMetric { self.blockMetric = blockMetric }
    }

    /// The schema name.
    public static let wireName = "mergeCalibrationsParams"
    /// What the object is.
    public static let wireDoc = "the calibrations calibration/merge adds up"
    /// No inputs.
    public static let blank = MergeCalibrationsParams()
    /// Every member.
    public static let members: [WireMember<MergeCalibrationsParams>] = [
        .defaulted("calibrations", \.calibrations, "calibration handles to add up (first, before 'paths')"),
        .defaulted("paths", \.paths, "files written by calibration/save to add up (read as calibration/load reads them)",
                   string: .path),
        .optional("model", \.model,
                  "a model handle the statistics must fit (FFN widths and hidden size); the merged calibration is recorded as gathered on it",
                  note: "not checked; recorded as the inputs' model when every input is a handle of that one model"),
        .defaulted("blockMetric", \.blockMetric, "metric of the importance returned in the result"),
    ]

    /// At least one input.
    public func validateWire() throws(WireError) {
        guard !calibrations.isEmpty || !paths.isEmpty else {
            throw .object("give at least one calibration to merge in 'calibrations' or 'paths'; none was given")
        }
    }
}

/// `calibration/merge`: one calibration from the sums of several.
public enum MergeCalibrationsRequest: ProtocolMethod {
    /// The params type.
    public typealias Params = MergeCalibrationsParams
    /// The result type.
    public typealias Response = CalibrationInfo
    /// The JSON-RPC method name.
    public static let method = "calibration/merge"
    /// What the method does.
    public static let summary =
        "Adds up calibrations made on the same model with the same window size (exact sums of every statistic) into a new calibration."
}
