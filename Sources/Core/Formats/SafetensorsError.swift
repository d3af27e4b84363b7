/// Why a safetensors file could not be read or written. Each case names the file or tensor and
/// what was expected, so the user can tell a truncated download from a foreign format.
public enum SafetensorsError: Error, CustomStringConvertible, Equatable, Sendable {
    case cannotOpen(path: String, reason: String)
    /// The file is shorter than the 8-byte header length, or than the header it announces.
    case truncated(path: String, fileSize: Int, needed: Int)
    /// The announced header length is absurd (over the 100 MB the format allows).
    case headerTooLarge(path: String, length: UInt64)
    case invalidHeaderJSON(path: String, reason: String)
    /// A header entry lacks a field or has one of the wrong form.
    case invalidEntry(path: String, tensor: String, reason: String)
    case unsupportedDType(path: String, tensor: String, dtype: String)
    /// `data_offsets` point outside the data section or backwards.
    case offsetsOutOfRange(path: String, tensor: String, begin: Int, end: Int, dataSize: Int)
    /// The byte span does not match dtype size times the element count of the shape.
    case sizeMismatch(path: String, tensor: String, expectedBytes: Int, actualBytes: Int)
    case overlappingTensors(path: String, first: String, second: String)
    case tensorNotFound(path: String, tensor: String)
    /// Writer input errors.
    case invalidTensor(name: String, reason: String)
    case writeFailed(path: String, reason: String)

    public var description: String {
        switch self {
        case let .cannotOpen(path, reason):
            return "cannot open safetensors file \(path): \(reason)"
        case let .truncated(path, fileSize, needed):
            return "safetensors file \(path) is truncated: it has \(fileSize) bytes but needs at least \(needed); re-download or re-export it"
        case let .headerTooLarge(path, length):
            return "safetensors file \(path) announces a \(length)-byte header (limit 100000000): the file is corrupt or not safetensors"
        case let .invalidHeaderJSON(path, reason):
            return "safetensors file \(path) has an invalid JSON header: \(reason)"
        case let .invalidEntry(path, tensor, reason):
            return "safetensors file \(path): header entry '\(tensor)' is invalid: \(reason)"
        case let .unsupportedDType(path, tensor, dtype):
            return "safetensors file \(path): tensor '\(tensor)' has dtype \(dtype); supported dtypes are F32, F16 and BF16"
        case let .offsetsOutOfRange(path, tensor, begin, end, dataSize):
            return "safetensors file \(path): tensor '\(tensor)' has data_offsets [\(begin), \(end)] outside the \(dataSize)-byte data section"
        case let .sizeMismatch(path, tensor, expectedBytes, actualBytes):
            return "safetensors file \(path): tensor '\(tensor)' spans \(actualBytes) bytes but its dtype and shape need \(expectedBytes)"
        case let .overlappingTensors(path, first, second):
            return "safetensors file \(path): tensors '\(first)' and '\(second)' overlap in the data section"
        case let .tensorNotFound(path, tensor):
            return "safetensors file \(path) has no tensor named '\(tensor)'"
        case let .invalidTensor(name, reason):
            return "cannot write tensor '\(name)': \(reason)"
        case let .writeFailed(path, reason):
            return "cannot write safetensors file \(path): \(reason)"
        }
    }
}
