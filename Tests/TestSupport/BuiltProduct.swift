import Foundation

/// Where `swift build` put an executable of this package, for tests that run the real binary.
public enum BuiltProduct {
    /// The executable `name` in the folder of the running test bundle or one of its parents
    /// (SwiftPM builds products beside the tests), else `.build/release/<name>` under the current
    /// folder; nil when it has not been built.
    public static func executable(_ name: String) -> String? {
        var directory = Bundle.main.bundleURL
        for _ in 0..<4 {
            let candidate = directory.appendingPathComponent(name).path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            directory.deleteLastPathComponent()
        }
        let fallback = FileManager.default.currentDirectoryPath + "/.build/release/" + name
        return FileManager.default.isExecutableFile(atPath: fallback) ? fallback : nil
    }
}
