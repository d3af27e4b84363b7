import Foundation
import Synchronization

/// A program started with its stdin and stdout on pipes that this process holds (stderr is
/// inherited): the harness for tests and benches that talk to the real `cfspd` as a client does,
/// in raw bytes or through a client given the two descriptors.
///
/// The descriptors belong to the caller: close them here (`closeInput`, `closeOutput`,
/// `readOutput`) or hand them to a client that closes them, not both.
public final class ChildProcess: Sendable {
    private let process: Process
    /// The write end of the child's stdin.
    public let input: Int32
    /// The read end of the child's stdout.
    public let output: Int32
    private let closed = Mutex((input: false, output: false))

    /// Starts `executable` with `arguments`. Our pipe ends are close-on-exec, so no other child
    /// inherits them and the child sees end of input when we close `input`.
    public init(executable: String, arguments: [String]) throws {
        var toChild: [Int32] = [0, 0]
        var fromChild: [Int32] = [0, 0]
        guard pipe(&toChild) == 0 else { throw POSIXError(.init(rawValue: errno) ?? .EIO) }
        guard pipe(&fromChild) == 0 else {
            let error = errno
            close(toChild[0])
            close(toChild[1])
            throw POSIXError(.init(rawValue: error) ?? .EIO)
        }
        for fd in [toChild[1], fromChild[0]] { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        // The child ends are closed right after launch; a handle that closed them again when the
        // Process is freed would close whatever descriptor reuses the number by then (another
        // test's pipe).
        process.standardInput = FileHandle(fileDescriptor: toChild[0], closeOnDealloc: false)
        process.standardOutput = FileHandle(fileDescriptor: fromChild[1], closeOnDealloc: false)
        defer {
            close(toChild[0])
            close(fromChild[1])
        }
        do {
            try process.run()
        } catch {
            close(toChild[1])
            close(fromChild[0])
            throw error
        }
        self.process = process
        input = toChild[1]
        output = fromChild[0]
    }

    /// The child's process id (for signals and /proc).
    public var processIdentifier: Int32 { process.processIdentifier }

    /// Writes all of `bytes` to the child's stdin; false when a write fails (the child has
    /// stopped reading, or stdin is closed).
    @discardableResult
    public func write(_ bytes: [UInt8]) -> Bool { writeAll(bytes, to: input) }

    /// Closes the child's stdin (it reads end of input); later calls do nothing.
    public func closeInput() {
        if closed.withLock({ state in defer { state.input = true }; return !state.input }) { close(input) }
    }

    /// Closes our end of the child's stdout; later calls do nothing.
    public func closeOutput() {
        if closed.withLock({ state in defer { state.output = true }; return !state.output }) { close(output) }
    }

    /// Reads the child's stdout until end of file, handing over each chunk as it arrives, then
    /// closes it. Blocks: call it on a thread of its own to read while the test writes.
    public func readOutput(_ chunk: (ArraySlice<UInt8>) -> Void) {
        readUntilEndOfFile(output, chunk)
        closeOutput()
    }

    /// Everything the child writes to stdout until it closes it (see `readOutput`).
    public func readOutputToEnd() -> [UInt8] {
        defer { closeOutput() }
        return readUntilEndOfFile(output)
    }

    /// Sends signal `number` (SIGTERM, SIGINT, ...) to the child.
    public func signal(_ number: Int32) { kill(process.processIdentifier, number) }

    /// Whether the child is still running.
    public var isRunning: Bool { process.isRunning }

    /// Waits for the child to exit and returns its exit status; nil when it is still running after
    /// `timeout`, and then it is killed (SIGKILL) and reaped, so no test leaves a stray daemon.
    public func waitForExit(timeout: Duration = .seconds(90)) -> Int32? {
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        while process.isRunning && clock.now < deadline { usleep(10_000) }
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            return nil
        }
        return process.terminationStatus
    }
}
