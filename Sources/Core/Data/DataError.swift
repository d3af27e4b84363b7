/// Why text data could not be loaded or calibration windows drawn. Messages name the file and
/// line, or the numbers that do not fit, and say what to change.
public enum DataError: Error, CustomStringConvertible, Equatable, Sendable {
    case fileNotFound(path: String)
    case cannotRead(path: String, reason: String)
    case invalidUTF8(path: String, line: Int?)
    /// A JSONL line that is not a JSON object (line numbers start at 1).
    case invalidJSONLine(path: String, line: Int, reason: String)
    /// A JSONL record without the text field, or with a non-string one.
    case missingTextField(path: String, line: Int, field: String)
    /// `randint(a, b)` with a > b.
    case emptyRange(lower: Int, upper: Int)
    /// `randint(Int.min, Int.max)`: 2^64 values, more than one 64-bit draw can index.
    case invalidRange(lower: Int, upper: Int)
    /// The text has too few tokens for one window (needs more than `windowLength`).
    case tooFewTokens(tokenCount: Int, windowLength: Int)
    case invalidWindowParameters(reason: String)

    public var description: String {
        switch self {
        case let .fileNotFound(path):
            return "text file \(path) does not exist"
        case let .cannotRead(path, reason):
            return "cannot read text file \(path): \(reason)"
        case let .invalidUTF8(path, line):
            return "text file \(path)\(line.map { " line \($0)" } ?? "") is not valid UTF-8"
        case let .invalidJSONLine(path, line, reason):
            return "\(path) line \(line) is not a JSON object: \(reason)"
        case let .missingTextField(path, line, field):
            return "\(path) line \(line) has no string field '\(field)'"
        case let .emptyRange(lower, upper):
            return "empty range for randint(\(lower), \(upper)): the lower bound must not exceed the upper"
        case let .invalidRange(lower, upper):
            return "randint(\(lower), \(upper)) spans more values than a 64-bit integer holds"
        case let .tooFewTokens(tokenCount, windowLength):
            return "the text has \(tokenCount) tokens, too few for a \(windowLength)-token window (it needs more than \(windowLength)); use more text or a shorter window"
        case let .invalidWindowParameters(reason):
            return "invalid calibration window parameters: \(reason)"
        }
    }
}
