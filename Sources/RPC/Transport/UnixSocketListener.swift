import CLibUV
import Foundation
import Logging

/// Loop-confined listener on a Unix-domain socket: binds (removing a stale socket file first,
/// refusing a live one), restricts the file to mode 0600, and hands each accepted client to
/// `onAccept`. Closing removes the socket file, but only while it is still the one this listener
/// bound (same device and inode): a file another server bound at the path since is left alone.
final class UnixSocketListener: @unchecked Sendable {
    let address: UnixSocketAddress
    private let eventLoop: EventLoop
    private let logger: Logger
    private let handle: UnsafeMutablePointer<uv_pipe_t>
    private var retainedSelf: Unmanaged<UnixSocketListener>?
    private var closed = false
    /// Device and inode of the socket file this listener bound.
    private var boundFile: (device: UInt64, inode: UInt64)?
    /// Receives each accepted client as an initialised `uv_pipe_t` (memory owned by the receiver).
    var onAccept: ((UnsafeMutableRawPointer) -> Void)?

    /// Binds and listens. Must run on the loop thread.
    init(address: UnixSocketAddress, eventLoop: EventLoop, logger: Logger) throws(TransportError) {
        self.address = address
        self.eventLoop = eventLoop
        self.logger = logger
        try address.removeStaleSocket()
        handle = .allocate(capacity: 1)
        var status = uv_pipe_init(eventLoop.loop, handle, 0)
        guard status == 0 else {
            handle.deallocate()
            throw uvError("uv_pipe_init", status)
        }
        retainedSelf = Unmanaged.passRetained(self)
        uv_handle_set_data(uvHandle(handle), Unmanaged.passUnretained(self).toOpaque())
        // Bound here rather than with uv_pipe_bind: libuv 1.44 would truncate a long path silently
        // and unlink whatever file is at the path when the handle closes, even another server's.
        let fd = address.bindListeningSocket()
        status = fd < 0 ? fd : uv_pipe_open(handle, fd)
        if fd >= 0 && status != 0 { Glibc.close(fd) }
        if status == 0 {
            var info = stat()
            if lstat(address.path, &info) == 0 {
                boundFile = (UInt64(info.st_dev), UInt64(info.st_ino))
            } else {
                status = -errno
            }
        }
        if status == 0, chmod(address.path, 0o600) != 0 {
            status = -errno
        }
        if status == 0 {
            status = uv_listen(uvStream(handle), 128) { server, status in
                guard let server, let data = uv_handle_get_data(uvHandle(server)) else { return }
                Unmanaged<UnixSocketListener>.fromOpaque(data).takeUnretainedValue().accept(status: status)
            }
        }
        guard status == 0 else {
            close()
            throw uvError("listen on '\(address.path)'", status)
        }
    }

    private func accept(status: Int32) {
        guard status == 0 else {
            logger.warning("accept on '\(address.path)' failed: \(String(cString: uv_strerror(status)))")
            return
        }
        let size = uv_handle_size(UV_NAMED_PIPE)
        let client = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 16)
        let pipe = client.assumingMemoryBound(to: uv_pipe_t.self)
        guard uv_pipe_init(eventLoop.loop, pipe, 0) == 0 else {
            client.deallocate()
            return
        }
        guard uv_accept(uvStream(handle), uvStream(pipe)) == 0 else {
            uv_close(uvHandle(pipe)) { UnsafeMutableRawPointer($0)?.deallocate() }
            return
        }
        onAccept?(client)
    }

    /// Unlinks the socket path only if it is still the file this listener bound.
    private func removeSocketFileIfOurs() {
        guard let boundFile else { return }
        var info = stat()
        guard lstat(address.path, &info) == 0 else { return }
        guard UInt64(info.st_dev) == boundFile.device, UInt64(info.st_ino) == boundFile.inode else {
            logger.info("'\(address.path)' is no longer the socket this server bound (replaced by another); left in place")
            return
        }
        unlink(address.path)
    }

    /// Stops listening and removes the socket file (if it is still ours).
    func close() {
        guard !closed else { return }
        closed = true
        removeSocketFileIfOurs()
        uv_close(uvHandle(handle)) { handle in
            guard let handle, let data = uv_handle_get_data(handle) else { return }
            let listener = Unmanaged<UnixSocketListener>.fromOpaque(data)
            UnsafeMutableRawPointer(handle).deallocate()
            listener.release()
        }
    }
}
