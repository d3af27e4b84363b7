/// A weight matrix kept in its file's own encoding (ggml's quantized blocks, f16, bf16) instead
/// of being dequantized at load: 4.5 bits a weight for Q4_K instead of 32 (issue 16: an 8B model
/// in a few GB). The GEMM decodes 32-row panels of it on the fly into the f32 panel layout and
/// runs the f32 micro-kernel on them (`matmulNative`), so the arithmetic is the f32 path's on the
/// decoded values. The encoding itself lives in Core (which knows the file formats); Kernels
/// only needs rows decoded.
///
/// Rows are whole encoding blocks (a ggml row always is), so a subset of rows is exact in the
/// same encoding: pruning keeps FFN gate/up rows and attention q/k/v rows without re-quantizing.
public protocol EncodedRows: Sendable {
    /// N: rows (output features).
    var rows: Int { get }
    /// K: values per row (input features).
    var cols: Int { get }
    /// Bytes of encoded storage (mapped file pages or an owned copy).
    var storageBytes: Int { get }
    /// The encoding's name as files spell it ("Q4_K", "f16"), for summaries.
    var encodingName: String { get }
    /// Writes rows `range` decoded to f32, row-major (`range.count` x `cols`), into `destination`.
    /// Safe to call from several threads at once (the storage is read-only).
    func decode(rows range: Range<Int>, into destination: UnsafeMutablePointer<Float>)
    /// The rows `indices` (in that order), in the same encoding, as an owned copy.
    func keepingRows(_ indices: [Int]) -> any EncodedRows
}
