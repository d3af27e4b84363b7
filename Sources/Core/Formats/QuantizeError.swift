/// Why values could not be stored in a ggml block type, naming the value or block at fault.
public enum QuantizeError: Error, CustomStringConvertible, Equatable, Sendable {
    /// `count` is not a whole number of the type's blocks.
    case notWholeBlocks(type: TensorType, count: Int, blockSize: Int)
    /// A NaN or infinity at `index`: block types store a finite scale per block, so one such
    /// value would corrupt its whole block (ggml writes garbage there; cfsp refuses).
    case nonFinite(type: TensorType, index: Int, value: Float)
    /// The block starting at value `index` has magnitudes up to `magnitude`, beyond what the
    /// type's f16 block scale can express (`Quantize.largestMagnitude`).
    case scaleOverflow(type: TensorType, index: Int, magnitude: Float)

    public var description: String {
        switch self {
        case let .notWholeBlocks(type, count, blockSize):
            return "cannot quantize \(count) values as \(type.rawValue): not a multiple of its block size \(blockSize)"
        case let .nonFinite(type, index, value):
            return "cannot quantize as \(type.rawValue): value \(index) is \(value); block types store only finite values"
        case let .scaleOverflow(type, index, magnitude):
            return "cannot quantize as \(type.rawValue): the block at value \(index) reaches magnitude \(magnitude), beyond the \(Quantize.largestMagnitude(type)) its f16 scale can express; store this tensor as f32"
        }
    }
}
