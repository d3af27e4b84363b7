import ArgumentParser
import CFSPProtocol

/// What `evaluate` and `run` share about the evaluation windows.
struct EvaluationOptions: ParsableArguments {
    @Option(name: .long, parsing: .unconditional, help: MemberFlags.help(EvaluateParams.self, "maxWindows"))
    var maxWindows: Int?
}
