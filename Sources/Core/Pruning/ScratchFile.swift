import Foundation

/// Why a scratch file (hidden states or Gram matrices waiting on disk) could not be used.
public struct ScratchFileError: Error, CustomStringConvertible {
    public let description: String
}

/// An unnamed temporary file for data that would not fit in memory: created in `directory` and
/// unlinked at once, so nothing is left behind however the process ends; read and written at
/// byte offsets (short transfers resume). The layer-sequential pass keeps hidden states
/// (`HiddenStateStore`) and finished Gram matrices (`GramSpill`) in one.
final class ScratchFile {
    private let descriptor: Int32
    /// What the file holds, for error messages ("hidden-state", "Gram").
    private let purpose: String

    /// A new empty file in `directory`.
    init(directory: String, purpose: String) throws {
        var template = Array((directory + "/cfsp-\(purpose.lowercased())-XXXXXX").utf8CString)
        let descriptor = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard descriptor >= 0 else {
            throw ScratchFileError(description: "cannot create a \(purpose) file in \(directory): \(String(cString: strerror(errno)))")
        }
        template.withUnsafeBufferPointer { _ = unlink($0.baseAddress!) }
        self.descriptor = descriptor
        self.purpose = purpose
    }

    deinit { close(descriptor) }

    /// Reads `bytes` bytes at `offset` into `buffer`.
    func read(into buffer: UnsafeMutableRawPointer, bytes: Int, at offset: Int) throws {
        try transfer(bytes, at: offset, "read") { pread(descriptor, buffer + $0, $1, $2) }
    }

    /// Writes `bytes` bytes of `buffer` at `offset`.
    func write(from buffer: UnsafeRawPointer, bytes: Int, at offset: Int) throws {
        try transfer(bytes, at: offset, "write") { pwrite(descriptor, buffer + $0, $1, $2) }
    }

    /// Runs `call(done, remaining, fileOffset)` until `bytes` have moved.
    private func transfer(_ bytes: Int, at offset: Int, _ what: String, _ call: (Int, Int, off_t) -> Int) throws {
        var done = 0
        while done < bytes {
            let moved = call(done, bytes - done, off_t(offset + done))
            if moved < 0 && errno == EINTR { continue }
            guard moved > 0 else {
                throw ScratchFileError(description: "cannot \(what) the \(purpose) file: \(moved < 0 ? String(cString: strerror(errno)) : "end of file")")
            }
            done += moved
        }
    }
}
