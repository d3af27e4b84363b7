import Foundation

/// The one way the Core tests run a helper program (the Python references, the fetch scripts):
/// its stdout back, or an error carrying its stderr and what to install.
enum TestProcess {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// Runs `arguments` through /usr/bin/env and returns its stdout; `what` names it in errors.
    /// stderr goes to a temporary file, so neither stream can fill a pipe and stall the child.
    @discardableResult
    static func run(_ arguments: [String], what: String) throws -> Data {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        let output = Pipe()
        let errorURL = FileManager.default.temporaryDirectory
            .appendingPathComponent("cfsp-test-stderr-\(ProcessInfo.processInfo.processIdentifier)-\(UUID().uuidString)")
        _ = FileManager.default.createFile(atPath: errorURL.path, contents: nil)
        defer { try? FileManager.default.removeItem(at: errorURL) }
        process.standardOutput = output
        process.standardError = try FileHandle(forWritingTo: errorURL)
        do {
            try process.run()
        } catch {
            throw Failure(description: "cannot start \(what) (\(error)): install Python 3, then pip install -r scripts/requirements-test.txt")
        }
        let stdout = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            let stderr = (try? String(contentsOf: errorURL, encoding: .utf8)) ?? ""
            let hint = stderr.contains("requirements-test.txt") ? ""
                : process.terminationStatus == 127 ? "\n\(arguments.first ?? "the program") not found: install Python 3, then pip install -r scripts/requirements-test.txt"
                : "\n(if a Python package is missing: pip install -r scripts/requirements-test.txt)"
            throw Failure(description: "\(what) failed (exit \(process.terminationStatus)): \(stderr)\(hint)")
        }
        return stdout
    }
}
