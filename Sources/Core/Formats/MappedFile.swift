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
    /// The path names a FIFO, device, socket or folder: reading it could block or never end.
    case notRegularFile(path: String)
    /// The file is larger than any real file of its kind (`RegularFile.Limit`).
    case tooLarge(path: String, bytes: Int, limit: Int)

    /// What went wrong without the path, for messages that name the path themselves.
    public var reason: String {
        switch self {
        case .notFound: return "no such file"
        case .unreadable(_, let reason): return reason
        case .empty: return "the file is empty (0 bytes)"
        case .notRegularFile: return "not a regular file (a FIFO, device, socket or folder)"
        case .tooLarge(_, let bytes, let limit): return "it holds \(bytes) bytes, more than the \(limit) a file of its kind may hold"
        }
    }

    public var description: String {
        switch self {
        case .notFound(let path):
            return "no file at '\(path)': check the path (model files are usually under ~/.cache/cfsp/models)"
        case .unreadable(let path, let reason):
            return "cannot read '\(path)': \(reason)"
        case .empty(let path):
            return "'\(path)' is empty (0 bytes): the download or export that wrote it probably failed"
        case .notRegularFile(let path):
            return "'\(path)' is not a regular file (a FIFO, device, socket or folder), so it is not read"
        case .tooLarge(let path, let bytes, let limit):
            return "'\(path)' holds \(bytes) bytes, more than the \(limit) a file of its kind may hold"
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
    /// - Throws: `MappedFileError` if the file is missing, unreadable, not a regular file or empty.
    public init(path: String) throws {
        self.path = path
        let (fd, size) = try RegularFile.open(path)
        defer { close(fd) }
        guard size > 0 else { throw MappedFileError.empty(path: path) }
        guard let base = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0), base != MAP_FAILED else {
            throw MappedFileError.unreadable(path: path, reason: "mmap failed: \(RegularFile.message(errno))")
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

    /// Drops the pages of `range` (byte offsets) from this process's resident memory (madvise
    /// MADV_DONTNEED on the whole pages inside it): the mapping stays valid and a later read
    /// faults them in again from the file. A layer-sequential pass calls it after each block,
    /// so a file larger than memory is never resident at once. Nothing happens for a heap copy.
    public func releasePages(_ range: Range<Int>) {
        guard isMapped, let base = bytes.baseAddress, !range.isEmpty else { return }
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        let start = (max(0, range.lowerBound) + page - 1) / page * page
        let end = min(bytes.count, range.upperBound) / page * page
        guard end > start else { return }
        _ = madvise(UnsafeMutableRawPointer(mutating: base + start), end - start, MADV_DONTNEED)
    }

    deinit {
        if !isMapped {
            UnsafeMutableRawBufferPointer(mutating: bytes).deallocate()
        } else if let base = bytes.baseAddress {
            munmap(UnsafeMutableRawPointer(mutating: base), bytes.count)
        }
    }
}
