import Foundation

/// Writes text to stdout and stderr without buffering surprises between the two.
enum Console {
    /// Writes `text` and a newline to stdout.
    static func out(_ text: String) {
        FileHandle.standardOutput.write(Data((text + "\n").utf8))
    }

    /// Writes `text` (no newline added) to stderr.
    static func errRaw(_ text: String) {
        FileHandle.standardError.write(Data(text.utf8))
    }

    /// Writes `text` and a newline to stderr.
    static func err(_ text: String) {
        errRaw(text + "\n")
    }

    /// True when stderr is a terminal (progress bars) rather than a pipe or file (JSON lines).
    static var stderrIsTerminal: Bool { isatty(2) == 1 }
}
