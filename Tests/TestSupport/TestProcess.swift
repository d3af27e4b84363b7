import Foundation

/// The one way tests run a helper program to completion (the Python references, the fetch
/// scripts, the schema validator): its stdout back, or an error carrying its stderr and what to
/// install.
public enum TestProcess {
    /// A helper that could not start or exited non-zero; the description says which, with its
    /// stderr and a hint at what is missing.
    public struct Failure: Error, CustomStringConvertible {
        /// The whole account, ready for a test report.
        public var description: String

        /// A failure described by `description` (for helpers that catch and pass one on).
        public init(description: String) { self.description = description }
    }

    /// Runs `arguments` through /usr/bin/env and returns its stdout; `what` names it in errors.
    /// stderr goes to a temporary file, so neither stream can fill a pipe and stall the child.
    @discardableResult
    public static func run(_ arguments: [String], what: String) throws -> Data {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        let output = Pipe()
        let scratch = try ScratchFolder(prefix: "cfsp-test-stderr")
        let errorPath = scratch.file("stderr")
        _ = FileManager.default.createFile(atPath: errorPath, contents: nil)
        process.standardOutput = output
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: errorPath))
        do {
            try process.run()
        } catch {
            throw Failure(description: "cannot start \(what) (\(error)): install Python 3, then pip install -r scripts/requirements-test.txt")
        }
        let stdout = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            let stderr = (try? String(contentsOfFile: errorPath, encoding: .utf8)) ?? ""
            let hint = stderr.contains("requirements-test.txt") ? ""
                : process.terminationStatus == 127 ? "\n\(arguments.first ?? "the program") not found: install Python 3, then pip install -r scripts/requirements-test.txt"
                : "\n(if a Python package is missing: pip install -r scripts/requirements-test.txt)"
            throw Failure(description: "\(what) failed (exit \(process.terminationStatus)): \(stderr)\(hint)")
        }
        return stdout
    }

    /// Runs the Python script at `script` with python3 and `arguments`; errors name it `what`,
    /// by default the script's file name.
    @discardableResult
    public static func python(_ script: String, _ arguments: [String] = [], what: String? = nil) throws -> Data {
        try run(["python3", script] + arguments, what: what ?? (script as NSString).lastPathComponent)
    }
}
