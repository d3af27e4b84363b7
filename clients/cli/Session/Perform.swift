import CFSPProtocol
import RPC

extension ConnectionOptions {
    /// Sends one typed request and prints its result (text, or JSON with --json).
    func perform<R: ProtocolMethod>(_ type: R.Type, _ params: R.Params, progress: Bool = true) async throws {
        let result = try await DaemonSession.with(self) { session throws(CLIError) in
            try await session.send(type, params, progress: progress)
        }
        ResultPrinter.print(result.wireJSON, json: json)
    }

    /// Sends a raw request (`cfsp call`) and prints its result.
    func perform(_ method: String, _ params: JSONValue, progress: Bool = true) async throws {
        let result = try await DaemonSession.with(self) { session throws(CLIError) in
            try await session.call(method, params, progress: progress)
        }
        ResultPrinter.print(result, json: json)
    }
}
