/// Problems with a pruning request, each saying what to change.
public enum PruningError: Error, Equatable, CustomStringConvertible {
    case invalidArgument(String)
    case statisticsMismatch(String)
    /// Compensation was asked for and the calibration has no Gram matrices.
    case missingGram(String)

    public var description: String {
        switch self {
        case .invalidArgument(let why): return "invalid pruning request: \(why)"
        case .statisticsMismatch(let why):
            return "the calibration statistics do not belong to this model: \(why); calibrate this model first"
        case .missingGram(let why): return why
        }
    }
}
