import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The one way cfsp opens a path it was given: model files, tokenizer files, text corpora and
/// calibration files may come from anywhere, so opening must never block and reading must
/// never be unbounded.
///
/// The path is opened with `O_NONBLOCK` (opening a FIFO for reading otherwise waits for a
/// writer, possibly forever) and then checked with `fstat` on the open descriptor, so a path
/// that is swapped between the check and the open cannot slip through; anything but a regular
/// file (a FIFO, device, socket or folder) is refused before a byte is read.
public enum RegularFile {
    /// The largest files the readers accept, by what a real file of that kind can be. They
    /// bound what an untrusted path can make cfsp read into memory.
    public enum Limit {
        /// config.json, tokenizer_config.json: a few KiB in practice.
        public static let configuration = 16 << 20
        /// model.safetensors.index.json: one line per tensor (about 4 MiB for 400B models).
        public static let shardIndex = 64 << 20
        /// tokenizer.json: Gemma 3's, the largest common one, is 33 MiB.
        public static let tokenizer = 256 << 20
        /// Calibration files written by calibration/save (statistics per FFN neuron).
        public static let calibration = 1 << 30
        /// Text corpora to tokenize.
        public static let text = 4 << 30
    }

    /// Opens `path` read-only, refusing anything but a regular file, and returns the open
    /// descriptor (the caller closes it) with the file's size.
    public static func open(_ path: String) throws(MappedFileError) -> (descriptor: Int32, size: Int) {
        guard !path.utf8.contains(0) else {
            throw .unreadable(path: ErrorText.excerpt(path), reason: "the path contains a NUL character")
        }
        #if canImport(Glibc)
        let descriptor = Glibc.open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
        #else
        let descriptor = Darwin.open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
        #endif
        if descriptor < 0 {
            let code = errno
            if code == ENOENT { throw .notFound(path: path) }
            throw .unreadable(path: path, reason: message(code))
        }
        var info = stat()
        guard fstat(descriptor, &info) == 0 else {
            let code = errno
            close(descriptor)
            throw .unreadable(path: path, reason: message(code))
        }
        guard info.st_mode & S_IFMT == S_IFREG else {
            close(descriptor)
            throw .notRegularFile(path: path)
        }
        return (descriptor, Int(info.st_size))
    }

    /// The whole regular file at `path`, refusing one larger than `limit` bytes.
    public static func contents(of path: String, limit: Int) throws(MappedFileError) -> Data {
        let (descriptor, size) = try open(path)
        defer { close(descriptor) }
        guard size <= limit else { throw .tooLarge(path: path, bytes: size, limit: limit) }
        var data = Data(count: size)
        var filled = 0
        let failure: Int32? = data.withUnsafeMutableBytes { buffer in
            while filled < size {
                let count = read(descriptor, buffer.baseAddress! + filled, size - filled)
                if count < 0 {
                    if errno == EINTR { continue }
                    return errno
                }
                if count == 0 { break }
                filled += count
            }
            return nil
        }
        if let failure { throw .unreadable(path: path, reason: message(failure)) }
        // A file that shrank while being read is returned as far as it went.
        return filled < size ? data.prefix(filled) : data
    }

    static func message(_ code: Int32) -> String {
        guard let text = strerror(code) else { return "error \(code)" }
        return String(cString: text)
    }
}
