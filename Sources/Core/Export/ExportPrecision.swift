/// The element type an export stores its weights in.
public enum ExportPrecision: String, Sendable, Codable, Equatable, CaseIterable {
    /// Exact: the model's values as they are (bf16-packed weights widen without loss).
    case f32
    /// IEEE half precision, rounded to nearest even.
    case f16
    /// bfloat16, rounded to nearest even: half the size of f32 with f32's range.
    case bf16

    /// The GGUF tensor type of this precision.
    public var tensorType: TensorType {
        switch self {
        case .f32: .f32
        case .f16: .f16
        case .bf16: .bf16
        }
    }

    /// The safetensors dtype of this precision.
    public var safetensorsDType: SafetensorsDType {
        switch self {
        case .f32: .f32
        case .f16: .f16
        case .bf16: .bf16
        }
    }

    /// llama.cpp's `general.file_type` for a file whose matrices are all of this type
    /// (`LLAMA_FTYPE_ALL_F32` = 0, `MOSTLY_F16` = 1, `MOSTLY_BF16` = 32).
    var ggufFileType: UInt32 {
        switch self {
        case .f32: 0
        case .f16: 1
        case .bf16: 32
        }
    }
}
