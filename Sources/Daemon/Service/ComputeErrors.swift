import CFSPProtocol
import Core
import RPC

extension DaemonError {
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
        case let error as ChatTemplateError:
            if case .raised = error { return DaemonError.badData(error.description) }
            return DaemonError.invalidForModel(error.description)
        case let error as TokenizerError:
            return DaemonError.invalidForModel(error.description)
        case let error as FineTuneError:
            switch error {
            case .invalidData, .invalidOption: return DaemonError.badData(error.description)
            case .allocationMismatch, .invalidTeacher, .diverged: return DaemonError.invalidForModel(error.description)
            }
        default:
            return error
        }
    }
}
