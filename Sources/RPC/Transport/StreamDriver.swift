import CLibUV
import Foundation
import Logging
import Synchronization

/// Loop-confined pump between one `Connection` and its byte streams: a libuv stream (socket,
/// pipe or TTY) or, for regular files, a reader thread / blocking writes. One write is in flight at
/// a time, so while the peer reads slowly the connection's queue holds the rest and progress
/// reports coalesce there.
///
/// Backpressure: when the peer's unwritten output (queued plus the write in flight) reaches
/// `outputHighWaterBytes`, or `maxRequestsInProgress` of its requests are unanswered, reading its
/// input stops (`uv_read_stop`) until the output drains below `outputLowWaterBytes` and the
/// requests below half the limit. A client that sends without reading thus holds a bounded amount
/// of the server's memory, and only its own connection waits.
final class StreamDriver: @unchecked Sendable {
    private enum Input {
        case stream(UnsafeMutableRawPointer)
        case fileThread
    }

    private enum Output {
        case stream(UnsafeMutableRawPointer)
        case file(Int32)
    }

    /// Bytes handed to libuv per write.
    static let writeChunkBytes = 256 << 10
    /// Unwritten output at which reading the peer's input pauses.
    static let outputHighWaterBytes = 1 << 20
    /// Unwritten output below which paused reading resumes.
    static let outputLowWaterBytes = 256 << 10
    /// Unanswered requests at which reading the peer's input pauses (resumes below half).
    static let maxRequestsInProgress = 1024

    let connection: Connection
    let eventLoop: EventLoop
    private let logger: Logger
    private var input: Input?
    private var output: Output?
    private var writeInFlight = false
    private var closing = false
    private var readingStopped = false
    /// Reading is paused by backpressure (unlike `readingStopped`, temporary).
    private var readingPaused = false
    /// Bytes of the write in flight (any thread reads it, for statistics).
    private let bytesInFlight = Atomic<Int>(0)
    private(set) var isClosed = false
    private var openHandles = 0
    private let flushScheduled = Atomic<Bool>(false)
    private var retainedSelf: Unmanaged<StreamDriver>?
    private var changedTerminalMode = false

    /// Called once when the peer's input ends (EOF or read error).
    var onInputEnded: ((StreamDriver) -> Void)?
    /// Called once when the input cannot be framed any more (after reading stopped and the
    /// error reply was queued; the driver then closes once that reply is written).
    var onFramingFailed: ((StreamDriver) -> Void)?
    /// Called once when every handle is closed.
    var onClosed: ((StreamDriver) -> Void)?

    private init(connection: Connection, eventLoop: EventLoop, logger: Logger) {
        self.connection = connection
        self.eventLoop = eventLoop
        self.logger = logger
    }

    /// A driver for an accepted socket (one handle for both directions). `handle` is an
    /// initialised `uv_pipe_t` whose memory the driver now owns.
    static func socket(handle: UnsafeMutableRawPointer, connection: Connection, eventLoop: EventLoop,
                       logger: Logger) -> StreamDriver {
        let driver = StreamDriver(connection: connection, eventLoop: eventLoop, logger: logger)
        driver.adopt(handle)
        driver.input = .stream(handle)
        driver.output = .stream(handle)
        return driver
    }

    /// A driver for standard input and output (or any pair of descriptors): each may be a pipe or
    /// socket, a TTY, or a regular file.
    static func stdio(inputFD: Int32, outputFD: Int32, connection: Connection, eventLoop: EventLoop,
                      logger: Logger) throws(TransportError) -> StreamDriver {
        let driver = StreamDriver(connection: connection, eventLoop: eventLoop, logger: logger)
        if let handle = try driver.openStream(fd: inputFD, readable: true, role: "input") {
            driver.input = .stream(handle)
        } else {
            driver.input = .fileThread
        }
        do {
            if let handle = try driver.openStream(fd: outputFD, readable: false, role: "output") {
                driver.output = .stream(handle)
            } else {
                driver.output = .file(outputFD)
            }
        } catch {
            driver.close()
            throw error
        }
        if case .fileThread = driver.input { driver.startFileReader(fd: inputFD) }
        return driver
    }

    /// Opens a libuv stream for `fd`, or returns nil when it is a regular file.
    private func openStream(fd: Int32, readable: Bool, role: String) throws(TransportError) -> UnsafeMutableRawPointer? {
        let kind = uv_guess_handle(fd)
        let size = max(uv_handle_size(UV_NAMED_PIPE), uv_handle_size(UV_TTY))
        switch kind {
        case UV_FILE:
            return nil
        case UV_TTY:
            let handle = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 16)
            let tty = handle.assumingMemoryBound(to: uv_tty_t.self)
            let status = uv_tty_init(eventLoop.loop, tty, fd, readable ? 1 : 0)
            guard status == 0 else {
                handle.deallocate()
                throw uvError("uv_tty_init(\(role) fd \(fd))", status)
            }
            adopt(handle)
            // Content-Length framing needs bytes unchanged: the terminal's line discipline would
            // turn \r into \n on input, \n into \r\n on output, and hold input until a newline.
            if connection.framing == .contentLength, uv_tty_set_mode(tty, UV_TTY_MODE_IO) == 0 {
                changedTerminalMode = true
            }
            return handle
        case UV_NAMED_PIPE, UV_TCP:
            let handle = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 16)
            let pipe = handle.assumingMemoryBound(to: uv_pipe_t.self)
            var status = uv_pipe_init(eventLoop.loop, pipe, 0)
            guard status == 0 else {
                handle.deallocate()
                throw uvError("uv_pipe_init(\(role))", status)
            }
            adopt(handle)
            status = uv_pipe_open(pipe, fd)
            guard status == 0 else { throw uvError("uv_pipe_open(\(role) fd \(fd))", status) }
            return handle
        default:
            throw .system(operation: "open \(role) fd \(fd)", code: 0,
                          message: "the \(role) is neither a pipe, a socket, a terminal nor a regular file")
        }
    }

    /// Registers a handle so that close() closes and frees it.
    private func adopt(_ handle: UnsafeMutableRawPointer) {
        if retainedSelf == nil { retainedSelf = Unmanaged.passRetained(self) }
        openHandles += 1
        uv_handle_set_data(handle.assumingMemoryBound(to: uv_handle_t.self),
                           Unmanaged.passUnretained(self).toOpaque())
        handles.append(handle)
    }

    private var handles: [UnsafeMutableRawPointer] = []

    /// Starts reading and hooks the connection's output to this driver.
    func start() {
        connection.setOutputAvailableHandler { [self] in scheduleFlush() }
        startReadingStream()
        scheduleFlush()
    }

    /// Starts (or resumes) libuv reads of a stream input; a failure ends the input.
    private func startReadingStream() {
        if case .stream(let handle)? = input {
            let status = uv_read_start(
                handle.assumingMemoryBound(to: uv_stream_t.self),
                { _, suggested, buffer in
                    let size = 64 << 10
                    buffer?.pointee = uv_buf_init(malloc(size)?.assumingMemoryBound(to: CChar.self), UInt32(size))
                    _ = suggested
                },
                { stream, count, buffer in
                    defer { free(buffer?.pointee.base) }
                    guard let stream, let data = uv_handle_get_data(uvHandle(stream)) else { return }
                    let driver = Unmanaged<StreamDriver>.fromOpaque(data).takeUnretainedValue()
                    if count > 0, let base = buffer?.pointee.base {
                        driver.received(UnsafeRawBufferPointer(start: base, count: count))
                    } else if count < 0 {
                        driver.inputEnded(status: Int32(count))
                    }
                })
            if status != 0 { inputEnded(status: status) }
        }
    }

    private func startFileReader(fd: Int32) {
        let thread = Thread { [self] in
            var buffer = [UInt8](repeating: 0, count: 64 << 10)
            while true {
                let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
                if count > 0 {
                    let bytes = Array(buffer[0..<count])
                    eventLoop.execute { [self] in
                        bytes.withUnsafeBytes { received($0) }
                    }
                } else if count < 0 && errno == EINTR {
                    continue
                } else {
                    eventLoop.execute { [self] in inputEnded(status: Int32(UV_EOF.rawValue)) }
                    return
                }
            }
        }
        thread.name = "rpc.file-reader"
        thread.start()
    }

    private func received(_ bytes: UnsafeRawBufferPointer) {
        guard !isClosed, !readingStopped else { return }
        if !connection.receive(bytes) {
            logger.error("\(connection): the input cannot be framed any more; closing")
            stopReading()
            let failed = onFramingFailed
            onFramingFailed = nil
            failed?(self)
            closeAfterFlush()
            return
        }
        updateBackpressure()
    }

    /// Bytes queued for the peer or being written to it.
    var unwrittenByteCount: Int { connection.outgoing.pendingByteCount + bytesInFlight.load(ordering: .relaxed) }

    /// True while reading is paused because the peer does not read its answers.
    var isReadingPaused: Bool { readingPaused }

    /// Pauses or resumes reading the peer's input by its unwritten output and unanswered requests.
    private func updateBackpressure() {
        guard !isClosed, !readingStopped, case .stream(let handle)? = input else { return }
        let unwritten = unwrittenByteCount
        let inProgress = connection.pendingIncomingCount
        if !readingPaused {
            guard unwritten >= Self.outputHighWaterBytes || inProgress >= Self.maxRequestsInProgress else { return }
            readingPaused = true
            uv_read_stop(handle.assumingMemoryBound(to: uv_stream_t.self))
            logger.debug("\(connection): \(unwritten) bytes unread by the peer, \(inProgress) requests in progress; reading paused")
        } else if unwritten < Self.outputLowWaterBytes && inProgress < Self.maxRequestsInProgress / 2 {
            readingPaused = false
            logger.debug("\(connection): the peer caught up; reading resumed")
            startReadingStream()
        }
    }

    private func inputEnded(status: Int32) {
        guard !readingStopped else { return }
        readingPaused = false
        if status != Int32(UV_EOF.rawValue) {
            logger.info("\(connection): read failed: \(String(cString: uv_strerror(status)))")
        }
        stopReading()
        onInputEnded?(self)
    }

    /// Stops reading from the peer (shutdown, end of input).
    func stopReading() {
        guard !readingStopped else { return }
        readingStopped = true
        readingPaused = false
        if !isClosed, case .stream(let handle)? = input {
            uv_read_stop(handle.assumingMemoryBound(to: uv_stream_t.self))
        }
    }

    // MARK: Output

    /// Any thread: arranges for `flush()` to run on the loop (once per burst of output).
    func scheduleFlush() {
        guard !flushScheduled.exchange(true, ordering: .acquiringAndReleasing) else { return }
        eventLoop.execute { [self] in
            flushScheduled.store(false, ordering: .releasing)
            flush()
        }
    }

    /// True while bytes are queued or being written.
    var hasPendingOutput: Bool { writeInFlight || connection.outgoing.pendingByteCount > 0 }

    private func flush() {
        guard !isClosed, !writeInFlight, let output else { return }
        let bytes = connection.outgoing.dequeue(maxBytes: Self.writeChunkBytes)
        guard !bytes.isEmpty else {
            if closing { close() } else { updateBackpressure() }
            return
        }
        switch output {
        case .file(let fd):
            if !Self.writeAll(fd: fd, bytes) {
                logger.error("\(connection): write to output fd \(fd) failed: \(String(cString: strerror(errno)))")
                close()
                return
            }
            flush()
        case .stream(let handle):
            guard let memory = malloc(bytes.count) else {
                close()
                return
            }
            bytes.withUnsafeBytes { memory.copyMemory(from: $0.baseAddress!, byteCount: bytes.count) }
            let request = UnsafeMutablePointer<uv_write_t>.allocate(capacity: 1)
            request.pointee.data = memory
            var buffer = uv_buf_init(memory.assumingMemoryBound(to: CChar.self), UInt32(bytes.count))
            writeInFlight = true
            bytesInFlight.store(bytes.count, ordering: .relaxed)
            updateBackpressure()
            let status = uv_write(request, handle.assumingMemoryBound(to: uv_stream_t.self), &buffer, 1) { request, status in
                guard let request else { return }
                free(request.pointee.data)
                let stream = request.pointee.handle
                request.deallocate()
                guard let stream, let data = uv_handle_get_data(uvHandle(stream)) else { return }
                Unmanaged<StreamDriver>.fromOpaque(data).takeUnretainedValue().writeFinished(status: status)
            }
            if status != 0 {
                free(memory)
                request.deallocate()
                writeInFlight = false
                writeFinished(status: status)
            }
        }
    }

    private func writeFinished(status: Int32) {
        writeInFlight = false
        bytesInFlight.store(0, ordering: .relaxed)
        if status < 0 {
            if status != Int32(UV_ECANCELED.rawValue) {
                logger.info("\(connection): write failed (\(String(cString: uv_strerror(status)))); closing")
            }
            close()
            return
        }
        flush()
    }

    private static func writeAll(fd: Int32, _ bytes: [UInt8]) -> Bool {
        bytes.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let written = write(fd, raw.baseAddress! + offset, raw.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    return false
                }
                offset += written
            }
            return true
        }
    }

    // MARK: Closing

    /// Writes what is queued, then closes.
    func closeAfterFlush() {
        closing = true
        flush()
    }

    /// Closes the handles now; the connection is closed (cancelling its requests).
    func close() {
        guard !isClosed else { return }
        isClosed = true
        connection.close()
        for handle in handles {
            let pointer = handle.assumingMemoryBound(to: uv_handle_t.self)
            if uv_is_closing(pointer) != 0 {
                continue
            }
            uv_close(pointer) { handle in
                guard let handle, let data = uv_handle_get_data(handle) else { return }
                let driver = Unmanaged<StreamDriver>.fromOpaque(data).takeUnretainedValue()
                UnsafeMutableRawPointer(handle).deallocate()
                driver.handleClosed()
            }
        }
        if handles.isEmpty { finishClose() }
    }

    private func handleClosed() {
        openHandles -= 1
        if openHandles == 0 { finishClose() }
    }

    private func finishClose() {
        if changedTerminalMode {
            uv_tty_reset_mode()
            changedTerminalMode = false
        }
        handles = []
        onClosed?(self)
        onClosed = nil
        onInputEnded = nil
        onFramingFailed = nil
        let retained = retainedSelf
        retainedSelf = nil
        retained?.release()
    }
}
