import Foundation
import RPC

/// A `cfspd` child process and a client connected to it over its stdio or its socket.
final class DaemonProcess {
    let process = Process()
    let client: StreamClient

    /// Starts `cfspd serve` with `arguments` and connects over stdio pipes, or over `socketPath`
    /// once the socket accepts connections.
    init(executable: String, arguments: [String], framing: Framing, socketPath: String?) throws {
        var toChild: [Int32] = [0, 0]
        var fromChild: [Int32] = [0, 0]
        guard pipe(&toChild) == 0, pipe(&fromChild) == 0 else { throw BenchError("pipe() failed") }
        for fd in [toChild[1], fromChild[0]] { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = ["serve", "--framing", framing.rawValue, "--log-level", "warning"] + arguments
        // The child ends are closed right after launch; a handle that closed them again when the Process
        // is freed would close whatever descriptor reuses the number by then (another test's pipe).
        process.standardInput = FileHandle(fileDescriptor: toChild[0], closeOnDealloc: false)
        process.standardOutput = FileHandle(fileDescriptor: fromChild[1], closeOnDealloc: false)
        try process.run()
        close(toChild[0])
        close(fromChild[1])
        if let socketPath {
            var connected: StreamClient?
            for _ in 0..<500 where connected == nil {
                connected = try? StreamClient.connect(socketPath: socketPath, framing: framing)
                if connected == nil { usleep(10_000) }
            }
            guard let connected else { throw BenchError("cfspd did not listen on \(socketPath)") }
            client = connected
            close(toChild[1])
            close(fromChild[0])
        } else {
            client = StreamClient(readFD: fromChild[0], writeFD: toChild[1], framing: framing)
        }
    }

    /// Resident set size of the daemon in KiB (from /proc).
    var residentKiB: Int {
        guard let status = try? String(contentsOfFile: "/proc/\(process.processIdentifier)/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") })
        else { return 0 }
        return Int(line.split(separator: " ").dropFirst().first ?? "") ?? 0
    }

    /// Stops the daemon with SIGTERM and waits for it.
    func stop() -> Int32 {
        kill(process.processIdentifier, SIGTERM)
        process.waitUntilExit()
        client.close()
        return process.terminationStatus
    }
}

struct BenchError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
