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

/// The hidden states of every calibration window, one slot per window, read into and written
/// from a forward workspace's buffers (a block reads window w's input and writes its output
/// back into the same slot).
final class HiddenStateStore {
    private let offsets: [Int]
    private let hidden: Int
    private var memory: [Float] = []
    private var file: ScratchFile?

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
            file = try ScratchFile(directory: directory, purpose: "hidden-state")
        }
    }

    /// Copies window `w`'s states into `buffer`.
    func read(_ w: Int, into buffer: UnsafeMutablePointer<Float>) throws {
        let count = offsets[w + 1] - offsets[w]
        if let file {
            try file.read(into: buffer, bytes: count * 4, at: offsets[w] * 4)
        } else {
            memory.withUnsafeBufferPointer { buffer.update(from: $0.baseAddress! + offsets[w], count: count) }
        }
    }

    /// Stores `buffer` as window `w`'s states.
    func write(_ w: Int, from buffer: UnsafePointer<Float>) throws {
        let count = offsets[w + 1] - offsets[w]
        if let file {
            try file.write(from: buffer, bytes: count * 4, at: offsets[w] * 4)
        } else {
            memory.withUnsafeMutableBufferPointer { ($0.baseAddress! + offsets[w]).update(from: buffer, count: count) }
        }
    }
}
