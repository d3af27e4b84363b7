import ArgumentParser

/// How every command reaches the daemon, and how it prints.
struct ConnectionOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp(
        "The daemon's Unix socket (default: $XDG_RUNTIME_DIR/cfsp.sock, else /tmp/cfsp-$UID.sock).",
        valueName: "path"))
    var socket: String?

    @Flag(name: .long, help: "Start a private cfspd over stdio for this command instead of using the socket.")
    var spawn = false

    @Option(name: .customLong("daemon-path"), help: ArgumentHelp(
        "The cfspd executable for --spawn and `daemon start` (default: next to cfsp, else on PATH).",
        valueName: "path"))
    var daemonPath: String?

    @Flag(name: .long, help: "Print results as JSON (the daemon's result object) instead of text.")
    var json = false

    @Option(name: .long, help: ArgumentHelp(
        "How progress shows on stderr: a bar on a terminal (auto, the default: nothing elsewhere), bar, json (one $/progress value per line, for scripts) or none.",
        valueName: "style"))
    var progress: ProgressStyle = .auto

    @Flag(name: .long, help: "Do not show progress (as --progress none).")
    var quiet = false

    /// The socket path to use.
    var socketPath: String { socket ?? SocketPath.default }

    /// How progress is shown, decided: nil for none.
    var progressRendering: ProgressRenderer.Style? {
        if quiet { return nil }
        switch progress {
        case .auto: return Console.stderrIsTerminal ? .bar : nil
        case .bar: return .bar
        case .json: return .json
        case .none: return nil
        }
    }
}

/// The choices of `--progress`.
enum ProgressStyle: String, CaseIterable, ExpressibleByArgument {
    /// A bar on a terminal, nothing elsewhere.
    case auto
    /// Always the bar.
    case bar
    /// One JSON line per `$/progress` value.
    case json
    /// Nothing.
    case none
}
