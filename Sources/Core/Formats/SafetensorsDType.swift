/// The element types this project reads from and writes to safetensors files, under the
/// names the format's header uses.
public enum SafetensorsDType: String, Sendable, CaseIterable, Codable {
    case f32 = "F32"
    case f16 = "F16"
    case bf16 = "BF16"

    /// Bytes per element.
    public var byteCount: Int {
        switch self {
        case .f32: return 4
        case .f16, .bf16: return 2
        }
    }

    /// The matching `TensorType`, for `TensorDescriptor`s.
    public var tensorType: TensorType {
        switch self {
        case .f32: return .f32
        case .f16: return .f16
        case .bf16: return .bf16
        }
    }
}
