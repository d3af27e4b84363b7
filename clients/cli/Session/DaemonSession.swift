import ArgumentParser
import CFSPProtocol
import Dispatch
import Foundation
import RPC
import Synchronization

/// One conversation with the daemon: connects (socket or a spawned child), initializes, sends
/// requests with progress, turns Ctrl-C into `$/cancelRequest`, and ends with shutdown/exit.
final class DaemonSession: Sendable {
    let client: StreamClient
    let child: ChildProcess?
    let options: ConnectionOptions
    /// What each request's `$/progress` goes to, by token: a renderer, or a command's own observer.
    private let renderers = Mutex<[String: @Sendable (JSONValue) -> Void]>([:])
    private let nextToken = Atomic<Int>(1)
    private let running = Mutex<Task<JSONValue, any Error>?>(nil)
    /// Set once the user pressed Ctrl-C; later pipeline stages do not start.
    let interrupted = Atomic<Bool>(false)
    private let server = Mutex(ServerInfo(name: "cfspd", version: "?"))

    /// `serverInfo` from the `initialize` result (name, version).
    var serverInfo: ServerInfo { server.withLock { $0 } }

    private init(client: StreamClient, child: ChildProcess?, options: ConnectionOptions) {
        self.client = client
        self.child = child
        self.options = options
    }

    /// Opens a session as `options` say, runs `body`, closes the session, and maps failures to
    /// messages on stderr and exit statuses.
    static func with<T>(_ options: ConnectionOptions, _ body: (DaemonSession) async throws(CLIError) -> T)
        async throws -> T
    {
        let session: DaemonSession
        do {
            session = try await open(options)
        } catch {
            throw report(error, json: options.json)
        }
        let signals = session.installInterruptHandler()
        defer { signals.cancel() }
        do {
            let value = try await body(session)
            await session.finish()
            return value
        } catch {
            await session.finish()
            throw report(error, json: options.json)
        }
    }

    private static func report(_ error: CLIError, json: Bool) -> Error {
        Console.err("cfsp: \(error.message)")
        if json, let response = error.response {
            Console.out(String(decoding: JSONValue.object(["error": response.jsonValue]).serialized(), as: UTF8.self))
        }
        return ExitCode(error.status)
    }

    private static func open(_ options: ConnectionOptions) async throws(CLIError) -> DaemonSession {
        let session: DaemonSession
        if options.spawn {
            let executable = try DaemonLocator.locate(explicit: options.daemonPath)
            let toChild = try makePipe()
            let fromChild = try makePipe()
            let child = try ChildProcess.spawn(
                executable, ["serve", "--log-level", "warning"],
                descriptors: [(toChild.read, 0), (fromChild.write, 1)], detach: false)
            close(toChild.read)
            close(fromChild.write)
            session = DaemonSession(client: StreamClient(readFD: fromChild.read, writeFD: toChild.write),
                                    child: child, options: options)
        } else {
            let path = options.socketPath
            do {
                let fd = try DaemonOwnership.connect(socketPath: path)
                session = DaemonSession(client: StreamClient(readFD: fd, writeFD: fd), child: nil, options: options)
            } catch {
                switch error {
                case .refused(let refusal):
                    throw CLIError(refusal, status: ExitStatus.unavailable)
                case .unreachable(let reason):
                    throw CLIError("""
                        no cfspd daemon is answering on \(path) (\(reason)).
                        Start one with `cfsp daemon start\(options.socket.map { " --socket \($0)" } ?? "")`, \
                        or run this command with --spawn for a private daemon.
                        """, status: ExitStatus.unavailable)
                }
            }
        }
        session.client.connection.setNotificationObserver { [session] notification in
            guard notification.method == ProgressNotification.method,
                  let token = notification.params?["token"]?.stringValue,
                  let render = session.renderers.withLock({ $0[token] })
            else { return }
            render(notification.params ?? .null)
        }
        let params = InitializeParams(clientInfo: .init(name: "cfsp", version: CFSPVersion.current),
                                      processId: Int(getpid()))
        let result = try await session.call(InitializeRequest.method, params.wireJSON, progress: false)
        if let info = result["serverInfo"].flatMap({ try? ServerInfo.decode(wire: $0) }) {
            session.server.withLock { $0 = info }
        }
        try? session.client.connection.notify(InitializedNotification.self, EmptyObject())
        return session
    }

    /// Sends a typed request and decodes its typed result (progress and Ctrl-C as `call`).
    func send<R: ProtocolMethod>(_ type: R.Type, _ params: R.Params, progress: Bool = true,
                                 onProgress: (@Sendable (JSONValue) -> Void)? = nil)
        async throws(CLIError) -> R.Response
    {
        let result = try await call(R.method, params.wireJSON, progress: progress, onProgress: onProgress)
        do throws(WireError) {
            return try R.Response.decode(wire: result)
        } catch {
            throw CLIError("\(R.method) answered a result cfsp cannot read: \(error.message)", status: ExitStatus.daemonError)
        }
    }

    /// Sends `method` and waits for its result; shows progress unless `progress` is false or
    /// --quiet (or --progress none, or auto off a terminal), or hands every `$/progress` params to
    /// `onProgress` (whatever --progress says: a command's own output, such as generated text).
    /// Ctrl-C during the wait cancels it on the daemon.
    func call(_ method: String, _ params: JSONValue, progress: Bool = true,
              onProgress: (@Sendable (JSONValue) -> Void)? = nil) async throws(CLIError) -> JSONValue {
        if interrupted.load(ordering: .acquiring) {
            throw CLIError("\(method) not started: interrupted", status: ExitStatus.cancelled)
        }
        var params = params
        var token: String?
        let style = progress ? options.progressRendering : nil
        if onProgress != nil || style != nil, case .object(var members) = params {
            let name = "cli-\(nextToken.wrappingAdd(1, ordering: .relaxed).oldValue)"
            members["workDoneToken"] = .string(name)
            params = .object(members)
            token = name
            let render = onProgress ?? ProgressRenderer(style: style ?? .bar).render
            renderers.withLock { $0[name] = render }
        }
        defer { if let token { renderers.withLock { _ = $0.removeValue(forKey: token) } } }
        let connection = client.connection
        let sent = params
        let task = Task { try await connection.sendRequest(method: method, params: sent) }
        running.withLock { $0 = task }
        if interrupted.load(ordering: .acquiring) { task.cancel() }
        defer { running.withLock { $0 = nil } }
        do {
            return try await task.value
        } catch let error as ResponseError {
            throw CLIError.daemon(error, method: method)
        } catch is ConnectionClosedError {
            var words = "the daemon closed the connection before answering \(method)"
            if let child, !child.isRunning() { words += " (cfspd exited; see its messages above)" }
            throw CLIError(words, status: ExitStatus.unavailable)
        } catch {
            throw CLIError("\(method) failed: \(error)", status: ExitStatus.daemonError)
        }
    }

    /// Ctrl-C once: cancel the running request (its answer is still awaited). Twice: quit now.
    private func installInterruptHandler() -> any DispatchSourceSignal {
        signal(SIGINT, SIG_IGN)
        let source = DispatchSource.makeSignalSource(signal: SIGINT, queue: .global())
        source.setEventHandler { [self] in
            if interrupted.exchange(true, ordering: .acquiringAndReleasing) {
                Console.err("\ncfsp: interrupted again, quitting without waiting")
                exit(ExitStatus.cancelled)
            }
            Console.err("\ncfsp: cancelling (waiting for the daemon; Ctrl-C again to quit now)")
            running.withLock { $0 }?.cancel()
        }
        source.resume()
        return source
    }

    /// Sends `shutdown` and `exit`, disconnects, and waits for a spawned daemon to stop.
    func finish() async {
        let connection = client.connection
        if !connection.isClosed {
            _ = try? await connection.sendRequest(method: ShutdownRequest.method, params: nil)
            try? connection.notify(ExitNotification.self, EmptyObject())
        }
        if let child {
            client.finishWriting()
            _ = client.waitUntilServerCloses(timeout: .seconds(10))
            client.close()
            child.wait()
        } else {
            _ = client.waitUntilServerCloses(timeout: .seconds(2))
            client.close()
        }
    }
}
