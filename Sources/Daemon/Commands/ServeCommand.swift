import ArgumentParser
import Foundation
import Core
import Kernels
import Logging
import RPC

/// `cfspd serve` (the default): JSON-RPC over stdio and/or a Unix socket until stopped.
struct ServeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve the JSON-RPC protocol (protocol.md) on stdio and/or a Unix socket.",
        discussion: """
            Messages go on stdout only; logs go to stderr. SIGTERM, SIGINT or the end of stdin
            cancel running jobs, flush output, remove the socket and exit with status 0. Input on
            stdin that cannot be framed any more (a header block that never ends) is answered
            -32700, then the daemon stops the same way and exits with status 1.
            """)

    @Option(help: "Message framing: content-length (as LSP) or ndjson.")
    var framing: Framing = .contentLength

    @Option(help: "Also listen on a Unix-domain socket at this path (mode 0600).")
    var socket: String?

    @Flag(help: "Do not serve stdio (needs --socket).")
    var noStdio = false

    @Option(help: "Largest accepted message, in bytes.")
    var maxMessageBytes: Int = Framing.defaultMaxMessageBytes

    @Option(help: "Log level on stderr: trace, debug, info, notice, warning, error, critical.")
    var logLevel: Logger.Level = .info

    @Option(help: "Compute threads (default: the processors available).")
    var threads: Int = ThreadPool.availableProcessors

    func validate() throws {
        guard threads >= 1 else { throw ValidationError("--threads must be at least 1") }
        guard maxMessageBytes >= 1024 else { throw ValidationError("--max-message-bytes must be at least 1024") }
        if noStdio && socket == nil { throw ValidationError("--no-stdio needs --socket, or nothing would be served") }
        if let socket {
            do throws(TransportError) {
                _ = try UnixSocketAddress(path: socket)
            } catch {
                throw ValidationError("--socket: \(error)")
            }
        }
    }

    func run() throws {
        let level = logLevel
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "cfspd")
        VectorISA.requireRunnable()
        Self.unblockStopSignals()
        var options = ServerRuntimeOptions()
        options.framing = framing
        options.maxMessageBytes = maxMessageBytes
        options.socketPath = socket
        options.stdio = noStdio ? nil : StdioDescriptors(input: 0, output: try ServerRuntime.protectStandardOutput())
        let service = DaemonService(pool: ThreadPool(threads: threads))
        let runtime = ServerRuntime(server: service.makeServer(), options: options)
        logger.info("cfspd serving (\(framing.rawValue)\(socket.map { ", socket \($0)" } ?? ""), \(threads) threads)")
        let reason = try runtime.run()
        logger.info("cfspd stopped: \(reason)")
        if reason == .framingError {
            // The client's byte stream was broken beyond repair: say so through the exit status.
            logger.error("cfspd: stdin could not be framed as \(framing.rawValue) any more; exiting with status 1")
            throw ExitCode.failure
        }
    }
}

extension ServeCommand {
    /// A parent that spawned us from a thread blocking signals (libdispatch workers block them,
    /// and posix_spawn passes the mask on) would leave SIGTERM pending forever: unblock the stop
    /// signals before the loop thread, which inherits this mask, starts.
    static func unblockStopSignals() {
        var signals = sigset_t()
        sigemptyset(&signals)
        sigaddset(&signals, SIGTERM)
        sigaddset(&signals, SIGINT)
        pthread_sigmask(SIG_UNBLOCK, &signals, nil)
    }
}

extension Framing: ExpressibleByArgument {}
extension Logger.Level: @retroactive ExpressibleByArgument {}
