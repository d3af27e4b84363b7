/// Why a transport could not be set up or failed.
public enum TransportError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The socket path does not fit in `sockaddr_un.sun_path` (108 bytes with the final NUL).
    case socketPathTooLong(path: String, bytes: Int, limit: Int)
    /// Another process is listening on the socket path.
    case socketInUse(path: String)
    /// Something other than a socket exists at the path; it is never deleted.
    case pathIsNotASocket(path: String)
    /// The socket path is empty or contains a NUL byte.
    case invalidSocketPath(String)
    /// A libuv or system call failed.
    case system(operation: String, code: Int32, message: String)

    /// A readable account for logs and error messages.
    public var description: String {
        switch self {
        case .socketPathTooLong(let path, let bytes, let limit):
            return "socket path '\(path)' is \(bytes) bytes long; Unix sockets allow at most \(limit) bytes — choose a shorter path (for example under /tmp)"
        case .socketInUse(let path):
            return "socket '\(path)' is in use by a running server; stop it or choose another path"
        case .pathIsNotASocket(let path):
            return "'\(path)' exists and is not a socket; remove it or choose another path"
        case .invalidSocketPath(let path):
            return "invalid socket path '\(path)': it must be non-empty and contain no NUL byte"
        case .system(let operation, let code, let message):
            return "\(operation) failed: \(message) (\(code))"
        }
    }
}
