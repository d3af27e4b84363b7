import CLibUV
import Foundation
import Logging

/// Loop-confined listener on a Unix-domain socket: binds (removing a stale socket file first,
/// refusing a live one), restricts the file to mode 0600, and hands each accepted client to
/// `onAccept`. Closing removes the socket file.
final class UnixSocketListener: @unchecked Sendable {
    let address: UnixSocketAddress
    private let eventLoop: EventLoop
    private let logger: Logger
    private let handle: UnsafeMutablePointer<uv_pipe_t>
    private var retainedSelf: Unmanaged<UnixSocketListener>?
    private var closed = false
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
        status = uv_pipe_bind(handle, address.path)
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

    /// Stops listening and removes the socket file.
    func close() {
        guard !closed else { return }
        closed = true
        unlink(address.path)
        uv_close(uvHandle(handle)) { handle in
            guard let handle, let data = uv_handle_get_data(handle) else { return }
            let listener = Unmanaged<UnixSocketListener>.fromOpaque(data)
            UnsafeMutableRawPointer(handle).deallocate()
            listener.release()
        }
    }
}
