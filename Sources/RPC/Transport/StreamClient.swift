import Dispatch
import Foundation
import Synchronization

/// A simple client transport on blocking descriptors: a reader thread feeds the connection and a
/// serial queue writes its output. Used by command-line clients and tests; the server side uses
/// `ServerRuntime`.
public final class StreamClient: Sendable {
    /// The client's connection: send requests with `connection.send(...)`.
    public let connection: Connection
    private let readFD: Int32
    private let writeFD: Int32
    private let closed = Atomic<Bool>(false)
    private let writeClosed = Atomic<Bool>(false)
    private let readerDone = DispatchSemaphore(value: 0)

    /// Connects to a server's Unix socket.
    public static func connect(socketPath: String, framing: Framing = .contentLength) throws(TransportError)
        -> StreamClient
    {
        let fd = try UnixSocketAddress(path: socketPath).connect()
        return StreamClient(readFD: fd, writeFD: fd, framing: framing)
    }

    /// Uses two descriptors (for example the ends of pipes to a child process's stdio). The
    /// client owns them and closes them in `close()`.
    public init(readFD: Int32, writeFD: Int32, framing: Framing = .contentLength) {
        self.readFD = readFD
        self.writeFD = writeFD
        signal(SIGPIPE, SIG_IGN)  // a server that went away fails the write instead of killing us
        connection = Connection(framing: framing)
        let connection = self.connection
        let writer = DispatchQueue(label: "rpc.stream-client.writer")
        connection.setOutputAvailableHandler {
            writer.async {
                while true {
                    let bytes = connection.outgoing.dequeue(maxBytes: 1 << 20)
                    if bytes.isEmpty { return }
                    if !Self.writeAll(fd: writeFD, bytes) {
                        connection.close()
                        return
                    }
                }
            }
        }
        let readerDone = self.readerDone
        let thread = Thread {
            var buffer = [UInt8](repeating: 0, count: 64 << 10)
            while true {
                let count = buffer.withUnsafeMutableBytes { read(readFD, $0.baseAddress, $0.count) }
                if count > 0 {
                    _ = buffer.withUnsafeBytes { connection.receive(UnsafeRawBufferPointer(rebasing: $0[0..<count])) }
                } else if count < 0 && errno == EINTR {
                    continue
                } else {
                    break
                }
            }
            connection.close()
            readerDone.signal()
        }
        thread.name = "rpc.stream-client.reader"
        thread.start()
    }

    /// Closes the write side only (the server sees end of input) and keeps reading responses.
    public func finishWriting() {
        guard !writeClosed.exchange(true, ordering: .acquiringAndReleasing) else { return }
        if readFD == writeFD {
            shutdown(writeFD, Int32(SHUT_WR))
        } else {
            Glibc.close(writeFD)
        }
    }

    /// Waits until the server closed its side (the reader saw end of file).
    public func waitUntilServerCloses(timeout: Duration = .seconds(10)) -> Bool {
        let nanoseconds = timeout.components.seconds * 1_000_000_000 + timeout.components.attoseconds / 1_000_000_000
        let result = readerDone.wait(timeout: .now() + .nanoseconds(Int(nanoseconds)))
        if result == .success { readerDone.signal() }
        return result == .success
    }

    /// Disconnects and releases the descriptors.
    public func close() {
        guard !closed.exchange(true, ordering: .acquiringAndReleasing) else { return }
        shutdown(readFD, Int32(SHUT_RDWR))
        connection.close()
        _ = waitUntilServerCloses(timeout: .seconds(2))
        Glibc.close(readFD)
        if writeFD != readFD, !writeClosed.exchange(true, ordering: .acquiringAndReleasing) {
            Glibc.close(writeFD)
        }
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
}
