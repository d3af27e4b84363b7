import Dispatch

/// Two connections joined in-process, for tests and embedding: what one sends, the other receives,
/// through real framing. Each direction is pumped by its own serial queue, so handlers never run
/// re-entrantly inside `send`.
public struct LocalConnectionPair: Sendable {
    /// The client end (sends requests, receives responses and progress).
    public let client: Connection
    /// The server end (give it a `Server` as handler).
    public let server: Connection

    /// Creates both ends with the given framing and message size limit.
    public init(framing: Framing = .contentLength, maxMessageBytes: Int = Framing.defaultMaxMessageBytes) {
        client = Connection(framing: framing, maxMessageBytes: maxMessageBytes)
        server = Connection(framing: framing, maxMessageBytes: maxMessageBytes)
        Self.pump(from: client, to: server, label: "rpc.local.client-to-server")
        Self.pump(from: server, to: client, label: "rpc.local.server-to-client")
        let client = self.client, server = self.server
        server.setCloseRequestedHandler {
            server.close()
            client.close()
        }
    }

    private static func pump(from source: Connection, to destination: Connection, label: String) {
        let queue = DispatchQueue(label: label)
        source.setOutputAvailableHandler {
            queue.async {
                let bytes = source.outgoing.dequeue(maxBytes: 1 << 20)
                if !bytes.isEmpty { destination.receive(bytes) }
            }
        }
    }

    /// Closes both ends (as a disconnect).
    public func close() {
        server.close()
        client.close()
    }
}
