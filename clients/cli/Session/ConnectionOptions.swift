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

    @Flag(name: .long, help: "Do not show progress.")
    var quiet = false

    /// The socket path to use.
    var socketPath: String { socket ?? SocketPath.default }
}
