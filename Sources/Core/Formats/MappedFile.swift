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
/// `init(copying:path:)` holds bytes already in memory instead, so the same parsers
/// (`GGUFFile(file:)`, `SafetensorsFile(file:)`) can read a buffer: the fuzz harnesses do.
public final class MappedFile: @unchecked Sendable {
    // Safety of @unchecked Sendable: the bytes are read-only (PROT_READ, or a private copy no
    // one writes) and never change after `init`, so concurrent readers cannot race.

    /// The path the file was opened from.
    public let path: String
    /// The mapped bytes; valid until this object is deallocated.
    public let bytes: UnsafeRawBufferPointer
    /// True when `bytes` is an `mmap` (unmapped in `deinit`), false when it is a heap copy.
    private let isMapped: Bool

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
        isMapped = true
    }

    /// A private copy of `contents`, read as the file `path` (which only names it in errors).
    /// Unlike `init(path:)` it accepts no bytes at all, so the format readers report a
    /// truncated file themselves. The copy is exactly `contents.count` bytes long, so the
    /// address sanitizer catches any read past the end.
    public init(copying contents: some Collection<UInt8>, path: String = "<memory>") {
        self.path = path
        let storage = UnsafeMutableRawBufferPointer.allocate(byteCount: contents.count, alignment: 16)
        _ = storage.initializeMemory(as: UInt8.self, fromContentsOf: contents)
        bytes = UnsafeRawBufferPointer(storage)
        isMapped = false
    }

    /// The file's size in bytes.
    public var count: Int { bytes.count }

    deinit {
        if !isMapped {
            UnsafeMutableRawBufferPointer(mutating: bytes).deallocate()
        } else if let base = bytes.baseAddress {
            munmap(UnsafeMutableRawPointer(mutating: base), bytes.count)
        }
    }

    private static func message(_ code: Int32) -> String {
        guard let text = strerror(code) else { return "error \(code)" }
        return String(cString: text)
    }
}
