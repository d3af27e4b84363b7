import Foundation

/// Where a layer-sequential pass keeps every window's hidden states between blocks.
public enum HiddenStateStorage: Sendable, Equatable {
    /// In memory: tokens x hidden x 4 bytes in all (SmolLM2-135M, 128 x 1024 tokens: 302 MB;
    /// Llama-3.1-8B: 2.1 GB).
    case memory
    /// In an unnamed temporary file in `directory` (removed when the pass ends, however it
    /// ends); resident memory is then one window's states.
    case temporaryFile(directory: String)
}

/// Why a hidden-state file could not be used.
public struct HiddenStateStoreError: Error, CustomStringConvertible {
    public let description: String
}

/// The hidden states of every calibration window, one slot per window, read into and written
/// from a forward workspace's buffers (a block reads window w's input and writes its output
/// back into the same slot).
final class HiddenStateStore {
    private let offsets: [Int]
    private let hidden: Int
    private var memory: [Float] = []
    private var descriptor: Int32 = -1

    /// Slots for windows of `lengths` tokens of `hidden` floats each.
    init(lengths: [Int], hidden: Int, storage: HiddenStateStorage) throws {
        var offsets = [0]
        for length in lengths { offsets.append(offsets.last! + length * hidden) }
        self.offsets = offsets
        self.hidden = hidden
        switch storage {
        case .memory:
            memory = [Float](repeating: 0, count: offsets.last!)
        case .temporaryFile(let directory):
            var template = Array((directory + "/cfsp-hidden-XXXXXX").utf8CString)
            descriptor = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
            guard descriptor >= 0 else {
                throw HiddenStateStoreError(description: "cannot create a hidden-state file in \(directory): \(String(cString: strerror(errno)))")
            }
            // Unlinked at once: nothing is left behind, however the process ends.
            template.withUnsafeBufferPointer { _ = unlink($0.baseAddress!) }
        }
    }

    deinit { if descriptor >= 0 { close(descriptor) } }

    /// Copies window `w`'s states into `buffer`.
    func read(_ w: Int, into buffer: UnsafeMutablePointer<Float>) throws {
        let count = offsets[w + 1] - offsets[w]
        if descriptor < 0 {
            memory.withUnsafeBufferPointer { buffer.update(from: $0.baseAddress! + offsets[w], count: count) }
        } else {
            try transfer(count * 4, at: offsets[w] * 4, "read") { pread(descriptor, UnsafeMutableRawPointer(buffer) + $0, $1, $2) }
        }
    }

    /// Stores `buffer` as window `w`'s states.
    func write(_ w: Int, from buffer: UnsafePointer<Float>) throws {
        let count = offsets[w + 1] - offsets[w]
        if descriptor < 0 {
            memory.withUnsafeMutableBufferPointer { ($0.baseAddress! + offsets[w]).update(from: buffer, count: count) }
        } else {
            try transfer(count * 4, at: offsets[w] * 4, "write") { pwrite(descriptor, UnsafeRawPointer(buffer) + $0, $1, $2) }
        }
    }

    /// Runs `call(done, remaining, fileOffset)` until `bytes` have moved (short reads and writes resume).
    private func transfer(_ bytes: Int, at offset: Int, _ what: String, _ call: (Int, Int, off_t) -> Int) throws {
        var done = 0
        while done < bytes {
            let moved = call(done, bytes - done, off_t(offset + done))
            if moved < 0 && errno == EINTR { continue }
            guard moved > 0 else {
                throw HiddenStateStoreError(description: "cannot \(what) the hidden-state file: \(moved < 0 ? String(cString: strerror(errno)) : "end of file")")
            }
            done += moved
        }
    }
}
