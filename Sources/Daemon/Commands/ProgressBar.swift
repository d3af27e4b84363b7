import Foundation

/// A one-line progress bar on stderr when it is a terminal; otherwise one plain line per update
/// at most once a second, so logs stay readable.
final class ProgressBar {
    private let label: String
    private let isTerminal = isatty(STDERR_FILENO) != 0
    private var lastPlainLine = Date.distantPast

    init(label: String) { self.label = label }

    func update(done: Int, total: Int, detail: String) {
        let fraction = total > 0 ? Double(done) / Double(total) : 0
        if isTerminal {
            let width = 30
            let filled = Int(fraction * Double(width))
            let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
            FileHandle.standardError.write(Data("\r\(label) [\(bar)] \(done)/\(total) \(detail)\u{1B}[K".utf8))
            if done == total { FileHandle.standardError.write(Data("\n".utf8)) }
        } else if done == total || Date().timeIntervalSince(lastPlainLine) >= 1 {
            lastPlainLine = Date()
            FileHandle.standardError.write(Data("\(label) \(done)/\(total) \(detail)\n".utf8))
        }
    }
}
