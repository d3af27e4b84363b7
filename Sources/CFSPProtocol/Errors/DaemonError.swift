import RPC

/// The daemon's application errors (codes outside JSON-RPC's reserved range), each with a message
/// that says what to do and `data` for programs. `Code` lists them for the schema and protocol.md.
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
    /// The request does not fit the model (statistics of another shape, token ids, window sizes).
    case invalidForModel(String)
    /// A file could not be written.
    case cannotWrite(path: String, reason: String)
    /// Text was given to a model without a tokenizer.
    case noTokenizer(model: String)
    /// Calibrations that cannot be added up: `member` differs between the inputs `inputs`.
    case calibrationMismatch(member: String, inputs: [String], reason: String)

    /// The code sent to the client.
    public var code: Code {
        switch self {
        case .modelNotFound: .modelNotFound
        case .calibrationNotFound: .calibrationNotFound
        case .modelBusy: .modelBusy
        case .cannotLoad: .cannotLoad
        case .badData: .badData
        case .invalidForModel: .invalidForModel
        case .cannotWrite: .cannotWrite
        case .noTokenizer: .noTokenizer
        case .calibrationMismatch: .calibrationMismatch
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
        case .calibrationMismatch(_, _, let reason):
            "the calibrations cannot be merged: \(reason)"
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
        case .calibrationMismatch(let member, let inputs, let reason):
            data = ["member": .string(member), "inputs": .array(inputs.map(JSONValue.string)), "reason": .string(reason)]
        }
        return ResponseError(code: code.rawValue, message: description, data: data)
    }
}

extension DaemonError {
    /// Every application error code, with its name, when it is answered and its `data` members.
    public enum Code: Int, Sendable, CaseIterable {
        /// 1001.
        case modelNotFound = 1001
        /// 1002.
        case calibrationNotFound = 1002
        /// 1003.
        case modelBusy = 1003
        /// 1004.
        case cannotLoad = 1004
        /// 1005.
        case badData = 1005
        /// 1006.
        case invalidForModel = 1006
        /// 1007.
        case cannotWrite = 1007
        /// 1008.
        case noTokenizer = 1008
        /// 1009.
        case calibrationMismatch = 1009

        /// The error's name in protocol.md.
        public var name: String {
            switch self {
            case .modelNotFound: "model not found"
            case .calibrationNotFound: "calibration not found"
            case .modelBusy: "model busy"
            case .cannotLoad: "cannot load"
            case .badData: "bad data"
            case .invalidForModel: "invalid for model"
            case .cannotWrite: "cannot write"
            case .noTokenizer: "no tokenizer"
            case .calibrationMismatch: "calibration mismatch"
            }
        }

        /// When the daemon answers it.
        public var meaning: String {
            switch self {
            case .modelNotFound: "no model with this handle (never loaded, or unloaded)"
            case .calibrationNotFound: "no calibration with this handle"
            case .modelBusy: "`model/unload` while jobs run on the model"
            case .cannotLoad:
                "a model or calibration file is missing, unreadable or malformed (a key out of range: `block_count` beyond the tensor table, `num_hidden_layers` over 65536, `rope_theta` beyond 32-bit float; a FIFO or device)"
            case .badData:
                "a corpus that cannot be read, empty text (every method), too few tokens, explicit windows or `starts` that do not fit the text, `count` x `windowSize` windows over a quarter of the machine's memory, fine-tuning options that do not fit together (`minRank` <= `rank` <= `maxRank`, batch x accumulation), an allocation without what it needs"
            case .invalidForModel:
                "statistics of another shape, a token id outside the vocabulary, a window over the context, a perplexity or block importance that is not finite (the model overflows 32-bit floats)"
            case .cannotWrite: "export/save target exists (pass `overwrite`), or writing failed"
            case .noTokenizer: "text given to a model that has no tokenizer (send `tokens` instead)"
            case .calibrationMismatch:
                "`calibration/merge` of calibrations that do not add up: `member` (`blocks`, `hiddenSize`, `windowSize` or `gram`) differs between the two `inputs` (handles or paths)"
            }
        }

        /// The members of the error's `data`.
        public var dataMembers: [String] {
            switch self {
            case .modelNotFound: ["model"]
            case .calibrationNotFound: ["calibration"]
            case .modelBusy: ["model", "jobs"]
            case .cannotLoad, .cannotWrite: ["path", "reason"]
            case .badData, .invalidForModel: ["reason"]
            case .noTokenizer: ["model"]
            case .calibrationMismatch: ["member", "inputs", "reason"]
            }
        }
    }
}

/// Every error code a response of the daemon may carry.
public enum ProtocolErrorCodes {
    /// The JSON-RPC and LSP codes (RPC's), in protocol.md's order.
    public static let rpc = [
        ResponseError.parseErrorCode, ResponseError.invalidRequestCode, ResponseError.methodNotFoundCode,
        ResponseError.invalidParamsCode, ResponseError.internalErrorCode, ResponseError.serverNotInitializedCode,
        ResponseError.requestCancelledCode,
    ]

    /// RPC's codes, then the daemon's own.
    public static var all: [Int] { rpc + DaemonError.Code.allCases.map(\.rawValue) }
}
