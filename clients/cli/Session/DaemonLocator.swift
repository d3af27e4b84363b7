import Foundation

/// Finds the `cfspd` executable: `--daemon-path`, then `$CFSPD`, then next to the `cfsp` executable,
/// then on `PATH`.
enum DaemonLocator {
    static func locate(explicit: String?) throws(CLIError) -> String {
        let fileManager = FileManager.default
        if let explicit {
            guard fileManager.isExecutableFile(atPath: explicit) else {
                throw CLIError("--daemon-path '\(explicit)' is not an executable file", status: ExitStatus.usage)
            }
            return explicit
        }
        let environment = ProcessInfo.processInfo.environment
        if let fromEnvironment = environment["CFSPD"], !fromEnvironment.isEmpty {
            guard fileManager.isExecutableFile(atPath: fromEnvironment) else {
                throw CLIError("$CFSPD names '\(fromEnvironment)', which is not an executable file",
                               status: ExitStatus.unavailable)
            }
            return fromEnvironment
        }
        let ownPath = (try? fileManager.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
            ?? CommandLine.arguments.first ?? ""
        let sibling = ((ownPath as NSString).deletingLastPathComponent as NSString).appendingPathComponent("cfspd")
        if !ownPath.isEmpty, fileManager.isExecutableFile(atPath: sibling) { return sibling }
        for directory in (environment["PATH"] ?? "").split(separator: ":") {
            let candidate = (String(directory) as NSString).appendingPathComponent("cfspd")
            if fileManager.isExecutableFile(atPath: candidate) { return candidate }
        }
        throw CLIError("""
            cfspd was not found next to cfsp or on PATH; build it (swift build -c release) and pass \
            --daemon-path PATH or set $CFSPD
            """, status: ExitStatus.unavailable)
    }
}
