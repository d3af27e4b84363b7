import Synchronization

/// A thread-safe list of what a test observed (notifications, lines, callbacks), appended from any
/// thread and read from the test.
public final class Recorder<Element: Sendable>: Sendable {
    private let items = Mutex<[Element]>([])

    /// An empty list.
    public init() {}

    /// Adds `item` at the end.
    public func append(_ item: Element) { items.withLock { $0.append(item) } }

    /// Everything recorded so far, in order.
    public var all: [Element] { items.withLock { $0 } }
}
