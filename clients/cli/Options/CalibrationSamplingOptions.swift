import ArgumentParser
import CFSPProtocol
import Core

/// How `calibrate` and `run` draw their calibration windows (defaults: CalibrationSampling's).
struct CalibrationSamplingOptions: ParsableArguments {
    @Option(name: .long, parsing: .unconditional, help: MemberFlags.help(CalibrationSampling.self, "count"))
    var count: Int?

    @Option(name: .long, parsing: .unconditional, help: MemberFlags.help(CalibrationSampling.self, "windowSize"))
    var windowSize: Int?

    @Option(name: .long, parsing: .unconditional, help: MemberFlags.help(CalibrationSampling.self, "seed"))
    var seed: Int?

    /// The sampling these options name, the rest at Core's defaults.
    var sampling: CalibrationSampling {
        var sampling = CalibrationSampling()
        if let count { sampling.count = count }
        if let windowSize { sampling.windowSize = windowSize }
        if let seed { sampling.seed = seed }
        return sampling
    }
}
