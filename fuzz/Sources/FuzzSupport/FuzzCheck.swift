#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Stops the run when a harness's own check fails (a property the code promises but broke):
/// prints `message` to stderr, then traps, which libFuzzer reports as a crash and saves the
/// input for. A thrown error from the code under test is never a finding; this is.
public func fuzzCheck(_ condition: Bool, _ message: @autoclosure () -> String) {
    guard !condition else { return }
    let text = Array("fuzz check failed: \(message())\n".utf8)
    _ = text.withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
    abort()
}

/// The harness input libFuzzer hands over, as a buffer (an empty one when `size` is 0).
public func fuzzBytes(_ data: UnsafePointer<UInt8>?, _ size: Int) -> UnsafeRawBufferPointer {
    UnsafeRawBufferPointer(start: size > 0 ? data : nil, count: size)
}
