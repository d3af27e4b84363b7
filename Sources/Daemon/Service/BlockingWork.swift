import Foundation

/// Runs blocking compute (a forward pass, a file read) on its own thread so the async handler
/// that awaits it never blocks the server's tasks, and Core's thread pool does the heavy lifting.
enum BlockingWork {
    /// Stack of a compute thread: forward passes keep small buffers on the stack.
    static let stackSize = 8 << 20

    static func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            let thread = Thread {
                continuation.resume(with: Result { try body() })
            }
            thread.stackSize = stackSize
            thread.name = "cfspd.compute"
            thread.start()
        }
    }
}
