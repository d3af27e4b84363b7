/// How many tensors an export stored in one type, and the bytes of their data: the summary an
/// export reports (a quantized GGUF mixes types per tensor, as llama.cpp's `q4_k_m` does).
public struct TensorTypeTally: Sendable, Equatable {
    /// The stored type in the file format's own spelling: ggml's (`Q4_K`, `Q6_K`, `F32`) for
    /// GGUF, safetensors' dtype (`F32`, `BF16`) for Hugging Face folders.
    public var type: String
    /// Tensors stored in this type.
    public var tensors: Int
    /// Bytes of their data (headers and alignment padding left out).
    public var bytes: Int

    /// A tally as an export (or a client reading one back) records it.
    public init(type: String, tensors: Int, bytes: Int) {
        self.type = type
        self.tensors = tensors
        self.bytes = bytes
    }

    /// One tally per type among `stored` (each tensor's type name and bytes), the types holding
    /// the most bytes first (ties by name), so the summary reads as a file's make-up.
    public static func tallies(_ stored: [(type: String, bytes: Int)]) -> [TensorTypeTally] {
        var byType: [String: TensorTypeTally] = [:]
        for tensor in stored {
            byType[tensor.type, default: TensorTypeTally(type: tensor.type, tensors: 0, bytes: 0)].tensors += 1
            byType[tensor.type]!.bytes += tensor.bytes
        }
        return byType.values.sorted { ($0.bytes, $1.type) > ($1.bytes, $0.type) }
    }
}

extension TensorType {
    /// ggml's name of the type (`F32`, `Q4_K`), as llama.cpp and gguf-py print it.
    public var ggmlName: String { rawValue.uppercased() }
}
