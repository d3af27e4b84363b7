import Foundation
import Synchronization

/// A fresh folder of its own for one test's files, removed with everything in it when the value
/// goes away (or at `remove()`), so tests running side by side never share paths and leave
/// nothing behind.
///
/// Keep it in a local `let` for as long as its files are used: Swift ends a local's lifetime no
/// earlier than the last call that could observe its deinit (any file or process operation), so
/// the folder outlives the work done in it.
public final class ScratchFolder: Sendable {
    /// The folder's absolute path.
    public let path: String

    /// Creates `<parent>/<prefix>-XXXXXX` with a unique suffix (mkdtemp, mode 0700). `parent`
    /// defaults to the system temporary folder; tests that bind Unix sockets pass "/tmp", since a
    /// socket path must stay under 108 bytes wherever TMPDIR points.
    public init(prefix: String = "cfsp-tests", in parent: String? = nil) throws {
        let base = parent ?? FileManager.default.temporaryDirectory.path
        var template = Array((base.hasSuffix("/") ? base : base + "/").utf8CString.dropLast())
            + Array("\(prefix)-XXXXXX".utf8CString)
        guard let created = mkdtemp(&template) else {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: base + "/" + prefix])
        }
        path = String(cString: created)
    }

    /// A folder for fixtures that a global builds once for many tests. A global is never
    /// released, so this one is removed when the test process exits instead.
    public static func forTheWholeRun(prefix: String) throws -> ScratchFolder {
        let folder = try ScratchFolder(prefix: prefix)
        _ = removalAtExit
        foldersRemovedAtExit.withLock { $0.append(folder.path) }
        return folder
    }

    /// The folder as a file URL.
    public var url: URL { URL(fileURLWithPath: path, isDirectory: true) }

    /// The path of `name` inside the folder (nothing is created).
    public func file(_ name: String) -> String { path + "/" + name }

    /// The URL of `name` inside the folder (nothing is created).
    public func fileURL(_ name: String) -> URL { url.appendingPathComponent(name) }

    /// The names directly inside the folder, sorted (to check what a writer left behind).
    public func contents() -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).sorted()
    }

    /// Removes the folder and everything in it now (again at deinit is harmless).
    public func remove() { try? FileManager.default.removeItem(atPath: path) }

    deinit { remove() }
}

/// The paths of the `forTheWholeRun` folders.
private let foldersRemovedAtExit = Mutex<[String]>([])

/// Registers (once, on first use) the exit handler that removes them.
private let removalAtExit: Void = {
    atexit {
        for path in foldersRemovedAtExit.withLock({ $0 }) { try? FileManager.default.removeItem(atPath: path) }
    }
}()
