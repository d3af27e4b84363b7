import Foundation
import RPC

/// Makes sure the daemon behind a socket is the user's own before the client talks to it.
///
/// Anyone can create a socket where the client looks for one (`/tmp/cfsp-$UID.sock` sits in a
/// world-writable folder), and a daemon of another user would see every model path and result,
/// and could answer anything. So the socket file must belong to the user, and so must the
/// process accepting on it (its uid from `SO_PEERCRED`, which the kernel records at connect).
enum DaemonOwnership {
    /// Who is on the other end of a connected Unix socket, as the kernel recorded it.
    struct Peer: Equatable {
        var pid: pid_t
        var uid: uid_t
    }

    /// The peer of the connected Unix socket `fd` (`SO_PEERCRED`), or nil if the kernel says none.
    static func peer(of fd: Int32) -> Peer? {
        // struct ucred { pid_t pid; uid_t uid; gid_t gid; } (not imported without _GNU_SOURCE)
        var credentials: [UInt32] = [0, 0, 0]
        var length = socklen_t(MemoryLayout<UInt32>.size * 3)
        guard getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &credentials, &length) == 0,
              length == socklen_t(MemoryLayout<UInt32>.size * 3), credentials[0] > 0
        else { return nil }
        return Peer(pid: pid_t(bitPattern: credentials[0]), uid: credentials[1])
    }

    /// The owner of the socket file at `path` (not following a symbolic link), or nil if it
    /// cannot be examined.
    static func fileOwner(of path: String) -> uid_t? {
        var status = stat()
        guard lstat(path, &status) == 0 else { return nil }
        return status.st_uid
    }

    /// Why talking to the daemon on `socketPath` is refused, or nil when both the socket file's
    /// owner and the accepting process's uid are `user`. Unknown values are refused too.
    static func refusal(socketPath: String, fileOwner: uid_t?, peer: Peer?, user: uid_t) -> String? {
        let remedy = "Remove it if it is stale, or point --socket at your own daemon's socket (start one with `cfsp daemon start`)."
        guard let fileOwner else {
            return "refusing to talk to the daemon on \(socketPath): cannot check who owns the socket file. \(remedy)"
        }
        guard fileOwner == user else {
            return """
                refusing to talk to the daemon on \(socketPath): the socket file belongs to uid \(fileOwner), \
                not to you (uid \(user)); another user's daemon would see your models and data. \(remedy)
                """
        }
        guard let peer else {
            return "refusing to talk to the daemon on \(socketPath): the kernel does not say which user runs it. \(remedy)"
        }
        guard peer.uid == user else {
            return """
                refusing to talk to the daemon on \(socketPath): it is run by uid \(peer.uid) (pid \(peer.pid)), \
                not by you (uid \(user)); another user's daemon would see your models and data. \(remedy)
                """
        }
        return nil
    }

    /// Why `connect(socketPath:)` failed.
    enum ConnectError: Error {
        /// Nothing answers on the socket.
        case unreachable(TransportError)
        /// A daemon answers, but it is not the user's (the message says why and what to do).
        case refused(String)
    }

    /// Connects to `socketPath` and returns the descriptor, once the socket file and the
    /// accepting process are known to be the user's (else closes it and throws the refusal).
    static func connect(socketPath: String) throws(ConnectError) -> Int32 {
        let fd: Int32
        do {
            fd = try UnixSocketAddress(path: socketPath).connect()
        } catch {
            throw .unreachable(error)
        }
        if let refusal = refusal(
            socketPath: socketPath, fileOwner: fileOwner(of: socketPath), peer: peer(of: fd), user: getuid())
        {
            close(fd)
            throw .refused(refusal)
        }
        return fd
    }
}
