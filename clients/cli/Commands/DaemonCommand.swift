import ArgumentParser
import CFSPProtocol
import Foundation
import RPC

/// `cfsp daemon start|stop|status`: manage the shared daemon behind the socket.
struct DaemonCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "daemon", abstract: "Start, stop or query the shared cfspd behind the socket.",
        subcommands: [Start.self, Stop.self, Status.self])

    struct Start: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Start cfspd in the background on the socket and wait until it answers.",
            discussion: "Its log (stderr) goes to --log-path, by default the socket path with .log appended.")
        @OptionGroup var connection: ConnectionOptions
        @Option(name: .long, help: ArgumentHelp("Where the daemon's log goes.", valueName: "file")) var logPath: String?
        @Option(name: .long, help: "Seconds to wait for the daemon to answer.") var timeout: Double = 30

        func run() async throws {
            let socket = connection.socketPath
            if let pid = try DaemonProbe.ownPeerProcess(socketPath: socket) {
                Console.out(connection.json
                    ? #"{"started":false,"running":true,"pid":\#(pid),"socket":"\#(socket)"}"#
                    : "cfspd is already running on \(socket) (pid \(pid))")
                return
            }
            let logPath = self.logPath ?? socket + ".log"
            let child: ChildProcess
            do {
                child = try startDetached(socket: socket, logPath: logPath)
            } catch {
                Console.err("cfsp: \(error.message)")
                throw ExitCode(error.status)
            }
            let deadline = Date().addingTimeInterval(timeout)
            while Date() < deadline {
                if let pid = try DaemonProbe.ownPeerProcess(socketPath: socket) {
                    Console.out(connection.json
                        ? #"{"started":true,"running":true,"pid":\#(pid),"socket":"\#(socket)","log":"\#(logPath)"}"#
                        : "cfspd started (pid \(pid)) on \(socket); log: \(logPath)")
                    return
                }
                if !child.isRunning() {
                    Console.err("cfsp: cfspd exited before it answered on \(socket); its log \(logPath) ends with:\n"
                        + DaemonProbe.tail(of: logPath))
                    throw ExitCode(ExitStatus.unavailable)
                }
                try await Task.sleep(for: .milliseconds(100))
            }
            Console.err("cfsp: cfspd (pid \(child.pid)) did not answer on \(socket) within \(timeout) s; see \(logPath)")
            throw ExitCode(ExitStatus.unavailable)
        }

        /// Spawns `cfspd serve --socket PATH --no-stdio` in its own session, so it outlives us;
        /// stdin and stdout are /dev/null, stderr (the log) goes to `logPath`.
        private func startDetached(socket: String, logPath: String) throws(CLIError) -> ChildProcess {
            let executable = try DaemonLocator.locate(explicit: connection.daemonPath)
            let nullIn = open("/dev/null", O_RDONLY | O_CLOEXEC)
            let nullOut = open("/dev/null", O_WRONLY | O_CLOEXEC)
            let logFD = open(logPath, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o600)
            defer { for fd in [nullIn, nullOut, logFD] where fd >= 0 { close(fd) } }
            guard nullIn >= 0, nullOut >= 0, logFD >= 0 else {
                throw CLIError("cannot open the log file \(logPath): \(String(cString: strerror(errno)))",
                               status: ExitStatus.usage)
            }
            return try ChildProcess.spawn(
                executable, ["serve", "--socket", socket, "--no-stdio"],
                descriptors: [(nullIn, 0), (nullOut, 1), (logFD, 2)], detach: true)
        }
    }

    struct Stop: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Stop the daemon on the socket (running jobs are cancelled) and wait until it exits.")
        @OptionGroup var connection: ConnectionOptions
        @Option(name: .long, help: "Seconds to wait for the daemon to exit.") var timeout: Double = 15

        func run() async throws {
            let socket = connection.socketPath
            guard let pid = try DaemonProbe.ownPeerProcess(socketPath: socket) else {
                Console.err("cfsp: no cfspd daemon is answering on \(socket); nothing to stop")
                throw ExitCode(ExitStatus.unavailable)
            }
            // Polite goodbye on our own connection (shutdown + exit), then SIGTERM: over a socket
            // `exit` only ends this client's connection, SIGTERM stops the daemon itself.
            _ = try? await DaemonSession.with(connection) { _ throws(CLIError) in () }
            kill(pid, SIGTERM)
            let deadline = Date().addingTimeInterval(timeout)
            while Date() < deadline {
                if kill(pid, 0) != 0 && errno == ESRCH {
                    Console.out(connection.json ? #"{"stopped":true,"pid":\#(pid)}"# : "cfspd (pid \(pid)) stopped")
                    return
                }
                try await Task.sleep(for: .milliseconds(100))
            }
            Console.err("cfsp: cfspd (pid \(pid)) is still running after \(timeout) s")
            throw ExitCode(ExitStatus.daemonError)
        }
    }

    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Say whether a daemon answers on the socket, and what it holds (exit 69 if none).")
        @OptionGroup var connection: ConnectionOptions

        func run() async throws {
            var options = connection
            options.spawn = false
            let socket = options.socketPath
            let pid = try DaemonProbe.ownPeerProcess(socketPath: socket)
            let (info, list) = try await DaemonSession.with(options) { session throws(CLIError) in
                (session.serverInfo, try await session.send(ListModelsRequest.self, EmptyObject(), progress: false))
            }
            if connection.json {
                var status: [String: JSONValue] = ["running": true, "socket": .string(socket), "server": info.wireJSON,
                                                   "models": list.wireMembers["models"] ?? []]
                if let pid { status["pid"] = .int(Int(pid)) }
                ResultPrinter.print(.object(status), json: true)
            } else {
                Console.out("\(info.name) \(info.version) is running on \(socket)" + (pid.map { " (pid \($0))" } ?? ""))
                if list.models.isEmpty {
                    Console.out("  no models loaded")
                } else {
                    Console.out(ResultPrinter.table(list.models.map { model in
                        .object(["model": .string(model.model), "path": .string(model.path),
                                 "parameters": .int(model.parameters), "parent": model.parent.map(JSONValue.string) ?? .null])
                    }, indent: "  "))
                }
            }
        }
    }
}

/// Checks for a live daemon on a socket without speaking the protocol.
enum DaemonProbe {
    /// The pid of the process accepting on `socketPath` (SO_PEERCRED), or nil when none answers.
    /// - Throws: the refusal, when the socket or the process accepting on it is another user's
    ///   (so `daemon stop` never signals, and `daemon status` never reports, a foreign daemon).
    static func peerProcess(socketPath: String) throws(CLIError) -> pid_t? {
        let fd: Int32
        do {
            fd = try DaemonOwnership.connect(socketPath: socketPath)
        } catch {
            guard case .refused(let refusal) = error else { return nil }
            throw CLIError(refusal, status: ExitStatus.unavailable)
        }
        defer { close(fd) }
        return DaemonOwnership.peer(of: fd)?.pid
    }

    /// `peerProcess(socketPath:)`, printing a refusal on stderr and exiting with its status.
    static func ownPeerProcess(socketPath: String) throws -> pid_t? {
        do {
            return try peerProcess(socketPath: socketPath)
        } catch {
            Console.err("cfsp: \(error.message)")
            throw ExitCode(error.status)
        }
    }

    /// The last lines of a log file, for error messages.
    static func tail(of path: String, lines: Int = 10) -> String {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return "  (no log)" }
        return text.split(separator: "\n").suffix(lines).map { "  " + $0 }.joined(separator: "\n")
    }
}
