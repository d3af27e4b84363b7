#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import CFileSystem
import Foundation

/// Writes a file under a temporary name in its target folder and renames it into place only
/// once every byte is on disk, so readers never see a partial file and a failure leaves none.
enum SafetensorsAtomicWriter {
    /// Receives the file's bytes in order.
    final class Sink {
        fileprivate let descriptor: Int32
        fileprivate let path: String
        fileprivate init(descriptor: Int32, path: String) {
            self.descriptor = descriptor
            self.path = path
        }

        /// Appends `bytes`, retrying short writes.
        func append(_ bytes: [UInt8]) throws {
            try bytes.withUnsafeBytes { buffer in
                guard let start = buffer.baseAddress else { return }
                var written = 0
                while written < buffer.count {
                    let result = posixWrite(descriptor, start + written, buffer.count - written)
                    if result < 0 {
                        if errno == EINTR { continue }
                        throw SafetensorsError.writeFailed(path: path, reason: String(cString: strerror(errno)))
                    }
                    written += result
                }
            }
        }
    }

    /// Creates `path` atomically with the bytes `produce` appends; replaces an existing file.
    ///
    /// Where the file system allows (Linux, `O_TMPFILE`), the bytes go to an unnamed file that
    /// is linked under a temporary name only once complete and renamed over `path` at once, so
    /// a writer killed mid-write leaves nothing behind. Elsewhere the temporary name carries
    /// the writer's pid; before writing, temporaries of writers that are no longer alive are
    /// removed from the folder (`WriterTemporaries.removeStale(in:)`).
    static func write(to path: String, _ produce: (Sink) throws -> Void) throws {
        let folder = WriterTemporaries.folder(of: path)
        WriterTemporaries.removeStale(in: folder)
        let temporary = temporaryPath(for: path)
        var unnamed = true
        var descriptor = cfsp_open_unnamed(folder, 0o644)
        if descriptor < 0 {
            unnamed = false
            descriptor = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        }
        guard descriptor >= 0 else {
            throw SafetensorsError.writeFailed(path: path, reason: String(cString: strerror(errno)))
        }
        var closed = false
        var named = !unnamed
        do {
            try produce(Sink(descriptor: descriptor, path: path))
            guard fsync(descriptor) == 0 else {
                throw SafetensorsError.writeFailed(path: path, reason: String(cString: strerror(errno)))
            }
            if unnamed {
                // linkat cannot replace an existing file: link under the temporary name, then rename.
                guard linkat(AT_FDCWD, "/proc/self/fd/\(descriptor)", AT_FDCWD, temporary, AT_SYMLINK_FOLLOW) == 0 else {
                    throw SafetensorsError.writeFailed(path: path, reason: String(cString: strerror(errno)))
                }
                named = true
            }
            closed = true
            guard close(descriptor) == 0 else {
                throw SafetensorsError.writeFailed(path: path, reason: String(cString: strerror(errno)))
            }
            guard rename(temporary, path) == 0 else {
                throw SafetensorsError.writeFailed(path: path, reason: String(cString: strerror(errno)))
            }
        } catch {
            if !closed { close(descriptor) }
            if named { unlink(temporary) }
            throw error
        }
    }

    /// A hidden, unique sibling of `path` carrying this process's pid:
    /// `.<name>.cfsp-tmp-<pid>-<random>` in the same folder, so the final rename stays on one
    /// file system and a later writer can tell whether its owner is still alive.
    static func temporaryPath(for path: String) -> String {
        let slash = path.lastIndex(of: "/")
        let folder = slash.map { String(path[...$0]) } ?? ""
        let name = slash.map { String(path[path.index(after: $0)...]) } ?? path
        return folder + WriterTemporaries.name(for: name)
    }
}

/// Names of the temporary files and folders cfsp's writers create beside their targets, and
/// the removal of those left by writers that died (killed mid-export).
///
/// A temporary is `.<target>.cfsp-tmp-<pid>-<16 hex digits>`: the pid is the writer's, so a
/// later writer removes only temporaries whose writer is gone, never a live one's.
package enum WriterTemporaries {
    /// The marker between a target's name and the writer's pid.
    static let marker = ".cfsp-tmp-"

    /// A fresh temporary name (no folder) for the target named `name`, owned by this process.
    package static func name(for name: String) -> String {
        let random = String(UInt64.random(in: 0...UInt64.max), radix: 16)
        let padded = String(repeating: "0", count: 16 - random.count) + random
        return ".\(name)\(marker)\(getpid())-\(padded)"
    }

    /// The pid in `entry` when it is a cfsp temporary name, else nil.
    package static func writerPID(of entry: String) -> pid_t? {
        guard entry.hasPrefix("."), let range = entry.range(of: marker, options: .backwards) else { return nil }
        let parts = entry[range.upperBound...].split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 2, parts[1].count == 16, parts[1].allSatisfy(\.isHexDigit),
              let pid = pid_t(parts[0]), pid > 0
        else { return nil }
        return pid
    }

    /// Whether a process with `pid` exists (a process of another user counts as alive).
    package static func isAlive(_ pid: pid_t) -> Bool {
        kill(pid, 0) == 0 || errno == EPERM
    }

    /// Whether `entry` is a temporary of a writer that is no longer running.
    package static func isStale(_ entry: String) -> Bool {
        guard let pid = writerPID(of: entry) else { return false }
        return !isAlive(pid)
    }

    /// Removes from `folder` every temporary (file or staging folder) whose writer is dead;
    /// best effort: what cannot be removed is left for the next writer.
    package static func removeStale(in folder: String) {
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: folder) else { return }
        for entry in entries where isStale(entry) {
            try? FileManager.default.removeItem(atPath: (folder as NSString).appendingPathComponent(entry))
        }
    }

    /// Creates the folder that will hold `path`, with any missing parents (as `mkdir -p`),
    /// so an export into a folder not made yet succeeds; nothing happens when it exists.
    /// - Returns: nil on success, else why the folder could not be made.
    package static func createFolder(holding path: String) -> String? {
        let folder = folder(of: path)
        var isFolder: ObjCBool = false
        if FileManager.default.fileExists(atPath: folder, isDirectory: &isFolder) {
            return isFolder.boolValue ? nil : "\(folder) is a file, not a folder"
        }
        do {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            return nil
        } catch {
            return "cannot create the folder \(folder): \(ErrorText.words(error))"
        }
    }

    /// The folder holding `path` (`.` for a bare name).
    static func folder(of path: String) -> String {
        let parent = (path as NSString).deletingLastPathComponent
        return parent.isEmpty ? "." : parent
    }
}

/// The C library's `write`, named apart from the Swift methods of the same name.
private func posixWrite(_ descriptor: Int32, _ bytes: UnsafeRawPointer, _ count: Int) -> Int {
    write(descriptor, bytes, count)
}
