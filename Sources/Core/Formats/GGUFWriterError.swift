/// Why a GGUF file could not be written, each case naming the key, tensor or path at fault so
/// the caller can fix the input instead of guessing.
public enum GGUFWriterError: Error, CustomStringConvertible, Equatable, Sendable {
    /// A metadata key is empty or appears twice.
    case invalidKey(String, reason: String)
    /// A metadata value cannot be stored as given (`reason` says why).
    case invalidMetadata(key: String, reason: String)
    /// A tensor's name, shape or values are unusable (`reason` says why).
    case invalidTensor(name: String, reason: String)
    /// The destination exists and `overwrite` was not requested.
    case destinationExists(path: String)
    /// The file system refused the write (`reason` is the system's message).
    case writeFailed(path: String, reason: String)
    /// Producing a tensor's values failed; `reason` is the underlying error's message.
    case tensorSourceFailed(name: String, reason: String)

    public var description: String {
        switch self {
        case let .invalidKey(key, reason):
            return "cannot write GGUF metadata key '\(key)': \(reason)"
        case let .invalidMetadata(key, reason):
            return "cannot write GGUF metadata key '\(key)': \(reason)"
        case let .invalidTensor(name, reason):
            return "cannot write GGUF tensor '\(name)': \(reason)"
        case let .destinationExists(path):
            return "\(path) already exists; choose another path or ask to overwrite it"
        case let .writeFailed(path, reason):
            return "cannot write GGUF file \(path): \(reason)"
        case let .tensorSourceFailed(name, reason):
            return "cannot write GGUF tensor '\(name)': reading its values failed: \(reason)"
        }
    }
}
