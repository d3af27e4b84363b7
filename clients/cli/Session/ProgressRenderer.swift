import Core
import RPC
import Synchronization

/// Shows one request's `$/progress` on stderr: a redrawn bar (title, percentage, message, the
/// throughput the daemon reports and the time left), or one JSON line per event
/// (`{"token":…,"value":{…}}`) for scripts. The bar is cleared when the request ends: the
/// command's own output (its result, or its one error line) says how it ended.
final class ProgressRenderer: Sendable {
    /// How the progress is shown.
    enum Style: Sendable {
        /// The redrawn bar.
        case bar
        /// JSON lines.
        case json
    }

    let style: Style
    private struct State {
        var title = "working"
        var started = ContinuousClock.now
    }
    private let state = Mutex(State())

    init(style: Style) {
        self.style = style
    }

    func render(_ params: JSONValue) {
        guard style == .bar else {
            Console.err(String(decoding: params.serialized(), as: UTF8.self))
            return
        }
        guard let value = params["value"], let kind = value["kind"]?.stringValue else { return }
        switch kind {
        case "begin":
            let name = value["title"]?.stringValue ?? "working"
            state.withLock { $0 = State(title: name, started: .now) }
            Console.errRaw("\r\u{1B}[2K\(name) …")
        case "report":
            let (name, started) = state.withLock { ($0.title, $0.started) }
            Console.errRaw("\r\u{1B}[2K" + Self.line(title: name, value: value, elapsed: ContinuousClock.now - started))
        default:
            Console.errRaw("\r\u{1B}[2K")
        }
    }

    /// The bar's text for a report `value`, `elapsed` after the request began.
    static func line(title: String, value: JSONValue, elapsed: Duration) -> String {
        let percentage = max(0, min(100, value["percentage"]?.intValue ?? 0))
        let filled = percentage * 30 / 100
        let bar = String(repeating: "█", count: filled) + String(repeating: "·", count: 30 - filled)
        var parts = ["\(title) [\(bar)] \(String(percentage).leftPadded(3))%"]
        if let message = value["message"]?.stringValue, !message.isEmpty { parts.append(message) }
        if let rate = value["tokensPerSecond"].flatMap(\.doubleValue), rate.isFinite, rate > 0 {
            parts.append(String(format: "%.0f tok/s", rate))
        }
        let seconds = elapsed.seconds
        if percentage >= 1 && percentage < 100 && seconds >= 1 {
            parts.append(duration(seconds * Double(100 - percentage) / Double(percentage)) + " left")
        }
        return parts.joined(separator: " · ")
    }

    /// `75` as `1m15s`, `3700` as `1h01m`.
    static func duration(_ seconds: Double) -> String {
        let whole = Int(seconds.rounded())
        if whole >= 3600 { return String(format: "%dh%02dm", whole / 3600, whole % 3600 / 60) }
        if whole >= 60 { return String(format: "%dm%02ds", whole / 60, whole % 60) }
        return "\(whole)s"
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
