import Core
import RPC

/// The daemon's application errors (codes outside JSON-RPC's reserved range), each with a message
/// that says what to do and `data` for programs. protocol.md lists them.
public enum DaemonError: Error, CustomStringConvertible, ResponseErrorConvertible {
    /// No model has this handle.
    case modelNotFound(String)
    /// No calibration has this handle.
    case calibrationNotFound(String)
    /// The model cannot be unloaded while these jobs run on it.
    case modelBusy(model: String, jobs: [String])
    /// A model or calibration file could not be loaded.
    case cannotLoad(path: String, reason: String)
    /// The text or window parameters are unusable.
    case badData(String)
    /// The request does not fit the model (options out of range, token ids, window sizes).
    case invalidForModel(String)
    /// A file could not be written.
    case cannotWrite(path: String, reason: String)
    /// Text was given to a model without a tokenizer.
    case noTokenizer(model: String)

    /// The numeric code sent to the client.
    public var code: Int {
        switch self {
        case .modelNotFound: 1001
        case .calibrationNotFound: 1002
        case .modelBusy: 1003
        case .cannotLoad: 1004
        case .badData: 1005
        case .invalidForModel: 1006
        case .cannotWrite: 1007
        case .noTokenizer: 1008
        }
    }

    /// The message sent to the client: what went wrong and what to do.
    public var description: String {
        switch self {
        case .modelNotFound(let handle):
            "no model '\(handle)' is loaded; see model/list"
        case .calibrationNotFound(let handle):
            "no calibration '\(handle)' exists; run calibrate or calibration/load first"
        case .modelBusy(let model, let jobs):
            "model '\(model)' has running jobs (\(jobs.joined(separator: ", "))); cancel them or wait, then unload again"
        case .cannotLoad(let path, let reason):
            "cannot load '\(path)': \(reason)"
        case .badData(let reason):
            "unusable input text or windows: \(reason)"
        case .invalidForModel(let reason):
            "the request does not fit the model: \(reason)"
        case .cannotWrite(let path, let reason):
            "cannot write '\(path)': \(reason)"
        case .noTokenizer(let model):
            "model '\(model)' has no tokenizer, so text cannot be used; send token ids ('tokens') instead"
        }
    }

    /// The JSON-RPC error for this failure.
    public var responseError: ResponseError {
        let data: JSONValue
        switch self {
        case .modelNotFound(let handle): data = ["model": .string(handle)]
        case .calibrationNotFound(let handle): data = ["calibration": .string(handle)]
        case .modelBusy(let model, let jobs): data = ["model": .string(model), "jobs": .array(jobs.map(JSONValue.string))]
        case .cannotLoad(let path, let reason): data = ["path": .string(path), "reason": .string(reason)]
        case .badData(let reason): data = ["reason": .string(reason)]
        case .invalidForModel(let reason): data = ["reason": .string(reason)]
        case .cannotWrite(let path, let reason): data = ["path": .string(path), "reason": .string(reason)]
        case .noTokenizer(let model): data = ["model": .string(model)]
        }
        return ResponseError(code: code, message: description, data: data)
    }

    /// Maps an error thrown by Core during a compute job to what the client should see:
    /// cancellation stays cancellation, known Core errors become application errors.
    static func fromCompute(_ error: any Error) -> any Error {
        switch error {
        case is OperationCancelled, is DaemonError, is ResponseError:
            return error
        case let error as DataError:
            return DaemonError.badData(error.description)
        case let error as ModelError:
            return DaemonError.invalidForModel(error.description)
        case let error as PruningError:
            return DaemonError.invalidForModel(error.description)
        case let error as FineTuneError:
            switch error {
            case .invalidData, .invalidOption: return DaemonError.badData(error.description)
            case .allocationMismatch, .diverged: return DaemonError.invalidForModel(error.description)
            }
        default:
            return error
        }
    }
}
