/// Element types a model file may store, dense or in ggml's quantized blocks.
public enum TensorType: String, Sendable, Codable, Equatable, CaseIterable {
    case f32, f16, bf16
    case q8_0 = "Q8_0", q4_0 = "Q4_0", q4_1 = "Q4_1", q5_0 = "Q5_0", q5_1 = "Q5_1"
    case q4_K = "Q4_K", q5_K = "Q5_K", q6_K = "Q6_K"
}

/// A tensor as a file describes it. `shape` is row-major, outermost first (PyTorch order):
/// a linear layer's weight is `[outFeatures, inFeatures]` in both GGUF and safetensors files.
public struct TensorDescriptor: Sendable, Equatable {
    public var name: String
    public var shape: [Int]
    public var type: TensorType
    public init(name: String, shape: [Int], type: TensorType) {
        self.name = name
        self.shape = shape
        self.type = type
    }
    public var elementCount: Int { shape.reduce(1, *) }
}

/// A model file's tensors, readable by name and converted to f32 on demand, so the model
/// builder does not care whether they came from GGUF or safetensors.
public protocol TensorSource: Sendable {
    /// Every tensor's name, in file order.
    var tensorNames: [String] { get }
    /// The descriptor of `name`, or nil if the file has no such tensor.
    func descriptor(_ name: String) -> TensorDescriptor?
    /// The tensor's values as f32, row-major, dequantized if needed.
    func floats(_ name: String) throws -> [Float]
    /// Rows `indices` (along the outermost dimension) of the tensor as f32, indices.count x row
    /// length: an embedding lookup without the whole table. The default reads the whole tensor.
    func rows(_ name: String, _ indices: [Int]) throws -> [Float]
    /// The matrix `name` in its stored encoding, read in place, for a `.native` load; nil when
    /// the source cannot keep it encoded (f32 tensors, which gain nothing, or a format that
    /// does not map its tensors), and the loader then reads floats. The default is nil.
    func encodedRows(_ name: String) throws -> EncodedTensorRows?
    /// Lets the memory holding the tensor's stored bytes go (a mapped file's pages), once its
    /// values have been read; later reads still work. The default does nothing.
    func releaseStorage(_ name: String)
}

extension TensorSource {
    public func releaseStorage(_ name: String) {}

    public func encodedRows(_ name: String) throws -> EncodedTensorRows? { nil }

    public func rows(_ name: String, _ indices: [Int]) throws -> [Float] {
        guard let shape = descriptor(name)?.shape, let count = shape.first, count > 0 else { return try floats(name) }
        let all = try floats(name)
        let length = all.count / count
        var out = [Float](repeating: 0, count: indices.count * length)
        for (k, row) in indices.enumerated() {
            guard row >= 0, row < count else {
                throw ModelError.invalidConfig("row \(row) of \(name) is outside its \(count) rows")
            }
            for j in 0..<length { out[k * length + j] = all[row * length + j] }
        }
        return out
    }
}
