import Foundation

/// The Gram matrices of a layer-sequential calibration, moved to an unnamed temporary file as
/// each block finishes and read back one block at a time when the pruner needs them: an FFN Gram
/// matrix is width x (width + 1) / 2 doubles (Llama-3.1-8B: 822 MB a block, 26 GB for its 32
/// blocks), far more than the rest of the pass holds. The file goes when the last reference does.
public final class GramSpill: @unchecked Sendable {
    /// Which of a block's two Gram matrices.
    public enum Kind: Sendable, Hashable {
        /// The FFN activations' (what the down-projection compensation needs).
        case ffn
        /// The attention output projection's input (the o_proj compensation of KV-group pruning).
        case attention
    }

    private struct Key: Hashable {
        var block: Int
        var kind: Kind
    }

    private let file: ScratchFile
    private let lock = NSLock()
    private var places: [Key: (offset: Int, size: Int)] = [:]
    private var end = 0

    /// An empty spill in `directory`.
    public init(directory: String) throws {
        file = try ScratchFile(directory: directory, purpose: "Gram")
    }

    /// Stores `gram` as block `block`'s matrix of `kind`.
    func store(_ gram: GramMatrix, block: Int, kind: Kind) throws {
        let bytes = gram.packed.count * 8
        let offset = lock.withLock {
            defer { end += bytes }
            return end
        }
        try gram.packed.withUnsafeBytes { try file.write(from: $0.baseAddress!, bytes: bytes, at: offset) }
        lock.withLock { places[Key(block: block, kind: kind)] = (offset, gram.size) }
    }

    /// Block `block`'s matrix of `kind`, read back bit for bit; nil when none was stored.
    public func gram(block: Int, kind: Kind = .ffn) throws -> GramMatrix? {
        guard let place = lock.withLock({ places[Key(block: block, kind: kind)] }) else { return nil }
        var gram = GramMatrix(size: place.size)
        let bytes = gram.packed.count * 8
        try gram.packed.withUnsafeMutableBytes { try file.read(into: $0.baseAddress!, bytes: bytes, at: place.offset) }
        return gram
    }

    /// Whether block `block`'s matrix of `kind` was stored.
    public func has(block: Int, kind: Kind = .ffn) -> Bool {
        lock.withLock { places[Key(block: block, kind: kind)] != nil }
    }

    /// Bytes on disk.
    public var byteCount: Int { lock.withLock { end } }
}

extension CalibrationStatistics {
    /// Block l's FFN Gram matrix from `grams` when the calibration spilled it there, else from
    /// these statistics (with `gram(block:neededBy:)`'s error when neither has it): the one lookup
    /// the planner (OBS) and the streamed export share.
    public func gram(block: Int, neededBy compensation: Compensation, spilledIn grams: GramSpill?) throws -> GramMatrix {
        if let grams, let spilled = try grams.gram(block: block, kind: .ffn) { return spilled }
        return try gram(block: block, neededBy: compensation)
    }
}
