#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A checked Unix-domain socket path and the POSIX helpers built on it.
public struct UnixSocketAddress: Sendable, Hashable {
    /// Bytes available in `sockaddr_un.sun_path`, including the terminating NUL.
    public static let pathCapacity = MemoryLayout.size(ofValue: sockaddr_un().sun_path)

    /// The validated filesystem path.
    public let path: String

    /// Validates `path`: non-empty, no NUL, and short enough for `sun_path`.
    public init(path: String) throws(TransportError) {
        let bytes = path.utf8.count
        guard bytes > 0, !path.utf8.contains(0) else { throw .invalidSocketPath(path) }
        guard bytes < Self.pathCapacity else {
            throw .socketPathTooLong(path: path, bytes: bytes, limit: Self.pathCapacity - 1)
        }
        self.path = path
    }

    /// Connects a blocking stream socket to the path; returns the descriptor.
    public func connect() throws(TransportError) -> Int32 {
        #if canImport(Glibc)
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        #else
        let fd = socket(AF_UNIX, SOCK_STREAM, 0)
        #endif
        guard fd >= 0 else { throw Self.systemError("socket") }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (index, byte) in bytes.enumerated() { raw[index] = byte }
            raw[bytes.count] = 0
        }
        let result = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        guard result == 0 else {
            let error = Self.systemError("connect to '\(path)'")
            close(fd)
            throw error
        }
        return fd
    }

    /// Creates a stream socket bound to the path (close-on-exec); returns the descriptor, or a
    /// negative errno.
    func bindListeningSocket() -> Int32 {
        #if canImport(Glibc)
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        #else
        let fd = socket(AF_UNIX, SOCK_STREAM, 0)
        #endif
        guard fd >= 0 else { return -errno }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        precondition(bytes.count < Self.pathCapacity, "checked in init")
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (index, byte) in bytes.enumerated() { raw[index] = byte }
            raw[bytes.count] = 0
        }
        let result = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        guard result == 0 else {
            let code = errno
            close(fd)
            return -code
        }
        return fd
    }

    /// Prepares the path for binding: nothing there is fine; a socket nobody listens on (left by a
    /// crashed server) is removed; a live socket or any other file is refused.
    func removeStaleSocket() throws(TransportError) {
        var info = stat()
        guard lstat(path, &info) == 0 else {
            if errno == ENOENT { return }
            throw Self.systemError("stat '\(path)'")
        }
        guard (info.st_mode & S_IFMT) == S_IFSOCK else { throw .pathIsNotASocket(path: path) }
        if let fd = try? connect() {
            close(fd)
            throw .socketInUse(path: path)
        }
        // Nobody answered: the socket is stale.
        guard unlink(path) == 0 || errno == ENOENT else { throw Self.systemError("remove stale socket '\(path)'") }
    }

    static func systemError(_ operation: String) -> TransportError {
        let code = errno
        return .system(operation: operation, code: code, message: String(cString: strerror(code)))
    }
}
