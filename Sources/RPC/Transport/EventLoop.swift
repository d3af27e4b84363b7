import CLibUV
import Dispatch
import Foundation
import Synchronization

/// A libuv loop running on its own thread. Other threads never touch libuv directly: they hand
/// closures to `execute`, which queues them and wakes the loop with `uv_async_send`.
/// Objects marked "loop-confined" are only used from closures run here.
final class EventLoop: @unchecked Sendable {
    private struct Jobs: Sendable {
        var pending: [@Sendable () -> Void] = []
        var closed = false
    }

    let loop: UnsafeMutablePointer<uv_loop_t>
    private let wakeup: UnsafeMutablePointer<uv_async_t>
    private let jobs = Mutex(Jobs())
    private let finished = DispatchSemaphore(value: 0)

    init() throws(TransportError) {
        loop = .allocate(capacity: 1)
        wakeup = .allocate(capacity: 1)
        var status = uv_loop_init(loop)
        guard status == 0 else {
            loop.deallocate()
            wakeup.deallocate()
            throw uvError("uv_loop_init", status)
        }
        status = uv_async_init(loop, wakeup) { handle in
            guard let handle, let data = uv_handle_get_data(uvHandle(handle)) else { return }
            Unmanaged<EventLoop>.fromOpaque(data).takeUnretainedValue().runJobs()
        }
        guard status == 0 else {
            uv_loop_close(loop)
            loop.deallocate()
            wakeup.deallocate()
            throw uvError("uv_async_init", status)
        }
        uv_handle_set_data(uvHandle(wakeup), Unmanaged.passUnretained(self).toOpaque())
    }

    /// Starts the loop thread. It ends once every handle is closed (see `closeWakeup`).
    func start() {
        let thread = Thread { [self] in
            uv_run(loop, UV_RUN_DEFAULT)
            // Close anything still open so the loop can be released.
            uv_walk(loop, { handle, _ in
                if let handle, uv_is_closing(handle) == 0 { uv_close(handle, nil) }
            }, nil)
            uv_run(loop, UV_RUN_DEFAULT)
            uv_loop_close(loop)
            finished.signal()
        }
        thread.name = "rpc.event-loop"
        thread.start()
    }

    /// Runs `job` on the loop thread soon. Ignored once the loop is closing.
    func execute(_ job: @escaping @Sendable () -> Void) {
        jobs.withLock { jobs in
            guard !jobs.closed else { return }
            jobs.pending.append(job)
            uv_async_send(wakeup)
        }
    }

    /// Loop thread: closes the wake-up handle; the loop then ends when the other handles are closed.
    func closeWakeup() {
        jobs.withLock { $0.closed = true }
        runJobs()
        uv_close(uvHandle(wakeup), nil)
    }

    /// Blocks until the loop thread has finished.
    func waitUntilFinished() {
        finished.wait()
        finished.signal()
    }

    private func runJobs() {
        while true {
            let batch = jobs.withLock { jobs -> [@Sendable () -> Void] in
                defer { jobs.pending = [] }
                return jobs.pending
            }
            if batch.isEmpty { return }
            for job in batch { job() }
        }
    }

    deinit {
        loop.deallocate()
        wakeup.deallocate()
    }
}

/// Any libuv handle pointer as `uv_handle_t`.
func uvHandle<T>(_ pointer: UnsafeMutablePointer<T>) -> UnsafeMutablePointer<uv_handle_t> {
    UnsafeMutablePointer<uv_handle_t>(OpaquePointer(pointer))
}

/// Any libuv stream handle pointer as `uv_stream_t`.
func uvStream<T>(_ pointer: UnsafeMutablePointer<T>) -> UnsafeMutablePointer<uv_stream_t> {
    UnsafeMutablePointer<uv_stream_t>(OpaquePointer(pointer))
}

/// A `TransportError` for a failed libuv call.
func uvError(_ operation: String, _ status: Int32) -> TransportError {
    .system(operation: operation, code: status, message: String(cString: uv_strerror(status)))
}
