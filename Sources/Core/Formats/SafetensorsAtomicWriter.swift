#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

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
    static func write(to path: String, _ produce: (Sink) throws -> Void) throws {
        let temporary = temporaryPath(for: path)
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else {
            throw SafetensorsError.writeFailed(path: path, reason: String(cString: strerror(errno)))
        }
        var closed = false
        do {
            try produce(Sink(descriptor: descriptor, path: path))
            guard fsync(descriptor) == 0 else {
                throw SafetensorsError.writeFailed(path: path, reason: String(cString: strerror(errno)))
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
            unlink(temporary)
            throw error
        }
    }

    /// A hidden, unique sibling of `path`: `.<name>.tmp-<random>` in the same folder, so the
    /// final rename stays on one file system.
    static func temporaryPath(for path: String) -> String {
        let slash = path.lastIndex(of: "/")
        let folder = slash.map { String(path[...$0]) } ?? ""
        let name = slash.map { String(path[path.index(after: $0)...]) } ?? path
        let suffix = String(UInt64.random(in: 0...UInt64.max), radix: 16)
        return folder + "." + name + ".tmp-" + suffix
    }
}

/// The C library's `write`, named apart from the Swift methods of the same name.
private func posixWrite(_ descriptor: Int32, _ bytes: UnsafeRawPointer, _ count: Int) -> Int {
    write(descriptor, bytes, count)
}
