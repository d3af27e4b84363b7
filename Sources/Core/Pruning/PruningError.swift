/// Problems with a pruning request, each saying what to change.
public enum PruningError: Error, Equatable, CustomStringConvertible {
    case invalidArgument(String)
    case statisticsMismatch(String)

    public var description: String {
        switch self {
        case .invalidArgument(let why): return "invalid pruning request: \(why)"
        case .statisticsMismatch(let why):
            return "the calibration statistics do not belong to this model: \(why); calibrate this model first"
        }
    }
}
