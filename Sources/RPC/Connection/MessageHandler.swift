/// Receives what a peer sends on a `Connection`. Calls arrive one at a time, in order, on the
/// connection's input thread (the event loop for libuv transports): return quickly and move
/// long work elsewhere. Every request must eventually be answered with `IncomingRequest.reply`.
public protocol MessageHandler: Sendable {
    /// A request; answer it with `request.reply(...)`, now or later, from any thread.
    func handle(_ request: IncomingRequest)
    /// A notification (`$/cancelRequest` is handled by the connection before reaching here).
    func handle(_ notification: NotificationMessage, from connection: Connection)
    /// The connection closed; its in-flight requests have already been cancelled.
    func connectionClosed(_ connection: Connection)
}

extension MessageHandler {
    /// Default: notifications are ignored.
    public func handle(_ notification: NotificationMessage, from connection: Connection) {}
    /// Default: nothing to clean up.
    public func connectionClosed(_ connection: Connection) {}
}
