import Foundation

/// Writes all of `bytes` to `fd`, retrying short and interrupted writes; false when a write fails
/// (the reader has gone, or `fd` is closed).
@discardableResult
public func writeAll(_ bytes: [UInt8], to fd: Int32) -> Bool {
    var offset = 0
    while offset < bytes.count {
        let written = bytes[offset...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        if written < 0 && errno == EINTR { continue }
        if written <= 0 { return false }
        offset += written
    }
    return true
}

/// Reads `fd` until end of file (or an error), handing over each chunk as it arrives. Blocks:
/// run it on a thread of its own to read while the test writes.
public func readUntilEndOfFile(_ fd: Int32, _ chunk: (ArraySlice<UInt8>) -> Void) {
    var buffer = [UInt8](repeating: 0, count: 1 << 16)
    while true {
        let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        if count < 0 && errno == EINTR { continue }
        if count <= 0 { return }
        chunk(buffer[0..<count])
    }
}

/// Everything read from `fd` until end of file.
public func readUntilEndOfFile(_ fd: Int32) -> [UInt8] {
    var all: [UInt8] = []
    readUntilEndOfFile(fd) { all.append(contentsOf: $0) }
    return all
}
