import ArgumentParser
import RPC

/// The process exit statuses of `cfsp` (sysexits-style), so scripts can tell failures apart.
enum ExitStatus {
    /// EX_USAGE: bad arguments.
    static let usage: Int32 = 64
    /// EX_UNAVAILABLE: no daemon to talk to, or it went away.
    static let unavailable: Int32 = 69
    /// EX_SOFTWARE: the daemon answered with an error.
    static let daemonError: Int32 = 70
    /// 128 + SIGINT: the request was cancelled.
    static let cancelled: Int32 = 130
}

/// A failure of a `cfsp` command, with the message to print and the exit status to use.
struct CLIError: Error, CustomStringConvertible {
    /// What went wrong and what to do about it.
    let message: String
    /// The exit status (see `ExitStatus`).
    let status: Int32
    /// The daemon's error object, printed on stdout with --json.
    let response: ResponseError?

    init(_ message: String, status: Int32, response: ResponseError? = nil) {
        self.message = message
        self.status = status
        self.response = response
    }

    var description: String { message }

    /// A bad argument found after parsing (for example two text inputs at once).
    static func usage(_ message: String) -> CLIError { CLIError(message, status: ExitStatus.usage) }

    /// Maps an error answered by the daemon: -32800 is a cancellation, the rest a daemon error.
    static func daemon(_ error: ResponseError, method: String) -> CLIError {
        if error.code == ResponseError.requestCancelledCode {
            return CLIError("\(method) cancelled: \(error.message)", status: ExitStatus.cancelled, response: error)
        }
        var text = "\(method) failed: \(error.message) (error \(error.code))"
        if let data = error.data { text += "\n  details: \(String(decoding: data.serialized(), as: UTF8.self))" }
        return CLIError(text, status: ExitStatus.daemonError, response: error)
    }
}
