import CLibUV
import Foundation
import Logging
import Synchronization

/// Where and how a `ServerRuntime` serves.
public struct ServerRuntimeOptions: Sendable {
    /// Message framing for every transport.
    public var framing: Framing = .contentLength
    /// Largest accepted message.
    public var maxMessageBytes: Int = Framing.defaultMaxMessageBytes
    /// Serve over a pair of descriptors (normally stdin and stdout); nil disables stdio.
    public var stdio: StdioDescriptors? = StdioDescriptors()
    /// Also listen on this Unix socket path (mode 0600).
    public var socketPath: String?
    /// Stop on SIGTERM and SIGINT. Off in tests that run several runtimes. (SIGPIPE is always
    /// ignored: a vanished peer must fail a write, not kill the process.)
    public var handlesSignals = true
    /// How long a stop waits for cancelled jobs to answer and for output to drain.
    public var shutdownGracePeriod: Duration = .seconds(5)

    /// Creates an empty instance.
    public init() {}
}

/// The descriptors of the stdio transport.
public struct StdioDescriptors: Sendable, Hashable {
    /// Descriptor requests are read from.
    public var input: Int32
    /// Descriptor responses and notifications are written to.
    public var output: Int32

    /// Defaults to stdin and stdout.
    public init(input: Int32 = 0, output: Int32 = 1) {
        self.input = input
        self.output = output
    }
}

/// Why a runtime stopped.
public enum StopReason: Sendable, Hashable, CustomStringConvertible {
    /// SIGTERM or SIGINT.
    case signal(Int32)
    /// The stdio input reached end of file.
    case inputClosed
    /// The stdio client sent `exit`.
    case exitNotification
    /// The stdio input could not be framed any more (for example a header block that never
    /// ends): the error reply was written and the runtime stopped. Processes should exit non-zero.
    case framingError
    /// `stop()` was called.
    case requested

    /// A readable account for logs and error messages.
    public var description: String {
        switch self {
        case .signal(let number): return "signal \(number)"
        case .inputClosed: return "end of input"
        case .exitNotification: return "exit notification"
        case .framingError: return "unframeable input on stdio"
        case .requested: return "stop requested"
        }
    }
}

/// Runs a `Server` on libuv transports, one loop thread: stdio (pipe, socket, TTY or regular
/// file on either side) and/or a Unix socket with any number of clients, each with its own
/// lifecycle, jobs, progress and cancellation. Stopping (signal, end of stdin, `exit` on stdio,
/// `stop()`) cancels every job, lets cancelled jobs answer and end their progress, flushes
/// output (up to the grace period), removes the socket file and returns from `run()`.
public final class ServerRuntime: Sendable {
    private struct State: @unchecked Sendable {
        var eventLoop: EventLoop?
        var drivers: [ObjectIdentifier: StreamDriver] = [:]
        var stdioDriver: StreamDriver?
        var listener: UnixSocketListener?
        var signals: [UnsafeMutablePointer<uv_signal_t>] = []
        var stopReason: StopReason?
        var stopping = false
    }

    /// The server whose handlers answer every connection.
    public let server: Server
    /// Transports and limits.
    public let options: ServerRuntimeOptions
    private let logger: Logger
    private let state = Mutex(State())
    private let stopped = DispatchSemaphore(value: 0)

    /// Prepares the runtime; nothing runs until `start()` or `run()`.
    public init(server: Server, options: ServerRuntimeOptions,
                logger: Logger = Logger(label: "rpc.runtime")) {
        self.server = server
        self.options = options
        self.logger = logger
    }

    /// Makes stray writes to stdout harmless: duplicates the real stdout to a new descriptor for
    /// protocol messages and points descriptor 1 at stderr. Returns the protocol descriptor, to
    /// pass as `StdioDescriptors.output`.
    public static func protectStandardOutput() throws(TransportError) -> Int32 {
        fflush(nil)
        let protocolFD = dup(1)
        guard protocolFD >= 0 else { throw UnixSocketAddress.systemError("dup(stdout)") }
        guard dup2(2, 1) >= 0 else { throw UnixSocketAddress.systemError("dup2(stderr, stdout)") }
        _ = fcntl(protocolFD, F_SETFD, FD_CLOEXEC)
        return protocolFD
    }

    /// Starts serving and blocks until stopped; returns why.
    public func run() throws(TransportError) -> StopReason {
        try start()
        return waitUntilStopped()
    }

    /// Starts the loop thread and the transports; returns once they are ready (the socket is
    /// listening). Throws when a transport cannot be set up.
    public func start() throws(TransportError) {
        signal(SIGPIPE, SIG_IGN)
        let eventLoop = try EventLoop()
        state.withLock { $0.eventLoop = eventLoop }
        let setup = Mutex<Result<Void, TransportError>?>(nil)
        let ready = DispatchSemaphore(value: 0)
        eventLoop.execute { [self] in
            do throws(TransportError) {
                try setUpTransports(on: eventLoop)
                setup.withLock { $0 = .success(()) }
            } catch {
                setup.withLock { $0 = .failure(error) }
                beginStop(.requested)
            }
            ready.signal()
        }
        eventLoop.start()
        ready.wait()
        if case .failure(let error)? = setup.withLock({ $0 }) {
            _ = waitUntilStopped()
            throw error
        }
    }

    /// Blocks until the runtime has fully stopped.
    public func waitUntilStopped() -> StopReason {
        stopped.wait()
        stopped.signal()
        return state.withLock { $0.stopReason } ?? .requested
    }

    /// Stops the runtime (any thread); `run()` returns once cleanup is done.
    public func stop(_ reason: StopReason = .requested) {
        let eventLoop = state.withLock { $0.eventLoop }
        eventLoop?.execute { [self] in beginStop(reason) }
    }

    /// The number of connected clients (stdio included), for tests and status.
    public var connectionCount: Int { state.withLock { $0.drivers.count } }

    /// Bytes of output that clients have not read yet, over every connection (queued or being
    /// written), for tests and status. Each connection's share is bounded by backpressure.
    public var queuedOutputBytes: Int {
        state.withLock { Array($0.drivers.values) }.reduce(0) { $0 + $1.unwrittenByteCount }
    }

    /// How many connections are not being read because their client does not read its answers
    /// (backpressure), for tests and status; asks the loop thread (0 once the runtime stopped).
    public var readPausedConnectionCount: Int {
        guard let eventLoop = state.withLock({ $0.eventLoop }) else { return 0 }
        let count = Mutex(0)
        let done = DispatchSemaphore(value: 0)
        eventLoop.execute { [self] in
            let paused = state.withLock { Array($0.drivers.values) }.filter(\.isReadingPaused).count
            count.withLock { $0 = paused }
            done.signal()
        }
        guard done.wait(timeout: .now() + 5) == .success else { return 0 }
        return count.withLock { $0 }
    }

    // MARK: Loop thread

    private func setUpTransports(on eventLoop: EventLoop) throws(TransportError) {
        if options.handlesSignals {
            for number in [SIGTERM, SIGINT] {
                let handle = UnsafeMutablePointer<uv_signal_t>.allocate(capacity: 1)
                uv_signal_init(eventLoop.loop, handle)
                uv_handle_set_data(uvHandle(handle), Unmanaged.passUnretained(self).toOpaque())
                uv_signal_start(handle, { handle, number in
                    guard let handle, let data = uv_handle_get_data(uvHandle(handle)) else { return }
                    Unmanaged<ServerRuntime>.fromOpaque(data).takeUnretainedValue().beginStop(.signal(number))
                }, number)
                state.withLock { $0.signals.append(handle) }
            }
        }
        if let path = options.socketPath {
            let address = try UnixSocketAddress(path: path)
            let listener = try UnixSocketListener(address: address, eventLoop: eventLoop, logger: logger)
            listener.onAccept = { [self] handle in
                let connection = makeConnection()
                let driver = StreamDriver.socket(handle: handle, connection: connection, eventLoop: eventLoop,
                                                 logger: logger)
                connection.setCloseRequestedHandler { [driver] in
                    eventLoop.execute { driver.closeAfterFlush() }
                }
                // A client that hangs up: cancel its jobs, answer what can be answered, close.
                driver.onInputEnded = { driver in
                    driver.connection.cancelIncoming(reason: "the client disconnected")
                    driver.closeAfterFlush()
                }
                track(driver)
                logger.debug("\(connection) accepted on \(address.path)")
            }
            state.withLock { $0.listener = listener }
            logger.info("listening on \(address.path)")
        }
        if let stdio = options.stdio {
            let connection = makeConnection()
            let driver = try StreamDriver.stdio(inputFD: stdio.input, outputFD: stdio.output,
                                                connection: connection, eventLoop: eventLoop, logger: logger)
            connection.setCloseRequestedHandler { [self] in stop(.exitNotification) }
            driver.onInputEnded = { [self] _ in beginStop(.inputClosed) }
            // Nothing more can be read from stdio: stop (the error reply is flushed first), so the
            // process exits instead of waiting for a signal.
            driver.onFramingFailed = { [self] _ in beginStop(.framingError) }
            state.withLock { $0.stdioDriver = driver }
            track(driver)
        }
    }

    private func makeConnection() -> Connection {
        let connection = Connection(framing: options.framing, maxMessageBytes: options.maxMessageBytes)
        connection.start(handler: server)
        return connection
    }

    private func track(_ driver: StreamDriver) {
        let key = ObjectIdentifier(driver)
        state.withLock { $0.drivers[key] = driver }
        driver.onClosed = { [self] driver in
            _ = state.withLock { $0.drivers.removeValue(forKey: ObjectIdentifier(driver)) }
            if state.withLock({ $0.stopping }) { finishStopIfDrained(force: false) }
        }
        driver.start()
    }

    private func beginStop(_ reason: StopReason) {
        let (alreadyStopping, listener, drivers) = state.withLock { state in
            let already = state.stopping
            if !already {
                state.stopping = true
                state.stopReason = reason
            }
            let listener = state.listener
            state.listener = nil
            return (already, listener, Array(state.drivers.values))
        }
        guard !alreadyStopping else { return }
        logger.info("stopping: \(reason)")
        listener?.close()
        for driver in drivers {
            driver.stopReading()
            driver.connection.cancelIncoming(reason: "the server is shutting down")
        }
        waitForDrain(deadline: ContinuousClock.now + options.shutdownGracePeriod)
    }

    /// Polls (on the loop) until every connection has answered its jobs and written its output.
    private func waitForDrain(deadline: ContinuousClock.Instant) {
        guard let eventLoop = state.withLock({ $0.eventLoop }) else { return }
        let force = ContinuousClock.now >= deadline
        if finishStopIfDrained(force: force) { return }
        let timer = UnsafeMutablePointer<uv_timer_t>.allocate(capacity: 1)
        uv_timer_init(eventLoop.loop, timer)
        let context = Unmanaged.passRetained(DrainContext(runtime: self, deadline: deadline))
        uv_handle_set_data(uvHandle(timer), context.toOpaque())
        uv_timer_start(timer, { timer in
            guard let timer, let data = uv_handle_get_data(uvHandle(timer)) else { return }
            let context = Unmanaged<DrainContext>.fromOpaque(data)
            uv_close(uvHandle(timer)) { UnsafeMutableRawPointer($0)?.deallocate() }
            let drain = context.takeRetainedValue()
            drain.runtime.waitForDrain(deadline: drain.deadline)
        }, 10, 0)
    }

    /// Closes drained connections; when none remain, closes the rest and ends the loop.
    @discardableResult
    private func finishStopIfDrained(force: Bool) -> Bool {
        let drivers = state.withLock { Array($0.drivers.values) }
        for driver in drivers where force || (driver.connection.pendingIncomingCount == 0 && !driver.hasPendingOutput) {
            driver.close()
        }
        let (remaining, eventLoop, signals) = state.withLock { state -> (Int, EventLoop?, [UnsafeMutablePointer<uv_signal_t>]) in
            (state.drivers.count, state.eventLoop, state.signals)
        }
        guard remaining == 0 || force else { return false }
        guard remaining == 0, let eventLoop else { return true }
        let finished = state.withLock { state -> Bool in
            if state.eventLoop == nil { return false }
            state.eventLoop = nil
            state.signals = []
            return true
        }
        guard finished else { return true }
        for handle in signals {
            uv_signal_stop(handle)
            uv_close(uvHandle(handle)) { UnsafeMutableRawPointer($0)?.deallocate() }
        }
        eventLoop.closeWakeup()
        let stopped = self.stopped
        Thread {
            eventLoop.waitUntilFinished()
            stopped.signal()
        }.start()
        return true
    }
}

/// What the drain timer needs between ticks.
private final class DrainContext: Sendable {
    let runtime: ServerRuntime
    let deadline: ContinuousClock.Instant
    init(runtime: ServerRuntime, deadline: ContinuousClock.Instant) {
        self.runtime = runtime
        self.deadline = deadline
    }
}
