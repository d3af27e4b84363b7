import Synchronization

/// The framed bytes waiting to be written to one peer. Responses and ordinary notifications are
/// never dropped; a progress `report` replaces the still-unwritten report of the same token, so a
/// slow reader gets the latest state instead of an ever-growing backlog.
public final class OutgoingQueue: Sendable {
    private struct State: Sendable {
        var entries: [Entry] = []
        var head = 0
        /// Latest unwritten report per token; its slot in `entries` is a `.report(token)` marker.
        var pendingReports: [ProgressToken: [UInt8]] = [:]
        var byteCount = 0
        var coalescedCount = 0
    }

    private enum Entry: Sendable {
        case frame([UInt8])
        case report(ProgressToken)
    }

    private let state = Mutex(State())

    /// Creates an empty instance.
    public init() {}

    /// Queues bytes that must reach the peer.
    public func enqueue(_ frame: [UInt8]) {
        state.withLock { state in
            state.entries.append(.frame(frame))
            state.byteCount += frame.count
        }
    }

    /// Queues a progress report for `token`, replacing an unwritten one for the same token. A
    /// report that must be written (`keep`, a new stage of a run) replaces the unwritten one too,
    /// in its place, but no later report replaces it.
    public func enqueueReport(_ frame: [UInt8], token: ProgressToken, keep: Bool = false) {
        state.withLock { state in
            if keep {
                if let previous = state.pendingReports.removeValue(forKey: token),
                   let slot = state.entries[state.head...].lastIndex(where: {
                       if case .report(let pending) = $0 { pending == token } else { false }
                   }) {
                    state.entries[slot] = .frame(frame)
                    state.byteCount += frame.count - previous.count
                    state.coalescedCount += 1
                } else {
                    state.entries.append(.frame(frame))
                    state.byteCount += frame.count
                }
                return
            }
            if let previous = state.pendingReports[token] {
                state.byteCount += frame.count - previous.count
                state.pendingReports[token] = frame
                state.coalescedCount += 1
            } else {
                state.pendingReports[token] = frame
                state.entries.append(.report(token))
                state.byteCount += frame.count
            }
        }
    }

    /// Removes and returns queued bytes, whole frames only, about `maxBytes` at most (one frame
    /// larger than that is returned alone). Empty when nothing is queued.
    public func dequeue(maxBytes: Int) -> [UInt8] {
        state.withLock { state in
            var output: [UInt8] = []
            while state.head < state.entries.count {
                let bytes: [UInt8]
                switch state.entries[state.head] {
                case .frame(let frame): bytes = frame
                case .report(let token): bytes = state.pendingReports[token] ?? []
                }
                if !output.isEmpty && output.count + bytes.count > maxBytes { break }
                if case .report(let token) = state.entries[state.head] {
                    state.pendingReports[token] = nil
                }
                state.entries[state.head] = .frame([])
                state.head += 1
                output.append(contentsOf: bytes)
            }
            state.byteCount -= output.count
            if state.head == state.entries.count {
                state.entries.removeAll(keepingCapacity: state.entries.capacity <= 4096)
                state.head = 0
            } else if state.head >= 1024 && state.head * 2 >= state.entries.count {
                state.entries.removeSubrange(0..<state.head)
                state.head = 0
            }
            return output
        }
    }

    /// Drops everything queued (the peer is gone) and frees the storage.
    public func removeAll() {
        state.withLock { $0 = State(coalescedCount: $0.coalescedCount) }
    }

    /// Bytes waiting to be written.
    public var pendingByteCount: Int { state.withLock { $0.byteCount } }

    /// How many progress reports were replaced by newer ones before being written.
    public var coalescedReportCount: Int { state.withLock { $0.coalescedCount } }
}
