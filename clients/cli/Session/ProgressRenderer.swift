import RPC
import Synchronization

/// Shows one request's `$/progress` on stderr: a redrawn bar on a terminal, else one JSON line
/// per event (`{"token":…,"value":{…}}`) for scripts and CI logs.
final class ProgressRenderer: Sendable {
    /// True for the bar, false for JSON lines.
    let terminal: Bool
    /// The title from `begin`, repeated in front of the bar.
    private let title = Mutex<String>("working")

    init(terminal: Bool) {
        self.terminal = terminal
    }

    func render(_ params: JSONValue) {
        guard terminal else {
            Console.err(String(decoding: params.serialized(), as: UTF8.self))
            return
        }
        guard let value = params["value"], let kind = value["kind"]?.stringValue else { return }
        let message = value["message"]?.stringValue ?? ""
        switch kind {
        case "begin":
            let name = value["title"]?.stringValue ?? "working"
            title.withLock { $0 = name }
            Console.errRaw("\r\u{1B}[2K\(name) …")
        case "report":
            let percentage = max(0, min(100, value["percentage"]?.intValue ?? 0))
            let filled = percentage * 30 / 100
            let bar = String(repeating: "█", count: filled) + String(repeating: "·", count: 30 - filled)
            let name = title.withLock { $0 }
            Console.errRaw("\r\u{1B}[2K\(name) [\(bar)] \(String(percentage).leftPadded(3))% \(message)")
        default:
            let outcome = value["outcome"]?.stringValue ?? "done"
            Console.errRaw("\r\u{1B}[2K")
            if outcome != "completed" {
                Console.err("\(title.withLock { $0 }) \(outcome)\(message.isEmpty ? "" : ": \(message)")")
            }
        }
    }
}

extension String {
    /// The string right-aligned in `width` characters.
    func leftPadded(_ width: Int) -> String {
        count >= width ? self : String(repeating: " ", count: width - count) + self
    }

    /// The string left-aligned in `width` characters.
    func rightPadded(_ width: Int) -> String {
        count >= width ? self : self + String(repeating: " ", count: width - count)
    }
}
