#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Why a file could not be mapped into memory.
public enum MappedFileError: Error, CustomStringConvertible, Equatable {
    /// Nothing exists at the path.
    case notFound(path: String)
    /// The path exists but could not be opened, inspected or mapped (permissions, a directory...).
    case unreadable(path: String, reason: String)
    /// The file has no bytes, so it cannot hold any model.
    case empty(path: String)

    public var description: String {
        switch self {
        case .notFound(let path):
            return "no file at '\(path)': check the path (model files are usually under ~/.cache/cfsp/models)"
        case .unreadable(let path, let reason):
            return "cannot read '\(path)': \(reason)"
        case .empty(let path):
            return "'\(path)' is empty (0 bytes): the download or export that wrote it probably failed"
        }
    }
}

/// A whole file mapped read-only into memory.
///
/// Model files are gigabytes: mapping them lets readers parse headers and dequantize single
/// tensors without reading everything, and lets the kernel page data in and out as needed.
/// The mapping lives as long as this object and is unmapped in `deinit`.
public final class MappedFile: @unchecked Sendable {
    // Safety of @unchecked Sendable: the mapping is read-only (PROT_READ) and never changes
    // after `init`, so concurrent readers cannot race.

    /// The path the file was opened from.
    public let path: String
    /// The mapped bytes; valid until this object is deallocated.
    public let bytes: UnsafeRawBufferPointer

    /// Maps the file at `path` read-only.
    /// - Throws: `MappedFileError` if the file is missing, unreadable, a directory or empty.
    public init(path: String) throws {
        self.path = path
        let fd = open(path, O_RDONLY)
        if fd < 0 {
            let code = errno
            if code == ENOENT { throw MappedFileError.notFound(path: path) }
            throw MappedFileError.unreadable(path: path, reason: Self.message(code))
        }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            throw MappedFileError.unreadable(path: path, reason: Self.message(errno))
        }
        guard (info.st_mode & S_IFMT) == S_IFREG else {
            throw MappedFileError.unreadable(path: path, reason: "not a regular file (a directory or device?)")
        }
        let size = Int(info.st_size)
        guard size > 0 else { throw MappedFileError.empty(path: path) }
        guard let base = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0), base != MAP_FAILED else {
            throw MappedFileError.unreadable(path: path, reason: "mmap failed: \(Self.message(errno))")
        }
        bytes = UnsafeRawBufferPointer(start: base, count: size)
    }

    /// The file's size in bytes.
    public var count: Int { bytes.count }

    deinit {
        if let base = bytes.baseAddress {
            munmap(UnsafeMutableRawPointer(mutating: base), bytes.count)
        }
    }

    private static func message(_ code: Int32) -> String {
        guard let text = strerror(code) else { return "error \(code)" }
        return String(cString: text)
    }
}
