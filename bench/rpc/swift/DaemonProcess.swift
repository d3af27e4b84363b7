import Foundation
import RPC
import TestSupport

/// A `cfspd` child process and a client connected to it over its stdio or its socket.
final class DaemonProcess {
    private let child: ChildProcess
    let client: StreamClient

    /// Starts `cfspd serve` with `arguments` and connects over stdio pipes, or over `socketPath`
    /// once the socket accepts connections.
    init(executable: String, arguments: [String], framing: Framing, socketPath: String?) throws {
        child = try ChildProcess(
            executable: executable, arguments: ["serve", "--framing", framing.rawValue, "--log-level", "warning"] + arguments)
        if let socketPath {
            var connected: StreamClient?
            for _ in 0..<500 where connected == nil {
                connected = try? StreamClient.connect(socketPath: socketPath, framing: framing)
                if connected == nil { usleep(10_000) }
            }
            guard let connected else { throw BenchError("cfspd did not listen on \(socketPath)") }
            client = connected
            child.closeInput()
            child.closeOutput()
        } else {
            client = StreamClient(readFD: child.output, writeFD: child.input, framing: framing)
        }
    }

    /// Resident set size of the daemon in KiB (from /proc).
    var residentKiB: Int {
        guard let status = try? String(contentsOfFile: "/proc/\(child.processIdentifier)/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") })
        else { return 0 }
        return Int(line.split(separator: " ").dropFirst().first ?? "") ?? 0
    }

    /// Stops the daemon with SIGTERM and waits for it (-1 if it has not exited within ten minutes).
    func stop() -> Int32 {
        child.signal(SIGTERM)
        let status = child.waitForExit(timeout: .seconds(600)) ?? -1
        client.close()
        return status
    }
}

struct BenchError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
