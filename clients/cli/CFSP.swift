import ArgumentParser
import CFSPProtocol

/// `cfsp`: the shell client of the cfspd daemon.
@main
struct CFSP: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cfsp",
        abstract: "Drive cfspd (CFSP structured pruning of LLaMA-family models) from the shell.",
        discussion: """
            Talks to a running daemon over its Unix socket (default $XDG_RUNTIME_DIR/cfsp.sock, \
            else /tmp/cfsp-$UID.sock; start it with `cfsp daemon start`; a socket or daemon of another \
            user is refused), or with --spawn to a \
            private cfspd over stdio that stops when the command ends (handles do not survive it).

            Progress goes to stderr: a bar on a terminal, else one JSON line per $/progress event. \
            Results go to stdout, readable by default, as JSON with --json.

            Exit codes: 0 success, 64 usage error, 69 daemon unavailable, 70 the daemon answered \
            an error, 130 cancelled (Ctrl-C sends $/cancelRequest and waits for the answer).
            """,
        version: CFSPVersion.current,
        subcommands: [
            RunCommand.self, DaemonCommand.self, ModelCommand.self, CalibrateCommand.self,
            CalibrationCommand.self, ScoreCommand.self, PruneCommand.self, FinetuneCommand.self, EvaluateCommand.self,
            ExportCommand.self, SweepCommand.self, GenerateCommand.self, TokenizeCommand.self, DetokenizeCommand.self,
            CallCommand.self,
        ])
}
